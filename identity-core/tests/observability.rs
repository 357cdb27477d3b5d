//! Metrics, traces and logs through the real binaries: Prometheus text on
//! `--metrics-listen` after SCIM traffic, one trace id and request id seen
//! in both services' JSON logs, and the access log's fields (and absences).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

/// Starts core and edge on `url` with JSON logs and metrics; returns them
/// with the SCIM base URL and both metrics URLs.
fn stack(url: &str) -> (Service, Service, String, String, String) {
    let mut core = Service::core_with(url, &["--log-format", "json", "--metrics-listen", "127.0.0.1:0"]);
    let core_metrics = core.wait_for_line("metrics listening");
    let core_addr = core.wait_for_line("identity-core listening");
    let mut edge = Service::edge_with(
        &format!("http://{}", json_field(&core_addr, "addr")),
        &["--log-format", "json", "--metrics-listen", "127.0.0.1:0"],
    );
    let edge_metrics = edge.wait_for_line("metrics listening");
    let listening = edge.wait_for_line("scim-edge listening");
    let message = json_field(&listening, "message");
    let base = message.split_whitespace().last().unwrap().to_owned();
    let core_metrics = format!("http://{}/metrics", json_field(&core_metrics, "addr"));
    let edge_metrics = format!("http://{}/metrics", json_field(&edge_metrics, "addr"));
    (core, edge, base, core_metrics, edge_metrics)
}

/// A top-level string field of a JSON log line.
fn json_field(line: &str, field: &str) -> String {
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
    v[field].as_str().unwrap_or_else(|| panic!("no {field} in {line}")).to_owned()
}

async fn scrape(url: &str) -> String {
    let resp = http().get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.unwrap()
}

/// The value of the sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(series)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
}

async fn traffic_is_traced_logged_and_counted(url: &str) {
    let (mut core, mut edge, base, core_metrics, edge_metrics) = stack(url);
    let token = new_token(url, "acme");
    let trace_id = TRACE_ID;
    let user = json!({"userName": "a@x.com", "password": "hunter2-secret"});
    let resp = post_traced_user(&base, &token, user, &[("x-request-id", "req-42")]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["x-request-id"], "req-42");
    // A request without an id gets one.
    let resp = http().get(format!("{base}/Users/nope")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(resp.headers().get("x-request-id").is_some_and(|v| v.len() >= 16), "{:?}", resp.headers());

    // The edge's access log line: fields present, secrets absent.
    let access = edge.wait_for_line("\"route\":\"/scim/v2/Users\"");
    let line: Value = serde_json::from_str(&access).unwrap();
    assert_eq!(line["level"], json!("INFO"), "{access}");
    assert_eq!(line["method"], json!("POST"), "{access}");
    assert_eq!(line["status"], json!(201), "{access}");
    assert!(line["latency_ms"].is_number(), "{access}");
    assert!(line["tenant_id"].as_str().is_some_and(|t| t.len() == 36), "{access}");
    assert!(access.contains("req-42") && access.contains(trace_id), "{access}");
    let edge_log = edge.log_text();
    for secret in [token.as_str(), "hunter2-secret", "a@x.com"] {
        assert!(!edge_log.contains(secret), "the edge logged {secret:?}:\n{edge_log}");
    }

    // The core saw the same trace id and request id: its log line of the call carries them.
    let call = core.wait_for_line("/identity.v1.UserService/CreateUser");
    assert!(call.contains(trace_id) && call.contains("req-42"), "{call}");
    let _: Value = serde_json::from_str(&call).unwrap();
    let metrics = scrape(&core_metrics).await;
    assert!(
        sample(&metrics, "identity_core_grpc_calls_total{method=\"/identity.v1.UserService/CreateUser\",code=\"OK\"}")
            .is_some_and(|n| n >= 1.0),
        "{metrics}"
    );
    assert!(sample(&metrics, "identity_core_db_pool_connections_max").is_some_and(|n| n >= 1.0), "{metrics}");
    assert!(sample(&metrics, "identity_core_db_pool_waiting").is_some_and(|n| n >= 0.0), "{metrics}");
    assert!(metrics.contains("identity_core_grpc_call_duration_seconds_bucket"), "{metrics}");
    // Statements: the total, and per call (a create is BEGIN, INSERTs, COMMIT).
    assert!(sample(&metrics, "identity_core_db_statements_total").is_some_and(|n| n >= 4.0), "{metrics}");
    assert!(
        sample(&metrics, "identity_core_grpc_call_statements_count{method=\"/identity.v1.UserService/CreateUser\"}")
            .is_some_and(|n| n >= 1.0),
        "{metrics}"
    );

    let metrics = scrape(&edge_metrics).await;
    assert!(
        sample(&metrics, "scim_edge_http_requests_total{method=\"POST\",route=\"/scim/v2/Users\",status=\"2xx\"}")
            .is_some_and(|n| n >= 1.0),
        "{metrics}"
    );
    assert!(
        sample(&metrics, "scim_edge_http_requests_total{method=\"GET\",route=\"/scim/v2/Users/{id}\",status=\"4xx\"}")
            .is_some_and(|n| n >= 1.0),
        "{metrics}"
    );
    assert!(!metrics.contains("nope") && !metrics.contains("acme"), "unbounded label values:\n{metrics}");
}

#[tokio::test]
async fn traffic_is_traced_logged_and_counted_on_sqlite() {
    let dir = TempDir::new();
    traffic_is_traced_logged_and_counted(&dir.sqlite_url()).await;
}

#[tokio::test]
async fn traffic_is_traced_logged_and_counted_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    let mut migrate = command(core_bin());
    migrate.args(["migrate", "--database-url", &db.url()]);
    assert!(run(migrate).status.success());
    traffic_is_traced_logged_and_counted(&db.url()).await;
}
