//! Logs and traces of both services: log lines on stderr (text or one JSON
//! object per line, filtered by `RUST_LOG`), and, when the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, every span exported over OTLP/gRPC
//! (on the tonic/prost/hyper the services already use). Spans join the
//! caller's trace through W3C `traceparent` ([`extract`], [`context_of`],
//! [`current_traceparent`]).

use std::io::IsTerminal;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use opentelemetry::trace::TraceContextExt as _;

/// Log line format on stderr.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

/// The variable that switches OTLP export on (OpenTelemetry's own name).
pub const OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// Flushes and stops trace export when dropped (at the end of `main`).
pub struct Telemetry(Option<SdkTracerProvider>);

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("trace export did not shut down cleanly: {e}");
        }
    }
}

/// Installs the log subscriber (and the OTLP layer when configured). Call
/// once, inside the Tokio runtime (the exporter runs on it).
pub fn init(service: &'static str, format: LogFormat, default_filter: &str) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Text => fmt.with_ansi(std::io::stderr().is_terminal()).boxed(),
        LogFormat::Json => fmt.json().flatten_event(true).with_current_span(false).with_span_list(true).boxed(),
    };
    let provider = match std::env::var(OTLP_ENDPOINT) {
        Ok(endpoint) if !endpoint.trim().is_empty() => Some(otlp_provider(service)?),
        _ => None,
    };
    let otel = provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(service)));
    tracing_subscriber::registry().with(filter).with(fmt).with(otel).init();
    Ok(Telemetry(provider))
}

fn otlp_provider(service: &'static str) -> anyhow::Result<SdkTracerProvider> {
    use opentelemetry_otlp::SpanExporter;
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
    // Reads OTEL_EXPORTER_OTLP_ENDPOINT (and the other standard variables).
    let exporter = SpanExporter::builder().with_tonic().build()?;
    // Batches are exported from a task on this process's runtime (tonic
    // needs a Tokio reactor, which the SDK's own export thread lacks).
    let processor = BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(Resource::builder().with_service_name(service).build())
        .build())
}

/// The W3C trace context of request `headers` (empty when there is none).
pub fn extract(headers: &http::HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

struct HeaderExtractor<'h>(&'h http::HeaderMap);

impl opentelemetry::propagation::Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The trace context of a `traceparent` value.
pub fn context_of(traceparent: &str) -> opentelemetry::Context {
    let carrier = std::collections::HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    TraceContextPropagator::new().extract(&carrier)
}

/// The `traceparent` of the current span when it is exported (its own span
/// id as the parent of the next hop), else `None`.
pub fn current_traceparent() -> Option<String> {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = std::collections::HashMap::new();
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    carrier.remove("traceparent")
}

/// Latency histogram buckets, in seconds: 1 ms to 32 s.
pub const LATENCY_BUCKETS: [f64; 15] =
    [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0];

/// Serves `GET /metrics` on `listener` for as long as the process runs,
/// answering with `encode()` (OpenMetrics text, as prometheus-client
/// writes it; Prometheus scrapes it as is).
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    encode: impl Fn() -> String + Clone + Send + Sync + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let body = encode();
            async move {
                ([(http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body)
            }
        }),
    );
    axum::serve(listener, app).await
}
