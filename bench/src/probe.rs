//! What the services spent during a measured window: CPU time of each
//! process under test (`utime + stime` from `/proc/PID/stat`) and, for
//! identity-core, the statements it sent to the database and the
//! transactions it started over (the Prometheus text on its
//! `--metrics-listen` address). Replicas are summed: processes given the
//! same name, and several identity-core metrics endpoints. A [`Sample`] is
//! taken just before and just after the window; [`Probe::delta`] divides
//! the difference by the requests of the window.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Map, Value, json};

/// Counter of every statement identity-core sent (BEGIN and COMMIT included).
const STATEMENTS: &str = "identity_core_db_statements_total";
/// Histogram of statements per gRPC call, by method (`_sum` and `_count`).
const CALL_STATEMENTS: &str = "identity_core_grpc_call_statements";
/// Counter of transactions started over (a deadlock, or on Galera a
/// certification failure or brute-force abort), by cause.
const RETRIES: &str = "identity_core_db_transaction_retries_total";

/// The processes and the metrics endpoint to sample.
pub struct Probe {
    /// (name, pid), e.g. ("identity-core", 4242).
    processes: Vec<(String, u32)>,
    /// identity-core's `http://ADDR/metrics`, one per replica (none: no
    /// statement or retry counts).
    metrics_urls: Vec<String>,
    http: reqwest::Client,
    /// Clock ticks per second of `/proc/PID/stat` (`getconf CLK_TCK`).
    ticks_per_second: f64,
}

/// The counters at one instant.
pub struct Sample {
    at: Instant,
    /// Process name -> CPU ticks (user + system), for the processes alive.
    cpu_ticks: BTreeMap<String, u64>,
    /// The identity-core counters, summed over the replicas; `None` unless
    /// every endpoint answered.
    metrics: Option<Metrics>,
}

/// identity-core's counters at one instant.
#[derive(Default, Debug, PartialEq)]
struct Metrics {
    /// `identity_core_db_statements_total`.
    statements: f64,
    /// `identity_core_db_transaction_retries_total`, every cause.
    retries: f64,
    /// gRPC method -> (statements of its calls, calls).
    calls: BTreeMap<String, (f64, f64)>,
}

impl Metrics {
    fn add(&mut self, other: Metrics) {
        self.statements += other.statements;
        self.retries += other.retries;
        for (method, (sum, count)) in other.calls {
            let entry = self.calls.entry(method).or_default();
            entry.0 += sum;
            entry.1 += count;
        }
    }
}

impl Probe {
    pub fn new(processes: Vec<(String, u32)>, metrics_urls: Vec<String>, http: reqwest::Client) -> Self {
        Self { processes, metrics_urls, http, ticks_per_second: clock_ticks_per_second() }
    }

    /// Reads every counter now. A missing process or an unanswered scrape
    /// leaves its counters out (the columns say n/a), with a warning.
    pub async fn sample(&self) -> Sample {
        let mut ticks = BTreeMap::new();
        for (name, pid) in &self.processes {
            if let Some(t) = cpu_ticks(*pid) {
                *ticks.entry(name.clone()).or_default() += t;
            }
        }
        let mut metrics = (!self.metrics_urls.is_empty()).then(Metrics::default);
        for url in &self.metrics_urls {
            match self.scrape(url).await {
                Ok(text) => {
                    if let Some(m) = metrics.as_mut() {
                        m.add(parse_metrics(&text));
                    }
                }
                Err(e) => {
                    eprintln!("warning: cannot scrape {url}: {e}");
                    metrics = None;
                }
            }
        }
        Sample { at: Instant::now(), cpu_ticks: ticks, metrics }
    }

    async fn scrape(&self, url: &str) -> Result<String, reqwest::Error> {
        self.http.get(url).send().await?.error_for_status()?.text().await
    }

    /// What one request of the window cost, from `before` to `after`:
    /// `statements_per_request`, `cpu_us_per_request` and `cpu_cores`
    /// (average cores busy) by process, `calls_per_request` by gRPC
    /// method (calls and statements per call), and `transaction_retries`
    /// (the window's total, not per request).
    pub fn delta(&self, before: &Sample, after: &Sample, requests: u64) -> Value {
        let per_request = |x: f64| if requests == 0 { Value::Null } else { json!(x / requests as f64) };
        let wall = after.at.duration_since(before.at).as_secs_f64();
        let mut cpu_us = Map::new();
        let mut cores = Map::new();
        for (name, &end) in &after.cpu_ticks {
            let Some(&start) = before.cpu_ticks.get(name) else { continue };
            let seconds = end.saturating_sub(start) as f64 / self.ticks_per_second;
            cpu_us.insert(name.clone(), per_request(seconds * 1e6));
            cores.insert(name.clone(), if wall > 0.0 { json!(seconds / wall) } else { Value::Null });
        }
        let (statements, retries) = match (&before.metrics, &after.metrics) {
            (Some(b), Some(a)) => (per_request(a.statements - b.statements), json!(a.retries - b.retries)),
            _ => (Value::Null, Value::Null),
        };
        let mut calls = Map::new();
        let no_calls = BTreeMap::new();
        let before_calls = before.metrics.as_ref().map_or(&no_calls, |m| &m.calls);
        for (method, &(sum, count)) in after.metrics.as_ref().map_or(&no_calls, |m| &m.calls) {
            let (sum0, count0) = before_calls.get(method).copied().unwrap_or_default();
            let n = count - count0;
            if n > 0.0 && requests > 0 {
                calls.insert(
                    method.clone(),
                    json!({"calls": n / requests as f64, "statements_per_call": (sum - sum0) / n}),
                );
            }
        }
        json!({
            "requests": requests,
            "statements_per_request": statements,
            "cpu_us_per_request": cpu_us,
            "cpu_cores": cores,
            "calls_per_request": calls,
            "transaction_retries": retries,
        })
    }
}

/// `getconf CLK_TCK` (100 on Linux when it cannot be asked).
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse::<f64>().ok())
        .filter(|&t| t > 0.0)
        .unwrap_or(100.0)
}

/// `utime + stime` of a process, in clock ticks (fields 14 and 15 of
/// `/proc/PID/stat`; threads included).
fn cpu_ticks(pid: u32) -> Option<u64> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn parse_stat(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces:
    // count fields from after its closing parenthesis, which is field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// The statement counter, the retry counter (every cause; 0 before the
/// first retry, when the family has no series yet) and, by method, the
/// `_sum` and `_count` of the statements-per-call histogram, from
/// Prometheus / OpenMetrics text.
fn parse_metrics(text: &str) -> Metrics {
    let mut m = Metrics::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else { continue };
        let Ok(value) = value.parse::<f64>() else { continue };
        if series == STATEMENTS {
            m.statements = value;
            continue;
        }
        if series.split('{').next() == Some(RETRIES) {
            m.retries += value;
            continue;
        }
        let Some(rest) = series.strip_prefix(CALL_STATEMENTS) else { continue };
        let Some((suffix, labels)) = rest.split_once('{') else { continue };
        let Some(method) = labels.split("method=\"").nth(1).and_then(|m| m.split('"').next()) else { continue };
        let entry = m.calls.entry(method.to_owned()).or_default();
        match suffix {
            "_sum" => entry.0 = value,
            "_count" => entry.1 = value,
            _ => {}
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime_even_when_the_name_has_spaces() {
        let stat = "4242 (identity core) S 1 4242 4242 0 -1 4194560 900 0 0 0 1234 56 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_stat(stat), Some(1234 + 56));
    }

    #[test]
    fn the_statement_counter_and_per_method_sums_are_read_from_the_exposition() {
        let text = "# HELP identity_core_db_statements Statements sent\n\
            # TYPE identity_core_db_statements counter\n\
            identity_core_db_statements_total 1500\n\
            identity_core_grpc_call_statements_sum{method=\"/identity.v1.UserService/ListUsers\"} 200.0\n\
            identity_core_grpc_call_statements_count{method=\"/identity.v1.UserService/ListUsers\"} 100\n\
            identity_core_grpc_call_statements_bucket{le=\"1.0\",method=\"/identity.v1.UserService/ListUsers\"} 0\n\
            # EOF\n";
        let m = parse_metrics(text);
        assert_eq!(m.statements, 1500.0);
        assert_eq!(m.retries, 0.0, "no retry series yet: none retried");
        assert_eq!(m.calls["/identity.v1.UserService/ListUsers"], (200.0, 100.0));
    }

    #[test]
    fn retries_of_every_cause_and_of_every_replica_are_summed() {
        let a = "identity_core_db_statements_total 10\n\
            identity_core_db_transaction_retries_total{cause=\"deadlock\"} 3\n\
            identity_core_db_transaction_retries_total{cause=\"conflict\"} 1\n\
            identity_core_grpc_call_statements_sum{method=\"/identity.v1.GroupService/UpdateGroup\"} 40\n\
            identity_core_grpc_call_statements_count{method=\"/identity.v1.GroupService/UpdateGroup\"} 5\n";
        let b = "identity_core_db_statements_total 7\n\
            identity_core_db_transaction_retries_total{cause=\"deadlock\"} 2\n\
            identity_core_grpc_call_statements_sum{method=\"/identity.v1.GroupService/UpdateGroup\"} 16\n\
            identity_core_grpc_call_statements_count{method=\"/identity.v1.GroupService/UpdateGroup\"} 2\n";
        let mut m = parse_metrics(a);
        assert_eq!(m.retries, 4.0);
        m.add(parse_metrics(b));
        assert_eq!(m.statements, 17.0);
        assert_eq!(m.retries, 6.0);
        assert_eq!(m.calls["/identity.v1.GroupService/UpdateGroup"], (56.0, 7.0));
    }

    #[test]
    fn the_retries_of_a_window_are_its_difference_and_unknown_without_a_scrape() {
        let probe = Probe::new(Vec::new(), Vec::new(), reqwest::Client::new());
        let sample = |retries: f64, scraped: bool| Sample {
            at: Instant::now(),
            cpu_ticks: BTreeMap::new(),
            metrics: scraped.then(|| Metrics { statements: retries * 10.0, retries, calls: BTreeMap::new() }),
        };
        let d = probe.delta(&sample(2.0, true), &sample(5.0, true), 10);
        assert_eq!(d["transaction_retries"], json!(3.0));
        assert_eq!(d["statements_per_request"], json!(3.0));
        let d = probe.delta(&sample(2.0, true), &sample(5.0, false), 10);
        assert_eq!(d["transaction_retries"], Value::Null);
    }
}
