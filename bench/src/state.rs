//! The state file `load` writes and `run` reads: the ids of the users (by
//! index) and of the groups, and how long loading took.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// Users a group scenario may add and remove that are not already members:
/// the group of `size` members holds users `0..size`, the spares are
/// `size..size + SPARE_USERS`.
pub const SPARE_USERS: usize = 1000;

/// Everything `run` needs to know about the loaded tenant.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Id of user `i` (`user{i}@example.com`) at index `i`.
    pub user_ids: Vec<String>,
    /// Users the lookup and list scenarios draw from (`0..lookup_users`).
    pub lookup_users: usize,
    /// Groups by requested size.
    pub groups: Vec<GroupState>,
    /// What loading took.
    pub load_steps: Vec<LoadStep>,
}

/// One group: loaded (with an id) or skipped (with the reason).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupState {
    pub size: usize,
    pub id: Option<String>,
    pub skipped: Option<String>,
}

/// One timed loading step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadStep {
    pub what: String,
    pub count: usize,
    pub seconds: f64,
    pub via: String,
}

impl State {
    /// Reads the state file, or an empty state when it does not exist.
    pub fn read_or_default(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            return Ok(Self::default());
        }
        Self::read(path)
    }

    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not a state file", path.display()))
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(self)?).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
    }

    /// The loaded group of `size` members, or why there is none.
    pub fn group(&self, size: usize) -> Result<&str, String> {
        match self.groups.iter().find(|g| g.size == size) {
            Some(GroupState { id: Some(id), .. }) => Ok(id),
            Some(GroupState { skipped: Some(why), .. }) => Err(why.clone()),
            _ => Err(format!("no group of {size} members was loaded")),
        }
    }
}
