//! The scenarios: what each one sends (the same SCIM requests to every
//! server) and what counts as a success.

use reqwest::Method;
use serde_json::{Value, json};

use crate::data::{self, enc};
use crate::state::{SPARE_USERS, State};

/// Page size of the list, filter and paging scenarios.
pub const PAGE: usize = 100;

/// One benchmark scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Okta's lookup before a create: `userName eq`.
    LookupUserName,
    /// Entra's lookup: `emails[type eq "work"].value eq`.
    LookupEmail,
    /// `name.familyName sw "A" and active eq true`, first page of 100.
    FilterFamilyActive,
    /// Index paging as Okta imports: `startIndex` 1, 101, 201, ... with
    /// `count=100` until a short page, then again; each worker its own walk.
    PageIndex,
    /// Cursor paging (RFC 9865): pages of 100 following `nextCursor`.
    PageCursor,
    /// POST /Users with Okta's body.
    Provision,
    /// Okta's deactivate: path-less PATCH `replace {"active": false}`.
    Deactivate,
    /// PATCH add / remove of one member on the group of this size.
    MemberAddRemove(usize),
    /// GET /Groups/{id}?excludedAttributes=members on the group of this size.
    GetGroup(usize),
}

/// The user scenarios, in the order they run (reads before the writes that
/// change what they read).
pub const USER_SCENARIOS: [Scenario; 7] = [
    Scenario::LookupUserName,
    Scenario::LookupEmail,
    Scenario::FilterFamilyActive,
    Scenario::PageIndex,
    Scenario::PageCursor,
    Scenario::Provision,
    Scenario::Deactivate,
];

impl Scenario {
    /// Stable name, used in the results (`member_add_remove/100`).
    pub fn name(self) -> String {
        match self {
            Self::LookupUserName => "lookup_username".to_owned(),
            Self::LookupEmail => "lookup_email".to_owned(),
            Self::FilterFamilyActive => "filter_familyname_active".to_owned(),
            Self::PageIndex => "page_index".to_owned(),
            Self::PageCursor => "page_cursor".to_owned(),
            Self::Provision => "provision".to_owned(),
            Self::Deactivate => "deactivate".to_owned(),
            Self::MemberAddRemove(n) => format!("member_add_remove/{n}"),
            Self::GetGroup(n) => format!("get_group/{n}"),
        }
    }

    /// The request, in words, for the report.
    pub fn request(self) -> String {
        match self {
            Self::LookupUserName => {
                r#"GET /Users?filter=userName eq "user{rand}@example.com"&startIndex=1&count=100 (expects 1 result)"#.into()
            }
            Self::LookupEmail => {
                r#"GET /Users?filter=emails[type eq "work"].value eq "user{rand}@example.com" (expects 1 result)"#.into()
            }
            Self::FilterFamilyActive => {
                r#"GET /Users?filter=name.familyName sw "A" and active eq true&startIndex=1&count=100"#.into()
            }
            Self::PageIndex => {
                "GET /Users?startIndex={1, 101, 201, ...}&count=100 to the first short page, then again from 1; each worker its own walk".into()
            }
            Self::PageCursor => "GET /Users?cursor=&count=100, then ?cursor={nextCursor}&count=100 to the end".into(),
            Self::Provision => "POST /Users with Okta's create body (new userName each time)".into(),
            Self::Deactivate => {
                r#"PATCH /Users/{id} {"Operations":[{"op":"replace","value":{"active":false}}]} (true on the next pass)"#
                    .into()
            }
            Self::MemberAddRemove(n) => format!(
                r#"PATCH /Groups/{{id of the {n}-member group}} alternating {{"op":"add","path":"members","value":[{{"value":uid}}]}} and {{"op":"remove","path":"members[value eq \"uid\"]"}} of a non-member"#
            ),
            Self::GetGroup(n) => format!("GET /Groups/{{id of the {n}-member group}}?excludedAttributes=members"),
        }
    }

    /// The group size of a group scenario.
    pub fn group_size(self) -> Option<usize> {
        match self {
            Self::MemberAddRemove(n) | Self::GetGroup(n) => Some(n),
            _ => None,
        }
    }
}

/// Expands scenario names (`users`, `groups`, `all`, a scenario name, or a
/// group scenario without a size for every size in the state).
pub fn expand(names: &[String], state: &State) -> anyhow::Result<Vec<Scenario>> {
    let mut sizes: Vec<usize> = state.groups.iter().map(|g| g.size).collect();
    sizes.sort_unstable();
    let groups = |out: &mut Vec<Scenario>, which: Option<&str>| {
        for &n in &sizes {
            if which != Some("get_group") {
                out.push(Scenario::MemberAddRemove(n));
            }
            if which != Some("member_add_remove") {
                out.push(Scenario::GetGroup(n));
            }
        }
    };
    let mut out = Vec::new();
    for name in names {
        let name = name.trim();
        match name {
            "all" => {
                out.extend(USER_SCENARIOS);
                groups(&mut out, None);
            }
            "users" => out.extend(USER_SCENARIOS),
            "groups" => groups(&mut out, None),
            "member_add_remove" | "get_group" => groups(&mut out, Some(name)),
            _ => {
                let found = USER_SCENARIOS.iter().copied().find(|s| s.name() == name).or_else(|| {
                    let (kind, size) = name.split_once('/')?;
                    let size = size.parse().ok()?;
                    match kind {
                        "member_add_remove" => Some(Scenario::MemberAddRemove(size)),
                        "get_group" => Some(Scenario::GetGroup(size)),
                        _ => None,
                    }
                });
                out.push(found.ok_or_else(|| anyhow::anyhow!("unknown scenario {name}"))?);
            }
        }
    }
    Ok(out)
}

/// What makes an answer a success.
pub enum Check {
    /// One of these statuses.
    Status(&'static [u16]),
    /// 200 with `totalResults` 1.
    OneResult,
    /// 200; `nextCursor` is the worker's next position.
    Cursor,
}

/// One request to send.
pub struct Req {
    pub method: Method,
    /// Path and query under the base URL.
    pub path: String,
    pub body: Option<Value>,
    pub check: Check,
}

/// One worker's position in its scenario.
pub struct Worker {
    /// This worker's number and the number of workers.
    w: usize,
    c: usize,
    /// Requests sent so far.
    k: usize,
    rng: u64,
    /// Cursor paging: where the walk is (None: start a new walk).
    pub cursor: Option<String>,
    /// Tag making provisioned userNames unique across runs.
    run_tag: String,
}

impl Worker {
    pub fn new(w: usize, c: usize, run_tag: &str) -> Self {
        Self {
            w,
            c,
            k: 0,
            rng: 0x9E37_79B9_7F4A_7C15 ^ (w as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03),
            cursor: None,
            run_tag: run_tag.to_owned(),
        }
    }

    /// xorshift64*: uniform enough for picking users.
    fn rand_below(&mut self, n: usize) -> usize {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
    }

    /// The next request of `scenario`.
    pub fn next(&mut self, scenario: Scenario, state: &State, group_id: &str) -> Req {
        let k = self.k;
        self.k += 1;
        let n = state.lookup_users.max(1);
        let get = |path: String, check| Req { method: Method::GET, path, body: None, check };
        match scenario {
            Scenario::LookupUserName => {
                let f = format!(r#"userName eq "{}""#, data::user_name(self.rand_below(n)));
                get(format!("/Users?filter={}&startIndex=1&count={PAGE}", enc(&f)), Check::OneResult)
            }
            Scenario::LookupEmail => {
                let f = format!(r#"emails[type eq "work"].value eq "{}""#, data::user_name(self.rand_below(n)));
                get(format!("/Users?filter={}", enc(&f)), Check::OneResult)
            }
            Scenario::FilterFamilyActive => {
                let f = r#"name.familyName sw "A" and active eq true"#;
                get(format!("/Users?filter={}&startIndex=1&count={PAGE}", enc(f)), Check::Status(&[200]))
            }
            Scenario::PageIndex => {
                // Okta's import walk: pages from startIndex 1 until one comes
                // back short (the one past the last user when N is a multiple
                // of the page), then a new walk. Every page after the first
                // continues the walk, so the server may seek from where the
                // previous page ended.
                let pages = n / PAGE + 1;
                let offset = (k % pages) * PAGE;
                get(format!("/Users?startIndex={}&count={PAGE}", offset + 1), Check::Status(&[200]))
            }
            Scenario::PageCursor => {
                let cursor = self.cursor.take().unwrap_or_default();
                get(format!("/Users?cursor={}&count={PAGE}", enc(&cursor)), Check::Cursor)
            }
            Scenario::Provision => {
                let name = format!("prov-{}-{}-{k}@example.com", self.run_tag, self.w);
                let family = data::family_name(k);
                Req {
                    method: Method::POST,
                    path: "/Users".to_owned(),
                    body: Some(data::okta_user(&name, family)),
                    check: Check::Status(&[201]),
                }
            }
            Scenario::Deactivate => {
                // Worker w deactivates users w, w+c, ...; the next pass reactivates them.
                let slot = self.w + k * self.c;
                let user = slot % n;
                let active = (slot / n) % 2 == 1;
                let body = data::patch(json!([{"op": "replace", "value": {"active": active}}]));
                Req {
                    method: Method::PATCH,
                    path: format!("/Users/{}", state.user_ids[user]),
                    body: Some(body),
                    check: Check::Status(&[200, 204]),
                }
            }
            Scenario::MemberAddRemove(size) => {
                // Worker w adds then removes spare users w, w+c, ... (never members).
                let spare = SPARE_USERS.min(state.user_ids.len().saturating_sub(size)).max(1);
                let uid = &state.user_ids[size + (self.w + (k / 2) * self.c) % spare];
                let op = if k.is_multiple_of(2) {
                    json!({"op": "add", "path": "members", "value": [{"value": uid}]})
                } else {
                    json!({"op": "remove", "path": format!(r#"members[value eq "{uid}"]"#)})
                };
                Req {
                    method: Method::PATCH,
                    path: format!("/Groups/{group_id}"),
                    body: Some(data::patch(json!([op]))),
                    check: Check::Status(&[200, 204]),
                }
            }
            Scenario::GetGroup(_) => {
                get(format!("/Groups/{group_id}?excludedAttributes=members"), Check::Status(&[200]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::GroupState;

    fn state(users: usize, sizes: &[usize]) -> State {
        State {
            user_ids: (0..users).map(|i| format!("id{i}")).collect(),
            lookup_users: users,
            groups: sizes
                .iter()
                .map(|&size| GroupState { size, id: Some(format!("g{size}")), skipped: None })
                .collect(),
            load_steps: vec![],
        }
    }

    #[test]
    fn all_expands_to_the_user_scenarios_then_both_group_scenarios_per_size() {
        let s = state(10, &[1000, 100]);
        let names: Vec<String> = expand(&["all".to_owned()], &s).unwrap().into_iter().map(Scenario::name).collect();
        assert_eq!(names.len(), 7 + 4);
        assert_eq!(names[7..], ["member_add_remove/100", "get_group/100", "member_add_remove/1000", "get_group/1000"]);
    }

    #[test]
    fn member_changes_alternate_add_and_remove_of_the_same_non_member() {
        let s = state(2000, &[100]);
        let mut w = Worker::new(1, 4, "t");
        let add = w.next(Scenario::MemberAddRemove(100), &s, "g100").body.unwrap();
        let remove = w.next(Scenario::MemberAddRemove(100), &s, "g100").body.unwrap();
        assert_eq!(add["Operations"][0]["value"][0]["value"], "id101");
        assert_eq!(remove["Operations"][0]["path"], r#"members[value eq "id101"]"#);
        let next = w.next(Scenario::MemberAddRemove(100), &s, "g100").body.unwrap();
        assert_eq!(next["Operations"][0]["value"][0]["value"], "id105");
    }

    #[test]
    fn index_paging_walks_from_one_in_pages_of_a_hundred_to_the_short_page_then_again() {
        let s = state(250, &[]);
        for worker in [0, 3] {
            let mut w = Worker::new(worker, 4, "t");
            let starts: Vec<String> = (0..5).map(|_| w.next(Scenario::PageIndex, &s, "").path).collect();
            assert_eq!(
                starts,
                [
                    "/Users?startIndex=1&count=100",
                    "/Users?startIndex=101&count=100",
                    "/Users?startIndex=201&count=100",
                    "/Users?startIndex=1&count=100",
                    "/Users?startIndex=101&count=100",
                ]
            );
        }
        let s = state(200, &[]);
        let mut w = Worker::new(0, 4, "t");
        let last = (0..3).map(|_| w.next(Scenario::PageIndex, &s, "").path).last();
        assert_eq!(last.as_deref(), Some("/Users?startIndex=201&count=100"), "the empty page past the end ends a walk");
    }

    #[test]
    fn deactivate_is_oktas_pathless_replace_of_active_then_true_on_the_next_pass() {
        let s = state(4, &[]);
        let mut w = Worker::new(0, 2, "t");
        let first = w.next(Scenario::Deactivate, &s, "");
        assert_eq!(first.method, Method::PATCH);
        assert_eq!(first.path, "/Users/id0");
        let body = first.body.unwrap();
        assert_eq!(body["schemas"], json!([crate::data::PATCH_OP]));
        assert_eq!(body["Operations"], json!([{"op": "replace", "value": {"active": false}}]));
        w.next(Scenario::Deactivate, &s, "");
        let again = w.next(Scenario::Deactivate, &s, "").body.unwrap();
        assert_eq!(again["Operations"], json!([{"op": "replace", "value": {"active": true}}]));
    }
}
