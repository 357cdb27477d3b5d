//! The cluster suite: the real binaries on a three-node MariaDB Galera
//! cluster (`scripts/galera.sh up`), two identity-core replicas on different
//! nodes and two scim-edge replicas, driven at once with raw SCIM JSON.
//! Skipped unless `GALERA_TEST=1` (`.ci/galera.sh` starts the cluster, builds
//! the binaries and runs this suite).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster;
mod node_loss;
mod races;
mod stack;
mod statements;
mod write_sets;

/// A cluster test: skipped without `GALERA_TEST=1`, one at a time, on a
/// fresh [`stack::Stack`].
macro_rules! galera_test {
    ($name:ident, |$stack:ident| $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let Some(_cluster) = crate::cluster::claim(stringify!($name)).await else {
                return;
            };
            #[allow(unused_mut)]
            let mut $stack = crate::stack::Stack::start(stringify!($name)).await;
            $body
        }
    };
}
pub(crate) use galera_test;
