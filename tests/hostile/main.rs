//! Randomized hostile input: a seeded, bounded stream of generated requests
//! ([`requests`]) sent to a stack on SQLite and, the same stream, to a stack on
//! MariaDB. It fails on any 5xx, and on any request whose status class
//! differs between the backends (a length, type or count accepted by one
//! and refused by the other). Bodies are not compared: ids differ.
//!
//! Knobs: `HOSTILE_SEED` (a number, or `random`; printed on every run and
//! in the failure), `HOSTILE_REQUESTS` (per backend, default 2,000),
//! `HOSTILE_SECONDS` (a wall-clock bound, default 150: the run stops early
//! and passes on what it sent), `HOSTILE_TRACE` (set: print every request
//! and its statuses).

#![allow(clippy::unwrap_used)]

mod requests;

use std::time::{Duration, Instant};

use e2e_tests::{Backend, TestApp};
use futures_util::future::join_all;
use requests::{Gen, Req};
use reqwest::Method;
use serde_json::Value;

/// The seed used when `HOSTILE_SEED` is unset: CI runs the same stream
/// every time (a failure is a regression, not luck).
const DEFAULT_SEED: u64 = 0x5C1A_2026;
const DEFAULT_REQUESTS: usize = 2_000;
const DEFAULT_SECONDS: u64 = 150;
const MAX_REPORTED: usize = 20;

/// What a stack answered.
struct Answer {
    status: u16,
    body: Value,
}

/// One stack and the ids of the resources it created, in creation order:
/// `@@U3@@` is the user created fourth (mod the number created).
struct Stack {
    app: TestApp,
    http: reqwest::Client,
    users: Vec<String>,
    groups: Vec<String>,
}

impl Stack {
    fn resolve(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find("@@") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            let Some(end) = after.find("@@") else {
                out.push_str(&rest[at..]);
                return out;
            };
            let token = &after[..end];
            let (list, n) = match (token.get(..1), token.get(1..).and_then(|n| n.parse::<usize>().ok())) {
                (Some("U"), Some(n)) => (&self.users, n),
                (Some("G"), Some(n)) => (&self.groups, n),
                _ => {
                    out.push_str("@@");
                    rest = after;
                    continue;
                }
            };
            match list.get(n % list.len().max(1)) {
                Some(id) => out.push_str(id),
                // Nothing created yet: an id that names nothing, the same on both stacks.
                None => out.push_str("00000000-0000-7000-8000-000000000000"),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    async fn send(&mut self, req: &Req) -> Answer {
        let auth = format!("Bearer {}", self.app.token);
        let path = self.resolve(&req.path);
        let body = req.body.as_deref().map(|b| self.resolve(b));
        let mut headers = vec![("Authorization", auth.as_str())];
        if body.is_some() && !req.content_type.is_empty() {
            headers.push(("Content-Type", req.content_type));
        }
        if let Some(m) = &req.if_match {
            headers.push(("If-Match", m.as_str()));
        }
        let method = Method::from_bytes(req.method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.app.base));
        for (k, v) in headers {
            request = request.header(k, v);
        }
        if let Some(b) = body {
            request = request.body(b);
        }
        // No answer at all (a dropped connection) is reported as status 0.
        let answer = match request.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                Answer { status, body }
            }
            Err(e) => Answer { status: 0, body: Value::String(e.to_string()) },
        };
        self.remember(req, &answer);
        answer
    }

    /// Keeps the ids of what was created (directly or through Bulk).
    fn remember(&mut self, req: &Req, a: &Answer) {
        let id = a.body.get("id").and_then(Value::as_str).map(str::to_owned);
        match (req.method, req.path.as_str(), a.status, id) {
            ("POST", "/Users", 201, Some(id)) => self.users.push(id),
            ("POST", "/Groups", 201, Some(id)) => self.groups.push(id),
            ("POST", "/Bulk", 200, _) => {
                for op in a.body["Operations"].as_array().into_iter().flatten() {
                    let (Some("201"), Some(location)) = (op["status"].as_str(), op["location"].as_str()) else {
                        continue;
                    };
                    let id = location.rsplit('/').next().unwrap_or_default().to_owned();
                    if location.contains("/Users/") {
                        self.users.push(id);
                    } else if location.contains("/Groups/") {
                        self.groups.push(id);
                    }
                }
            }
            _ => {}
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn seed() -> u64 {
    match std::env::var("HOSTILE_SEED").ok().as_deref().map(str::trim) {
        Some("random") => fastrand::u64(..),
        Some(s) => s.parse().unwrap_or_else(|_| panic!("HOSTILE_SEED must be a number or `random`, not {s:?}")),
        None => DEFAULT_SEED,
    }
}

fn short(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_never_get_a_5xx_and_agree_across_backends() {
    let seed = seed();
    let total = usize::try_from(env_number("HOSTILE_REQUESTS").unwrap_or(DEFAULT_REQUESTS as u64)).unwrap();
    let budget = Duration::from_secs(env_number("HOSTILE_SECONDS").unwrap_or(DEFAULT_SECONDS));
    let replay = format!("HOSTILE_SEED={seed} HOSTILE_REQUESTS={total} cargo test -p e2e-tests --test hostile");
    eprintln!("hostile: seed {seed}, {total} requests per backend; replay: {replay}");

    let sqlite = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mariadb = TestApp::spawn(Backend::MariaDb).await;
    let mut stacks = vec![Stack { app: sqlite, http: reqwest::Client::new(), users: Vec::new(), groups: Vec::new() }];
    if let Some(app) = mariadb {
        stacks.push(Stack { app, http: reqwest::Client::new(), users: Vec::new(), groups: Vec::new() });
    }

    let trace = std::env::var_os("HOSTILE_TRACE").is_some();
    let mut generator = Gen::new(seed);
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut sent = 0;
    let mut classes = [0usize; 6];
    for i in 0..total {
        if started.elapsed() > budget {
            eprintln!("hostile: stopped after {i} requests ({}s bound)", budget.as_secs());
            break;
        }
        let req = generator.next();
        // The same request to every stack at once.
        let answers = join_all(stacks.iter_mut().map(|s| s.send(&req))).await;
        sent += 1;
        let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
        if trace {
            eprintln!(
                "#{i} {statuses:?} {} {} {}",
                req.method,
                short(&req.path, 200),
                short(req.body.as_deref().unwrap_or(""), 300)
            );
        }
        classes[usize::from(statuses[0] / 100).min(5)] += 1;
        let server_error = statuses.iter().any(|s| *s >= 500 || *s == 0);
        let disagree = statuses.iter().any(|s| s / 100 != statuses[0] / 100);
        if server_error || disagree {
            let answers: Vec<String> = stacks
                .iter()
                .zip(&answers)
                .map(|(s, a)| format!("{:?} {} {}", s.app.backend, a.status, short(&a.body.to_string(), 600)))
                .collect();
            failures.push(format!(
                "request #{i}: {} {}\n  body: {}\n  {}",
                req.method,
                short(&req.path, 300),
                short(req.body.as_deref().unwrap_or(""), 600),
                answers.join("\n  ")
            ));
        }
    }
    eprintln!(
        "hostile: {sent} requests per backend in {:.1}s; 2xx {}, 3xx {}, 4xx {}, 5xx {}; {} users, {} groups created",
        started.elapsed().as_secs_f64(),
        classes[2],
        classes[3],
        classes[4],
        classes[5],
        stacks[0].users.len(),
        stacks[0].groups.len()
    );
    assert!(
        failures.is_empty(),
        "{} hostile requests failed (seed {seed}; replay: {replay}):\n{}",
        failures.len(),
        failures.iter().take(MAX_REPORTED).cloned().collect::<Vec<_>>().join("\n")
    );
}
