//! The trace path of the docker-compose stack, run for real: SDK → the project's OpenTelemetry
//! Collector (`otelcol-its`, built by `scripts/build-otelcol.sh`) running the shipped
//! `monitoring/opentelemetry/otel-collector.yaml` → a trace store.
//!
//! The store is an OTLP/gRPC receiver of the test's own in Jaeger's place: the collector's
//! `otlp_grpc/jaeger` exporter is pointed at it with `ITS_OTELCOL_JAEGER_ENDPOINT`, and the test
//! reads every span the collector forwarded, with its links and attributes. (Jaeger v2 builds
//! only on its own collector release, v0.140 for v1.76.0, not on ours; see README "Tests".)
//!
//! Proven here, with bounded counts:
//! - tail sampling keeps every trace with an error span and every trace slower than 100 ms, and
//!   about 1 % of the fast successful ones (binomial bounds below);
//! - traces arrive whole: the simulator's client span → the API's `POST /v1/detect` server
//!   span, with `service.name` and the HTTP semantic-convention attributes;
//! - a request can be followed to its GPU batch and back through span links;
//! - the SDK scrubs personal data from span attributes before export, and the collector's PII
//!   processors delete, hash and mask what they promise on their own (a span sent to the
//!   collector with a raw OTLP client, past the SDK's scrubber);
//! - the collector killed mid-run: the service runs on, lost spans are counted, export resumes
//!   once it is back.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use example_inference_service::faults::Faults;
use example_inference_service::options::Options;
use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::sdk::{EXPORT_DROPPED, EXPORT_FAILURES};
use its_telemetry_tests::daemon::free_loopback_addr;
use its_telemetry_tests::exposition::Exposition;
use its_telemetry_tests::logs::CapturedLogs;
use its_telemetry_tests::otelcol::{Backends, Collector};
use its_telemetry_tests::otlp::{OtlpReceiver, ReceivedSpan};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status, status};
use tracing::Instrument as _;

/// Fast successful traces sent; the collector keeps 1 % of them.
const FAST: usize = 2000;
/// Kept fast traces accepted: Binomial(2000, 0.01) has mean 20; P(X ≤ 5) = 6.8e-5 and
/// P(X > 40) = 2.3e-5, so a correct sampler fails this test less than once in 10 000 runs.
const FAST_KEPT: std::ops::RangeInclusive<usize> = 6..=40;
/// Traces with an error span; every one must be kept.
const ERRORS: usize = 40;
/// Traces slower than the 100 ms latency policy; every one must be kept.
const SLOW: usize = 40;
/// How long a slow probe lasts.
const SLOW_FOR: Duration = Duration::from_millis(150);
/// Spans sent while the collector is down.
const DURING_OUTAGE: usize = 300;
/// Error traces sent after the collector is back; every one must arrive.
const AFTER_RESTART: usize = 20;
/// `decision_wait` (10 s) + the batch processor's timeout (5 s) + slack.
const DELIVERY: Duration = Duration::from_secs(45);

const SERVICE: &str = "its-trace-e2e";

fn probes<'a>(spans: &'a [ReceivedSpan], kind: &'a str) -> impl Iterator<Item = &'a ReceivedSpan> {
    spans.iter().filter(move |s| {
        s.span.name == "probe" && s.attribute("probe.kind").as_deref() == Some(kind)
    })
}

fn distinct_traces<'a>(spans: impl Iterator<Item = &'a ReceivedSpan>) -> usize {
    spans
        .map(ReceivedSpan::trace_id)
        .collect::<HashSet<_>>()
        .len()
}

fn counter(guard: &its_telemetry::TelemetryGuard, name: &str, labels: &[(&str, &str)]) -> f64 {
    let text = guard.render_metrics().expect("metrics enabled");
    Exposition::parse(&text).sum(name, labels)
}

/// Polls the store until `done` holds or `DELIVERY` passes; returns the spans either way.
async fn wait_for(
    store: &OtlpReceiver,
    done: impl Fn(&[ReceivedSpan]) -> bool,
) -> Vec<ReceivedSpan> {
    let deadline = Instant::now() + DELIVERY;
    loop {
        let spans = store.spans();
        if done(&spans) || Instant::now() >= deadline {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_path_through_the_real_collector() {
    let store = OtlpReceiver::grpc().await.expect("trace store");
    let store_addr = store.endpoint().trim_start_matches("http://").to_owned();
    let backends = Backends {
        jaeger: store_addr,
        // Logs go nowhere in this test: a closed port.
        loki: format!("http://{}/otlp", free_loopback_addr()),
    };
    let mut collector = Collector::start(&backends, &[]);

    let config = TelemetryConfig::builder(SERVICE)
        .environment("e2e")
        .otlp_endpoint(format!("http://{}", collector.otlp_grpc))
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        // Spans pass the same filter as logs: keep the probes' and the batches' info spans.
        .log_filter("info")
        .build()
        .expect("valid config");
    let telemetry =
        its_telemetry::try_init_with_log_writer(config, CapturedLogs::default()).expect("init");

    // The example service with its camera simulator, every batch slowed past 100 ms so that
    // both request traces and batch traces are kept by the latency policy.
    let handle = telemetry.prometheus_handle();
    let options = Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        cameras: 8,
        cameras_per_gateway: 4,
        summary_every: Duration::ZERO,
        faults: Faults {
            latency_spike_ms: 120,
            ..Faults::default()
        },
        ..Options::default()
    };
    let service = example_inference_service::start(
        &options,
        Arc::new(move || handle.as_ref().map(|h| h.render())),
    )
    .await
    .expect("example service");

    // Probes: fast successful, failed, slow traces, and one carrying PII. Sent in chunks below
    // the SDK's export queue (2 048 spans) so none is dropped before the collector sees it.
    for chunk in 0..FAST / 500 {
        for i in 0..500 {
            let _span = tracing::info_span!("probe", probe.kind = "fast", i = chunk * 500 + i);
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    for i in 0..ERRORS {
        let _span = tracing::info_span!(
            "probe",
            probe.kind = "error",
            i,
            otel.status_code = "ERROR",
            otel.status_message = "probe failure"
        );
    }
    let slow: Vec<_> = (0..SLOW)
        .map(|i| {
            tokio::spawn(tokio::time::sleep(SLOW_FOR).instrument(tracing::info_span!(
                "probe",
                probe.kind = "slow",
                i
            )))
        })
        .collect();
    for task in slow {
        task.await.expect("slow probe");
    }
    {
        let _span = tracing::info_span!(
            "probe",
            probe.kind = "pii",
            otel.status_code = "ERROR",
            client.address = "203.0.113.7",
            user.email = "jane.doe@example.com",
            enduser.id = "alice",
            plate = "AB12CDE",
            note = "call back jane.doe@example.com",
        );
    }
    send_raw_pii_probe(format!("http://{}", collector.otlp_grpc)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    service.shutdown().await;

    let spans = wait_for(&store, |spans| {
        distinct_traces(probes(spans, "error")) == ERRORS
            && distinct_traces(probes(spans, "slow")) == SLOW
            && probes(spans, "pii").count() == 1
            && probes(spans, "pii-raw").count() == 1
    })
    .await;
    // Fast traces are decided alongside: give stragglers one more batch interval.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let spans = {
        let _ = spans;
        store.spans()
    };
    let dropped_before = counter(&telemetry, EXPORT_DROPPED.name, &[("signal", "traces")]);
    assert_eq!(
        dropped_before, 0.0,
        "spans were dropped before the collector saw them; the counts below would mean nothing"
    );

    // 1. Tail sampling.
    let errors = distinct_traces(probes(&spans, "error"));
    let slow = distinct_traces(probes(&spans, "slow"));
    let fast = distinct_traces(probes(&spans, "fast"));
    eprintln!(
        "the store received {} spans; tail sampling kept: {errors}/{ERRORS} error traces, {slow}/{SLOW} slow traces, \
         {fast}/{FAST} fast traces (accepted {FAST_KEPT:?})",
        spans.len()
    );
    assert_eq!(
        errors,
        ERRORS,
        "every error trace is kept\n{}",
        collector.log_tail(30)
    );
    assert_eq!(slow, SLOW, "every trace slower than 100 ms is kept");
    assert!(
        FAST_KEPT.contains(&fast),
        "{fast} of {FAST} fast traces kept, outside {FAST_KEPT:?}"
    );

    // 2. Whole traces: client span (simulator) → server span (API).
    let by_id: HashMap<(String, String), &ReceivedSpan> = spans
        .iter()
        .map(|s| ((s.trace_id(), s.span_id()), s))
        .collect();
    let servers: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.span.kind == SpanKind::Server as i32 && s.span.name == "POST /v1/detect")
        .collect();
    assert!(
        !servers.is_empty(),
        "no server span arrived ({} spans)",
        spans.len()
    );
    let mut whole = 0;
    for server in &servers {
        assert_eq!(server.service_name.as_deref(), Some(SERVICE));
        for key in [
            "http.request.method",
            "http.route",
            "http.response.status_code",
            "url.path",
            "url.scheme",
        ] {
            assert!(server.attribute(key).is_some(), "server span lacks {key}");
        }
        let parent = by_id.get(&(server.trace_id(), server.parent_span_id()));
        if let Some(client) = parent {
            assert_eq!(client.span.kind, SpanKind::Client as i32);
            assert_eq!(client.service_name.as_deref(), Some(SERVICE));
            for key in ["http.request.method", "server.address", "url.full"] {
                assert!(client.attribute(key).is_some(), "client span lacks {key}");
            }
            whole += 1;
        }
    }
    eprintln!(
        "{whole} of {} server spans arrived under their client span",
        servers.len()
    );
    assert_eq!(
        whole,
        servers.len(),
        "every kept request trace arrives whole"
    );

    // 3. Request → batch → request, through span links.
    let batches: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.span.name == "infer yolov8n-traffic")
        .collect();
    let links_of = |span: &ReceivedSpan| -> Vec<(String, String)> {
        span.span
            .links
            .iter()
            .map(|l| (hex(&l.trace_id), hex(&l.span_id)))
            .collect()
    };
    let mut followed = 0;
    for server in servers
        .iter()
        .filter(|s| s.attribute("http.response.status_code").as_deref() == Some("200"))
    {
        let served_by = links_of(server);
        assert!(!served_by.is_empty(), "a served request links to its batch");
        for batch_id in served_by {
            let batch = by_id
                .get(&batch_id)
                .unwrap_or_else(|| panic!("the linked batch {batch_id:?} is in the store"));
            assert_eq!(batch.span.name, "infer yolov8n-traffic");
            assert_ne!(
                batch.trace_id(),
                server.trace_id(),
                "a batch is a trace of its own"
            );
            assert!(
                links_of(batch).contains(&(server.trace_id(), server.span_id())),
                "the batch links back to the request"
            );
            followed += 1;
        }
    }
    eprintln!(
        "{followed} request→batch links followed both ways ({} batch spans)",
        batches.len()
    );
    assert!(followed > 0, "no request could be followed to its batch");

    // 4a. The SDK's scrubber: what the service itself emitted left the process scrubbed, so
    // no raw value reached the collector (its processors may delete the markers' keys too).
    let pii = probes(&spans, "pii")
        .next()
        .expect("the SDK's PII probe was kept");
    for kv in &pii.span.attributes {
        let value = format!("{:?}", kv.value);
        for raw in ["203.0.113.7", "jane.doe@example.com", "AB12CDE"] {
            assert!(!value.contains(raw), "{} carries {raw}: {value}", kv.key);
        }
    }
    let note = pii.attribute("note").expect("note kept");
    assert_eq!(
        note, "call back [REDACTED:email]",
        "masked by the SDK (the collector's mask is not this marker)"
    );

    // 4b. The collector on its own: the raw probe never went through the SDK's scrubber.
    let raw = probes(&spans, "pii-raw")
        .next()
        .expect("the raw PII probe was kept");
    for deleted in ["client.address", "user.email", "plate"] {
        assert_eq!(raw.attribute(deleted), None, "{deleted} must be deleted");
    }
    let hashed = raw
        .attribute("enduser.id")
        .expect("enduser.id is hashed, not deleted");
    assert_ne!(hashed, "alice", "enduser.id must be hashed");
    let note = raw.attribute("note").expect("note kept");
    assert!(
        !note.contains("jane.doe@example.com"),
        "e-mail masked: {note}"
    );
    assert!(
        !note.contains("[REDACTED:"),
        "the raw probe must not have met the SDK's scrubber: {note}"
    );

    // 5. Collector killed mid-run: the service carries on, losses are counted, export resumes.
    let failures_before = counter(&telemetry, EXPORT_FAILURES.name, &[("signal", "traces")]);
    collector.kill();
    for i in 0..DURING_OUTAGE {
        let _span = tracing::info_span!(
            "probe",
            probe.kind = "outage",
            i,
            otel.status_code = "ERROR"
        );
    }
    // Export every second with a 3 s timeout: give the failed batches time to be counted.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let failures = counter(&telemetry, EXPORT_FAILURES.name, &[("signal", "traces")]);
    let lost = counter(
        &telemetry,
        EXPORT_DROPPED.name,
        &[("signal", "traces"), ("reason", "export_failed")],
    );
    assert!(failures > failures_before, "failed exports are counted");
    assert!(lost > 0.0, "spans of failed exports are counted as dropped");

    collector.restart();
    for i in 0..AFTER_RESTART {
        let _span = tracing::info_span!(
            "probe",
            probe.kind = "after-restart",
            i,
            otel.status_code = "ERROR"
        );
    }
    let spans = wait_for(&store, |spans| {
        distinct_traces(probes(spans, "after-restart")) == AFTER_RESTART
    })
    .await;
    let resumed = distinct_traces(probes(&spans, "after-restart"));
    let delivered_in_outage = distinct_traces(probes(&spans, "outage"));
    eprintln!(
        "collector outage: {DURING_OUTAGE} spans sent, {delivered_in_outage} delivered late, \
         {lost} counted lost; after restart {resumed}/{AFTER_RESTART} delivered"
    );
    assert_eq!(
        resumed,
        AFTER_RESTART,
        "export resumes after the collector is back\n{}",
        collector.log_tail(30)
    );
    assert!(
        delivered_in_outage as f64 + lost >= DURING_OUTAGE as f64,
        "every span sent during the outage was delivered or counted lost"
    );

    telemetry.shutdown().expect("shutdown");
}

/// One span carrying personal data, sent straight to the collector's OTLP/gRPC receiver with
/// a raw client: only the collector's own processors stand between it and the store. Status
/// ERROR, so tail sampling keeps it.
async fn send_raw_pii_probe(endpoint: String) {
    let text = |key: &str, value: &str| KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos() as u64;
    let span = Span {
        trace_id: vec![0x7a; 16],
        span_id: vec![0x7a; 8],
        name: "probe".to_owned(),
        kind: SpanKind::Internal as i32,
        start_time_unix_nano: now - 1_000_000,
        end_time_unix_nano: now,
        attributes: vec![
            text("probe.kind", "pii-raw"),
            text("client.address", "203.0.113.7"),
            text("user.email", "jane.doe@example.com"),
            text("enduser.id", "alice"),
            text("plate", "AB12CDE"),
            text("note", "call back jane.doe@example.com"),
        ],
        status: Some(Status {
            code: status::StatusCode::Error as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    TraceServiceClient::connect(endpoint)
        .await
        .expect("connect to the collector's OTLP/gRPC receiver")
        .export(ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![text("service.name", SERVICE)],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans: vec![span],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        })
        .await
        .expect("collector accepts the raw probe");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
