//! What the services spent during a measured window: CPU time of each
//! process under test (`utime + stime` from `/proc/PID/stat`) and, for
//! identity-core, the statements it sent to the database (the Prometheus
//! text on its `--metrics-listen` address). A [`Sample`] is taken just
//! before and just after the window; [`Sample::delta`] divides the
//! difference by the requests of the window.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Map, Value, json};

/// Counter of every statement identity-core sent (BEGIN and COMMIT included).
const STATEMENTS: &str = "identity_core_db_statements_total";
/// Histogram of statements per gRPC call, by method (`_sum` and `_count`).
const CALL_STATEMENTS: &str = "identity_core_grpc_call_statements";

/// The processes and the metrics endpoint to sample.
pub struct Probe {
    /// (name, pid), e.g. ("identity-core", 4242).
    processes: Vec<(String, u32)>,
    /// identity-core's `http://ADDR/metrics`, when it serves one.
    metrics_url: Option<String>,
    http: reqwest::Client,
    /// Clock ticks per second of `/proc/PID/stat` (`getconf CLK_TCK`).
    ticks_per_second: f64,
}

/// The counters at one instant.
pub struct Sample {
    at: Instant,
    /// Process name -> CPU ticks (user + system), for the processes alive.
    cpu_ticks: BTreeMap<String, u64>,
    /// `identity_core_db_statements_total`, when scraped.
    statements: Option<f64>,
    /// gRPC method -> (statements of its calls, calls), when scraped.
    calls: BTreeMap<String, (f64, f64)>,
}

impl Probe {
    pub fn new(processes: Vec<(String, u32)>, metrics_url: Option<String>, http: reqwest::Client) -> Self {
        Self { processes, metrics_url, http, ticks_per_second: clock_ticks_per_second() }
    }

    /// Reads every counter now. A missing process or an unanswered scrape
    /// leaves its counters out (the columns say n/a), with a warning.
    pub async fn sample(&self) -> Sample {
        let cpu_ticks =
            self.processes.iter().filter_map(|(name, pid)| Some((name.clone(), cpu_ticks(*pid)?))).collect();
        let (statements, calls) = match &self.metrics_url {
            Some(url) => match self.scrape(url).await {
                Ok(text) => parse_metrics(&text),
                Err(e) => {
                    eprintln!("warning: cannot scrape {url}: {e}");
                    (None, BTreeMap::new())
                }
            },
            None => (None, BTreeMap::new()),
        };
        Sample { at: Instant::now(), cpu_ticks, statements, calls }
    }

    async fn scrape(&self, url: &str) -> Result<String, reqwest::Error> {
        self.http.get(url).send().await?.error_for_status()?.text().await
    }

    /// What one request of the window cost, from `before` to `after`:
    /// `statements_per_request`, `cpu_us_per_request` and `cpu_cores`
    /// (average cores busy) by process, and `calls_per_request` by gRPC
    /// method (calls and statements per call).
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
        let statements = match (before.statements, after.statements) {
            (Some(b), Some(a)) => per_request(a - b),
            _ => Value::Null,
        };
        let mut calls = Map::new();
        for (method, &(sum, count)) in &after.calls {
            let (sum0, count0) = before.calls.get(method).copied().unwrap_or_default();
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

/// The statement counter and, by method, the `_sum` and `_count` of the
/// statements-per-call histogram, from Prometheus / OpenMetrics text.
fn parse_metrics(text: &str) -> (Option<f64>, BTreeMap<String, (f64, f64)>) {
    let mut statements = None;
    let mut calls: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else { continue };
        let Ok(value) = value.parse::<f64>() else { continue };
        if series == STATEMENTS {
            statements = Some(value);
            continue;
        }
        let Some(rest) = series.strip_prefix(CALL_STATEMENTS) else { continue };
        let Some((suffix, labels)) = rest.split_once('{') else { continue };
        let Some(method) = labels.split("method=\"").nth(1).and_then(|m| m.split('"').next()) else { continue };
        let entry = calls.entry(method.to_owned()).or_default();
        match suffix {
            "_sum" => entry.0 = value,
            "_count" => entry.1 = value,
            _ => {}
        }
    }
    (statements, calls)
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
        let (statements, calls) = parse_metrics(text);
        assert_eq!(statements, Some(1500.0));
        assert_eq!(calls["/identity.v1.UserService/ListUsers"], (200.0, 100.0));
    }
}
