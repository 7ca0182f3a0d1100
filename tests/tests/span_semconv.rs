//! Issue 10, item 6: the spans the HTTP layers and the inference guard export follow the
//! OpenTelemetry semantic conventions and leak nothing. Real axum servers behind `ServerLayer`,
//! a hyper client behind `ClientLayer`, exporting with gzip to the test OTLP/gRPC receiver,
//! which sees what a collector would: typed attribute values, the resource, the encoding.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::{ServiceBuilder, ServiceExt as _};

use its_telemetry::config::OtlpCompression;
use its_telemetry::http::{ClientLayer, ServerLayer};
use its_telemetry::{TelemetryConfig, instrument_inference};
use its_telemetry_tests::otlp::{OtlpReceiver, ReceivedSpan, Value};

const SPAN_KIND_SERVER: i32 = 2;
const SPAN_KIND_CLIENT: i32 = 3;
const STATUS_CODE_ERROR: i32 = 2;
const EMAIL_ID: &str = "jane.doe@example.com";

type PlainClient = Client<HttpConnector, Full<Bytes>>;

/// Sends `GET {base}{path}` with these headers; returns the response's `x-request-id`.
async fn send(client: &PlainClient, url: &str, headers: &[(&str, &str)]) -> Option<String> {
    let mut builder = http::Request::get(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let response = client
        .request(builder.body(Full::new(Bytes::new())).expect("request"))
        .await
        .expect("response");
    assert_eq!(response.status(), 200, "{url}");
    response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().expect("ascii id").to_owned())
}

/// The server span of the request to `path`.
fn server_span<'a>(spans: &'a [ReceivedSpan], path: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| {
            s.span.kind == SPAN_KIND_SERVER && s.attribute("url.path").as_deref() == Some(path)
        })
        .unwrap_or_else(|| panic!("no server span for {path}: {:#?}", summary(spans)))
}

/// A span's name and its attributes as sent.
type Summary = (String, Vec<(String, Option<Value>)>);

fn summary(spans: &[ReceivedSpan]) -> Vec<Summary> {
    spans
        .iter()
        .map(|s| {
            let attrs = s
                .span
                .attributes
                .iter()
                .map(|kv| {
                    (
                        kv.key.clone(),
                        kv.value.as_ref().and_then(|v| v.value.clone()),
                    )
                })
                .collect();
            (s.span.name.clone(), attrs)
        })
        .collect()
}

fn string(value: &str) -> Value {
    Value::StringValue(value.to_owned())
}

/// Every attribute and event of every span, as text: where a leak would show.
fn everything(spans: &[ReceivedSpan]) -> String {
    format!("{:?}", summary(spans))
}

#[instrument_inference(model = "semconv-model", batch = frames.len(), skip(frames))]
fn detect(frames: &[u8]) -> usize {
    frames.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_follow_the_conventions_and_leak_nothing() {
    let receiver = OtlpReceiver::grpc().await.expect("receiver");
    let config = TelemetryConfig::builder("semconv")
        .otlp_endpoint(receiver.endpoint())
        .otlp_compression(OtlpCompression::Gzip)
        .no_metrics_listener()
        .log_filter("info")
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init(config).expect("init");

    // Two servers: the default layer, and one that opts in to recording the request id.
    let ok = || async { "ok" };
    let plain = Router::new()
        .route("/plain/{case}", get(ok))
        .layer(ServerLayer::new());
    let opted = Router::new()
        .route("/opted/{case}", get(ok))
        .layer(ServerLayer::new().record_request_id(true));
    let mut addrs = Vec::new();
    let mut servers = Vec::new();
    for app in [plain, opted] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        addrs.push(listener.local_addr().expect("addr"));
        servers.push(tokio::spawn(
            async move { axum::serve(listener, app).await },
        ));
    }
    let (plain_addr, opted_addr) = (addrs[0], addrs[1]);
    let client: PlainClient = Client::builder(TokioExecutor::new()).build_http();
    let plain_url = |path: &str| format!("http://{plain_addr}{path}");
    let opted_url = |path: &str| format!("http://{opted_addr}{path}");

    // server.address / server.port from Host; url.query redaction; an e-mail as request id.
    let echoed = send(
        &client,
        &plain_url("/plain/ipv6?camera=cam-7&sig=s1gned-value&API_KEY=k-999&limit=5&Signature=s"),
        &[("host", "[::1]:8080"), ("x-request-id", EMAIL_ID)],
    )
    .await
    .expect("an id is always answered");
    assert_ne!(echoed, EMAIL_ID, "an e-mail address is never echoed");
    assert_eq!(echoed.len(), 32, "replaced by a generated id: {echoed}");
    send(
        &client,
        &plain_url("/plain/name"),
        &[("host", "example.com")],
    )
    .await;
    send(
        &client,
        &plain_url("/plain/ipv4"),
        &[("host", "10.0.0.1:9000")],
    )
    .await;
    send(&client, &plain_url("/plain/broken"), &[("host", "[:")]).await;
    let kept = send(
        &client,
        &plain_url("/plain/valid-id"),
        &[("x-request-id", "req-42:a.b_c")],
    )
    .await;
    assert_eq!(
        kept.as_deref(),
        Some("req-42:a.b_c"),
        "a valid id is echoed"
    );

    // Opted in: the (validated) id is recorded; an e-mail is still replaced first.
    send(
        &client,
        &opted_url("/opted/valid-id"),
        &[("x-request-id", "3f2c1d9e-8a7b-4c6d-9e0f-123456789abc")],
    )
    .await;
    let replaced = send(
        &client,
        &opted_url("/opted/email-id"),
        &[("x-request-id", EMAIL_ID)],
    )
    .await
    .expect("generated id");
    assert_ne!(replaced, EMAIL_ID);

    // Client spans: credentials in the URL, then a connection to a port nobody listens on.
    let traced = ServiceBuilder::new()
        .layer(ClientLayer::new())
        .service(client.clone());
    let with_credentials = http::Request::get(format!(
        "http://operator:hunter2@{plain_addr}/plain/creds?token=t0k&page=2"
    ))
    .body(Full::new(Bytes::new()))
    .expect("request");
    // Whether hyper sends it is not the point; the span is.
    let _ = traced.clone().oneshot(with_credentials).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    }; // dropped: nothing listens there any more
    let refused = traced
        .clone()
        .oneshot(
            http::Request::get(format!("http://{closed}/nobody-home"))
                .body(Full::new(Bytes::new()))
                .expect("request"),
        )
        .await;
    assert!(refused.is_err(), "nothing listens on {closed}");

    // A batch from the guard and one from the macro: batch.size must be an integer.
    its_telemetry::inference::ModelTelemetry::new("semconv-guard", "1")
        .start_batch(3)
        .ok();
    assert_eq!(detect(&[1, 2, 3, 4, 5]), 5);

    for server in servers {
        server.abort();
    }
    drop(guard); // flushes

    // 7 server spans (plus the one the credentials call may reach), 2 client spans, 2 batches.
    let spans = receiver.wait_for_spans(11, Duration::from_secs(10)).await;
    let all = everything(&spans);

    // server.address / server.port, typed.
    let ipv6 = server_span(&spans, "/plain/ipv6");
    assert_eq!(ipv6.value("server.address"), Some(&string("::1")), "{all}");
    assert_eq!(ipv6.value("server.port"), Some(&Value::IntValue(8080)));
    let name = server_span(&spans, "/plain/name");
    assert_eq!(name.value("server.address"), Some(&string("example.com")));
    assert_eq!(
        name.value("server.port"),
        Some(&Value::IntValue(80)),
        "the scheme's default port"
    );
    let ipv4 = server_span(&spans, "/plain/ipv4");
    assert_eq!(ipv4.value("server.address"), Some(&string("10.0.0.1")));
    assert_eq!(ipv4.value("server.port"), Some(&Value::IntValue(9000)));
    let broken = server_span(&spans, "/plain/broken");
    assert_eq!(
        broken.value("server.address"),
        None,
        "malformed Host: nothing"
    );
    assert_eq!(broken.value("server.port"), None);

    // url.query: sensitive values redacted, the rest kept.
    assert_eq!(
        ipv6.value("url.query"),
        Some(&string(
            "camera=cam-7&sig=REDACTED&API_KEY=REDACTED&limit=5&Signature=REDACTED"
        ))
    );
    for secret in [
        "s1gned-value",
        "k-999",
        "hunter2",
        "t0k",
        EMAIL_ID,
        "jane.doe",
    ] {
        assert!(!all.contains(secret), "{secret:?} leaked: {all}");
    }

    // Numbers are numbers.
    assert_eq!(
        ipv6.value("http.response.status_code"),
        Some(&Value::IntValue(200))
    );

    // x-request-id: not recorded by default, recorded when opted in, never the e-mail.
    for path in ["/plain/ipv6", "/plain/valid-id"] {
        assert_eq!(
            server_span(&spans, path).value("http.request.header.x-request-id"),
            None,
            "{path}: header capture is opt-in"
        );
    }
    let recorded = |path: &str| {
        server_span(&spans, path)
            .attribute("http.request.header.x-request-id")
            .unwrap_or_else(|| panic!("{path}: opted in, so recorded"))
    };
    assert!(
        recorded("/opted/valid-id").contains("\"3f2c1d9e-8a7b-4c6d-9e0f-123456789abc\""),
        "{all}"
    );
    let generated = recorded("/opted/email-id");
    assert!(
        generated.contains(&format!("\"{replaced}\"")),
        "{generated}"
    );

    // Client: url.full without credentials, typed server.port.
    let clients: Vec<_> = spans
        .iter()
        .filter(|s| s.span.kind == SPAN_KIND_CLIENT)
        .collect();
    assert_eq!(clients.len(), 2, "{all}");
    let creds = clients
        .iter()
        .find(|c| {
            c.attribute("url.full")
                .is_some_and(|u| u.contains("/plain/creds"))
        })
        .expect("client span of the call with credentials");
    assert_eq!(
        creds.value("url.full"),
        Some(&string(&format!(
            "http://REDACTED:REDACTED@{plain_addr}/plain/creds?token=REDACTED&page=2"
        )))
    );
    assert_eq!(
        creds.value("server.port"),
        Some(&Value::IntValue(i64::from(plain_addr.port())))
    );

    // A transport failure is named as one.
    let failed = clients
        .iter()
        .find(|c| {
            c.attribute("url.full")
                .is_some_and(|u| u.contains("/nobody-home"))
        })
        .expect("client span of the refused call");
    assert_eq!(failed.status_code(), STATUS_CODE_ERROR);
    assert_eq!(
        failed.value("error.type"),
        Some(&string("connection_refused")),
        "{all}"
    );
    let message = failed
        .span
        .status
        .as_ref()
        .map(|s| s.message.to_lowercase())
        .unwrap_or_default();
    assert!(message.contains("refused"), "{message}");
    assert!(!message.contains("the service returned"), "{message}");

    // batch.size is an integer, from the guard and from the macro.
    let sizes: Vec<_> = spans
        .iter()
        .filter_map(|s| s.value("batch.size"))
        .cloned()
        .collect();
    assert_eq!(sizes.len(), 2, "{all}");
    assert!(sizes.contains(&Value::IntValue(3)), "{sizes:?}");
    assert!(sizes.contains(&Value::IntValue(5)), "{sizes:?}");

    // The resource: the OpenTelemetry SDK's telemetry.sdk.*, our telemetry.distro.*.
    let resource = &spans[0];
    assert_eq!(
        resource.resource_value("telemetry.sdk.name"),
        Some(&string("opentelemetry"))
    );
    assert_eq!(
        resource.resource_value("telemetry.sdk.language"),
        Some(&string("rust"))
    );
    assert_eq!(
        resource.resource_value("telemetry.distro.name"),
        Some(&string("its-telemetry"))
    );
    assert_eq!(
        resource.resource_value("telemetry.distro.version"),
        Some(&string(env!("CARGO_PKG_VERSION")))
    );

    // gzip: every export request arrived compressed, and decoded (the spans above).
    let encodings = receiver.grpc_encodings();
    assert!(!encodings.is_empty());
    assert!(
        encodings.iter().all(|e| e.as_deref() == Some("gzip")),
        "{encodings:?}"
    );
}
