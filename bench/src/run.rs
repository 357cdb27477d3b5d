//! `scim-bench run`: each scenario `--repeat` times back to back, each run
//! a warm-up then `--seconds` measured, with `--concurrency` workers each
//! keeping one request in flight. The workers keep their place across the
//! runs of a scenario (a walk goes on, a deactivate pass is not repeated).
//! Around each measured window the [`Probe`] reads the services' CPU time
//! and identity-core's statement and retry counters. With several base
//! URLs (replicas of one service, e.g. two scim-edges) the requests take
//! them in turn, round-robin per request. A scenario the server does not
//! advertise (its /ServiceProviderConfig) or whose group was not loaded is
//! reported "n/a", never failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::RunArgs;
use crate::probe::Probe;
use crate::scenarios::{self, Check, Req, Scenario, Worker};
use crate::state::State;
use crate::stats::Record;

/// Bound of one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The server under test: one base URL, or several replicas taking the
/// requests in turn.
struct Target {
    http: reqwest::Client,
    bases: Vec<String>,
    /// The requests sent so far, for the round-robin.
    sent: AtomicUsize,
    bearer: String,
}

impl Target {
    /// The base URL of the next request: each in turn.
    fn next_base(&self) -> &str {
        &self.bases[self.sent.fetch_add(1, Ordering::Relaxed) % self.bases.len()]
    }
}

/// What the server says it supports (RFC 7644 §5, RFC 9865 §4); replicas
/// are one service, so the first base URL answers for all.
struct Capabilities {
    patch: bool,
    filter: bool,
    cursor: bool,
}

/// The head of a ListResponse: all the checks read.
#[derive(Deserialize)]
struct ListHead {
    #[serde(rename = "totalResults")]
    total_results: Option<u64>,
    #[serde(rename = "nextCursor")]
    next_cursor: Option<String>,
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let state = Arc::new(State::read(&args.state)?);
    let scenarios = scenarios::expand(&args.scenarios, &state)?;
    let concurrency = args.concurrency.max(1);
    let repeat = args.repeat.max(1);
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(concurrency * 2)
        .tcp_nodelay(true)
        .build()?;
    let mut processes = Vec::new();
    for spec in &args.pids {
        let (name, pid) = spec.split_once('=').with_context(|| format!("--pid {spec}: expected NAME=PID"))?;
        let pid: u32 = pid.parse().with_context(|| format!("--pid {spec}: not a pid"))?;
        processes.push((name.to_owned(), pid));
    }
    let probe = Probe::new(processes.clone(), args.metrics_url.clone(), http.clone());
    let bases: Vec<String> =
        args.base.iter().map(|b| b.trim().trim_end_matches('/').to_owned()).filter(|b| !b.is_empty()).collect();
    anyhow::ensure!(!bases.is_empty(), "--base: no URL given");
    let target = Arc::new(Target { http, bases, sent: AtomicUsize::new(0), bearer: format!("Bearer {}", args.token) });
    let caps = capabilities(&target).await;
    let run_tag = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default().to_string();

    eprintln!(
        "{}: {} scenarios x {repeat} runs, {} s each (+{} s warm-up), concurrency {concurrency}, {} lookup users ({} in all)",
        args.label,
        scenarios.len(),
        args.seconds,
        args.warmup,
        state.lookup_users,
        state.user_ids.len()
    );
    let mut results = Vec::new();
    for scenario in scenarios {
        let name = scenario.name();
        let base = json!({
            "scenario": name,
            "group_size": scenario.group_size(),
            "request": scenario.request(),
        });
        let group_id = match scenario.group_size().map(|n| state.group(n)) {
            Some(Err(why)) => {
                eprintln!("{:<28} n/a: {why}", name);
                results.push(merge(base, json!({"status": "n/a", "reason": why})));
                continue;
            }
            Some(Ok(id)) => id.to_owned(),
            None => String::new(),
        };
        if let Some(why) = not_advertised(scenario, &caps) {
            eprintln!("{:<28} n/a: {why}", name);
            results.push(merge(base, json!({"status": "n/a", "reason": why})));
            continue;
        }
        let mut workers: Vec<Worker> = (0..concurrency).map(|w| Worker::new(w, concurrency, &run_tag)).collect();
        let mut runs = Vec::new();
        for _ in 0..repeat {
            let warmup = Duration::from_secs_f64(args.warmup.max(0.0));
            let (warm, _, _) = drive(&target, &state, scenario, &group_id, workers, warmup, false).await;
            let before = probe.sample().await;
            let measured = Duration::from_secs_f64(args.seconds.max(0.1));
            let (done, record, seconds) = drive(&target, &state, scenario, &group_id, warm, measured, true).await;
            workers = done;
            let after = probe.sample().await;
            let requests = record.latencies_us.len() as u64 + record.errors;
            let cost = probe.delta(&before, &after, requests);
            let summary = record.summary(seconds);
            eprintln!(
                "{:<28} {:>8} ops {:>9.1}/s  p50 {:>8.2} ms  p99 {:>8.2} ms  errors {}  {}",
                name,
                summary.ops,
                summary.throughput,
                summary.p50_ms.unwrap_or(f64::NAN),
                summary.p99_ms.unwrap_or(f64::NAN),
                summary.errors,
                describe_cost(&cost),
            );
            for (kind, n) in &summary.error_kinds {
                eprintln!("    {n} x {kind}");
            }
            runs.push(merge(json!({"seconds": seconds, "summary": summary}), cost));
        }
        results.push(merge(base, json!({"status": "ok", "runs": runs})));
    }

    let mut rss = serde_json::Map::new();
    for (name, pid) in processes {
        // Replicas of one name: `scim-edge`, `scim-edge#2`, ...
        let mut key = name.clone();
        for n in 2.. {
            if !rss.contains_key(&key) {
                break;
            }
            key = format!("{name}#{n}");
        }
        rss.insert(key, memory_of(pid));
    }
    let out = json!({
        "label": args.label,
        "base": target.bases.join(","),
        "concurrency": concurrency,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "repeat": repeat,
        "lookup_users": state.lookup_users,
        "total_users": state.user_ids.len(),
        "groups": state.groups,
        "load_steps": state.load_steps,
        "scenarios": results,
        "rss": rss,
    });
    std::fs::write(&args.out, serde_json::to_vec_pretty(&out)?)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    Ok(())
}

/// `stmts/req 2.00  identity-core 410 us/req ...` for the progress lines.
fn describe_cost(cost: &Value) -> String {
    let mut out = String::new();
    if let Some(s) = cost["statements_per_request"].as_f64() {
        out.push_str(&format!("stmts/req {s:.2}"));
    }
    if let Some(cpu) = cost["cpu_us_per_request"].as_object() {
        for (name, us) in cpu {
            if let Some(us) = us.as_f64() {
                out.push_str(&format!("  {name} {us:.0} us/req"));
            }
        }
    }
    out
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

async fn capabilities(target: &Target) -> Capabilities {
    let all = Capabilities { patch: true, filter: true, cursor: true };
    let resp =
        target.http.get(format!("{}/ServiceProviderConfig", target.bases[0])).header("Authorization", &target.bearer);
    let doc: Value = match resp.send().await {
        Ok(r) if r.status().is_success() => r.json().await.unwrap_or(Value::Null),
        Ok(r) => {
            eprintln!("warning: /ServiceProviderConfig answered {}; assuming every feature", r.status());
            return all;
        }
        Err(e) => {
            eprintln!("warning: /ServiceProviderConfig failed ({e}); assuming every feature");
            return all;
        }
    };
    Capabilities {
        patch: doc["patch"]["supported"].as_bool().unwrap_or(false),
        filter: doc["filter"]["supported"].as_bool().unwrap_or(false),
        cursor: doc["pagination"]["cursor"].as_bool().unwrap_or(false),
    }
}

fn not_advertised(scenario: Scenario, caps: &Capabilities) -> Option<String> {
    match scenario {
        Scenario::PageCursor if !caps.cursor => {
            Some("cursor paging (RFC 9865) not advertised in /ServiceProviderConfig".to_owned())
        }
        Scenario::LookupUserName | Scenario::LookupEmail | Scenario::FilterFamilyActive if !caps.filter => {
            Some("filtering not advertised in /ServiceProviderConfig".to_owned())
        }
        Scenario::Deactivate | Scenario::MemberAddRemove(_) if !caps.patch => {
            Some("PATCH not advertised in /ServiceProviderConfig".to_owned())
        }
        _ => None,
    }
}

/// Runs the workers for `length`: each sends requests until it is over,
/// and every worker's last request is awaited. Returns the workers (where
/// they stopped), what the requests saw (recorded only when `measure`),
/// and the seconds from the start until the last answer.
async fn drive(
    target: &Arc<Target>,
    state: &Arc<State>,
    scenario: Scenario,
    group_id: &str,
    workers: Vec<Worker>,
    length: Duration,
    measure: bool,
) -> (Vec<Worker>, Record, f64) {
    let start = Instant::now();
    let until = start + length;
    let mut tasks = Vec::new();
    for mut worker in workers {
        let (target, state, group_id) = (target.clone(), state.clone(), group_id.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut record = Record::default();
            loop {
                let sent = Instant::now();
                if sent >= until {
                    return (worker, record, sent);
                }
                let req = worker.next(scenario, &state, &group_id);
                let outcome = send(&target, req, &mut worker).await;
                if measure {
                    match outcome {
                        Ok(()) => record.ok(sent.elapsed().as_micros()),
                        Err(kind) => record.error(kind),
                    }
                }
            }
        }));
    }
    let mut total = Record::default();
    let mut end = until;
    let mut workers = Vec::new();
    for task in tasks {
        match task.await {
            Ok((worker, record, last)) => {
                workers.push(worker);
                total.merge(record);
                end = end.max(last);
            }
            Err(e) => total.error(format!("worker panicked: {e}")),
        }
    }
    (workers, total, end.duration_since(start).as_secs_f64())
}

/// Sends one request and checks the answer; the error description on
/// failure.
async fn send(target: &Target, req: Req, worker: &mut Worker) -> Result<(), String> {
    let Req { method, path, body, check } = req;
    let mut builder =
        target.http.request(method, format!("{}{path}", target.next_base())).header("Authorization", &target.bearer);
    if let Some(b) = body {
        builder = builder.header("Content-Type", "application/scim+json").body(b.to_string());
    }
    let resp = builder.send().await.map_err(|e| format!("transport: {}", describe(&e)))?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.map_err(|e| format!("transport (body): {}", describe(&e)))?;
    let expected: &[u16] = match check {
        Check::Status(s) => s,
        Check::OneResult | Check::Cursor => &[200],
    };
    if !expected.contains(&status) {
        let text =
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(format!("HTTP {status}: {text}"));
    }
    match check {
        Check::Status(_) => Ok(()),
        Check::OneResult => {
            let head: ListHead =
                serde_json::from_slice(&bytes).map_err(|e| format!("HTTP {status}, not a ListResponse: {e}"))?;
            match head.total_results {
                Some(1) => Ok(()),
                other => Err(format!("HTTP {status} with totalResults {other:?}, expected 1")),
            }
        }
        Check::Cursor => {
            let head: ListHead =
                serde_json::from_slice(&bytes).map_err(|e| format!("HTTP {status}, not a ListResponse: {e}"))?;
            worker.cursor = head.next_cursor.filter(|c| !c.is_empty());
            Ok(())
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// Peak and current resident set of a process, in KiB (`/proc/PID/status`).
fn memory_of(pid: u32) -> Value {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return json!({"pid": pid, "error": "process not found"});
    };
    let field = |name: &str| -> Option<u64> {
        status.lines().find_map(|l| l.strip_prefix(name)?.trim().strip_suffix("kB")?.trim().parse().ok())
    };
    json!({"pid": pid, "vm_hwm_kib": field("VmHWM:"), "vm_rss_kib": field("VmRSS:")})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_bases_take_the_requests_in_turn() {
        let target = Target {
            http: reqwest::Client::new(),
            bases: vec!["http://a/scim/v2".into(), "http://b/scim/v2".into()],
            sent: AtomicUsize::new(0),
            bearer: String::new(),
        };
        let seen: Vec<&str> = (0..5).map(|_| target.next_base()).collect();
        assert_eq!(
            seen,
            ["http://a/scim/v2", "http://b/scim/v2", "http://a/scim/v2", "http://b/scim/v2", "http://a/scim/v2"]
        );
    }
}
