//! OTLP trace export through the real binaries: with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` set, scim-edge and identity-core send their
//! spans to an OTLP/gRPC collector (a real tonic server here), in one trace:
//! the client's `traceparent` trace id, the core's call span a child of the
//! edge's request span, and a `db_transaction` span inside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use reqwest::StatusCode;
use serde_json::json;
use support::*;
use tokio_stream::wrappers::TcpListenerStream;

/// (service.name, span name, trace id, span id, parent span id), hex.
type Seen = Arc<Mutex<Vec<(String, String, String, String, String)>>>;

struct Collector(Seen);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut seen = self.0.lock().unwrap();
        for rs in request.into_inner().resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                    AnyValue::StringValue(s) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            for span in rs.scope_spans.into_iter().flat_map(|s| s.spans) {
                seen.push((
                    service.clone(),
                    span.name,
                    hex::encode(span.trace_id),
                    hex::encode(span.span_id),
                    hex::encode(span.parent_span_id),
                ));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

async fn spans_reach_the_collector_in_one_trace(url: &str) {
    let seen: Seen = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let collector = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(Collector(seen.clone())))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );

    let mut cmd = command(core_bin());
    cmd.args(["serve", "--database-url", url, "--listen", "127.0.0.1:0"]).env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint);
    let mut core = Service::spawn("identity-core", cmd);
    let core_addr = core.wait_for_addr(CORE_LISTENING);
    let mut cmd = command(edge_bin());
    cmd.args(["--core-url", &format!("http://{core_addr}"), "--listen", "127.0.0.1:0"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint);
    let mut edge = Service::spawn("scim-edge", cmd);
    let base = format!("http://{}/scim/v2", edge.wait_for_addr(EDGE_LISTENING));
    let token = new_token(url, "acme");

    let trace_id = TRACE_ID;
    let resp = post_traced_user(&base, &token, json!({"userName": "a@x.com"}), &[]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    // A graceful stop flushes the exporters.
    assert!(edge.terminate().success());
    assert!(core.terminate().success());
    collector.abort();

    let seen = seen.lock().unwrap().clone();
    let in_trace: Vec<_> = seen.iter().filter(|s| s.2 == trace_id).collect();
    let edge_span = in_trace
        .iter()
        .find(|s| s.0 == "scim-edge" && s.1 == "http")
        .unwrap_or_else(|| panic!("no edge request span in the trace: {seen:?}"));
    assert_eq!(edge_span.4, CLIENT_SPAN_ID, "the edge span's parent is the client's span");
    let core_calls: Vec<_> = in_trace.iter().filter(|s| s.0 == "identity-core" && s.1 == "grpc").collect();
    assert!(!core_calls.is_empty(), "no core call span in the trace: {seen:?}");
    assert!(core_calls.iter().all(|s| s.4 == edge_span.3), "core spans are children of the edge span: {seen:?}");
    let tx = in_trace
        .iter()
        .find(|s| s.0 == "identity-core" && s.1 == "db_transaction")
        .unwrap_or_else(|| panic!("no db_transaction span: {seen:?}"));
    assert!(core_calls.iter().any(|c| c.3 == tx.4), "the transaction span is inside a call span: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_the_collector_in_one_trace_on_sqlite() {
    let dir = TempDir::new();
    spans_reach_the_collector_in_one_trace(&dir.sqlite_url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_the_collector_in_one_trace_on_mariadb() {
    let Some(db) = MariaDb::create().await else { return };
    let mut migrate = command(core_bin());
    migrate.args(["migrate", "--database-url", &db.url()]);
    assert!(run(migrate).status.success());
    spans_reach_the_collector_in_one_trace(&db.url()).await;
}
