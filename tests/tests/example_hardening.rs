//! The example service cannot be broken by one request (issue 10, item 3): hostile clients,
//! each bounded by socket timeouts, against the service started in-process. The admin knobs are
//! not on the API port, are bounded (422 naming the field) and token-protected when a token is
//! set; no knob holds a GPU slot beyond the batch timeout; a 10 MB body gets a JSON 413 the
//! client can read; a 10 kB camera id is not echoed whole. The shutdown deadline under a stuck
//! batch is tested with the binary as a child process, in
//! `examples/inference-service/tests/shutdown.rs` (it needs `CARGO_BIN_EXE_…` of that package).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use example_inference_service::faults::{Faults, MAX_LATENCY_SPIKE_MS};
use example_inference_service::options::Options;
use example_inference_service::{RunningService, StartError};

/// Every socket of these clients gives up after this long: no test can hang on the service.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(30);

/// What came back: status, header block (lower-cased) and the body as JSON (`Null` if not JSON),
/// and whether the whole request could be sent (a client such as curl gives up at a send error,
/// "connection reset by peer", without reading the answer).
#[derive(Debug)]
struct Answer {
    sent: Result<(), String>,
    status: u16,
    headers: String,
    json: serde_json::Value,
}

/// Sends `head` (request line and headers, without the blank line) and `body` on one
/// connection, then reads until the server closes it. A write error is recorded in
/// [`Answer::sent`], and the client still reads what came back.
fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(SOCKET_TIMEOUT))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(SOCKET_TIMEOUT))
        .expect("write timeout");
    let sent = stream
        .write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|e| e.to_string());
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        // A reset after the answer arrived still leaves the answer in `raw`.
        assert!(!raw.is_empty(), "no answer from {addr} ({e}) to {head}");
    }
    let raw = String::from_utf8_lossy(&raw);
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {raw:?}"));
    Answer {
        sent,
        status,
        headers: headers.to_ascii_lowercase(),
        json: serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    }
}

async fn send(addr: SocketAddr, head: String, body: Vec<u8>) -> Answer {
    tokio::task::spawn_blocking(move || exchange(addr, &head, &body))
        .await
        .expect("client task")
}

async fn json_request(addr: SocketAddr, method: &str, path: &str, body: &str) -> Answer {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}",
        body.len()
    );
    send(addr, head, body.as_bytes().to_vec()).await
}

fn options() -> Options {
    Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        cameras: 0,
        summary_every: Duration::ZERO,
        ..Options::default()
    }
}

async fn start(options: &Options) -> RunningService {
    example_inference_service::start(options, Arc::new(|| None))
        .await
        .expect("service")
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis()
}

fn detect_body(camera_id: &str) -> String {
    serde_json::json!({
        "frames": [{"camera_id": camera_id, "timestamp_ms": now_ms() as u64, "size_bytes": 1000}]
    })
    .to_string()
}

fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.json["code"], code, "{answer:?}");
    assert!(
        answer.json["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{answer:?}"
    );
    assert!(
        answer.headers.contains("content-type: application/json"),
        "{answer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_knobs_are_not_on_the_api_port() {
    let service = start(&options()).await;
    assert_ne!(service.addr(), service.admin_addr());
    assert!(service.admin_addr().ip().is_loopback());
    let put = json_request(
        service.addr(),
        "PUT",
        "/admin/faults",
        r#"{"error_rate": 1.0}"#,
    )
    .await;
    assert_eq!(put.status, 404, "{put:?}");
    let get = json_request(service.addr(), "GET", "/admin/faults", "").await;
    assert_eq!(get.status, 404, "{get:?}");
    assert_eq!(service.faults().get(), Faults::default());
    // …and the API's routes are not on the admin port.
    let detect = json_request(
        service.admin_addr(),
        "POST",
        "/v1/detect",
        &detect_body("cam-0000"),
    )
    .await;
    assert_eq!(detect.status, 404, "{detect:?}");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_value_is_bounded_with_a_422_naming_the_field() {
    let service = start(&options()).await;
    let admin = service.admin_addr();
    let before = Faults {
        error_rate: 0.1,
        ..Faults::default()
    };
    service.faults().set(before.clone());
    for (body, field) in [
        (
            r#"{"latency_spike_ms": 18446744073709551615}"#,
            "latency_spike_ms",
        ),
        (
            r#"{"latency_spike_ms": 18446744073709551616}"#,
            "latency_spike_ms",
        ),
        (r#"{"latency_spike_ms": 10001}"#, "latency_spike_ms"),
        (r#"{"latency_spike_ms": -1}"#, "latency_spike_ms"),
        (r#"{"latency_spike_ms": "10"}"#, "latency_spike_ms"),
        (r#"{"error_rate": 1.5}"#, "error_rate"),
        (r#"{"error_rate": -0.1}"#, "error_rate"),
        (r#"{"camera_outage": 2}"#, "camera_outage"),
        (r#"{"confidence_drift": 1e300}"#, "confidence_drift"),
        (r#"{"incident_backlog": "yes"}"#, "incident_backlog"),
        (r#"{"gpu_melt": true}"#, "gpu_melt"),
    ] {
        let answer = json_request(admin, "PUT", "/admin/faults", body).await;
        assert_error(&answer, 422, "invalid_faults");
        let error = answer.json["error"].as_str().unwrap_or_default();
        assert!(error.contains(field), "{body}: {error}");
        assert_eq!(service.faults().get(), before, "{body} changed the knobs");
    }
    let malformed = json_request(admin, "PUT", "/admin/faults", "{not json").await;
    assert_error(&malformed, 400, "malformed_request");

    // The bounds themselves are accepted.
    let edge = format!(
        r#"{{"error_rate": 1, "latency_spike_ms": {MAX_LATENCY_SPIKE_MS}, "camera_outage": 0,
            "confidence_drift": 1, "incident_backlog": true}}"#
    );
    let answer = json_request(admin, "PUT", "/admin/faults", &edge).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json["latency_spike_ms"], MAX_LATENCY_SPIKE_MS);
    let now = service.faults().get();
    assert_eq!(now.latency_spike_ms, MAX_LATENCY_SPIKE_MS);
    assert!(now.incident_backlog);
    let get = json_request(admin, "GET", "/admin/faults", "").await;
    assert_eq!(get.status, 200, "{get:?}");
    assert_eq!(get.json["error_rate"], 1.0);
    service.shutdown().await;
}

/// A token file unique to this test process.
fn token_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "its-example-admin-token-{}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, contents).expect("write token file");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_protects_the_admin_knobs() {
    let token = "s3cr3t-token-0123456789abcdef";
    let path = token_file("ok", &format!("{token}\n"));
    let service = start(&Options {
        admin_token_file: Some(path.clone()),
        ..options()
    })
    .await;
    let admin = service.admin_addr();
    let body = r#"{"error_rate": 0.5}"#;
    let put = |auth: Option<String>| {
        let head = format!(
            "PUT /admin/faults HTTP/1.1\r\nHost: {admin}\r\nContent-Type: application/json\r\n\
             Content-Length: {}{}",
            body.len(),
            auth.map(|a| format!("\r\nAuthorization: {a}"))
                .unwrap_or_default()
        );
        send(admin, head, body.as_bytes().to_vec())
    };
    for auth in [
        None,
        Some(String::new()),
        Some(format!("Basic {token}")),
        Some("Bearer wrong".to_owned()),
        Some(format!("Bearer {token}x")),
        Some(format!("Bearer {}", &token[..token.len() - 1])),
    ] {
        let answer = put(auth.clone()).await;
        assert_error(&answer, 401, "unauthorized");
        assert!(
            answer.headers.contains("www-authenticate: bearer"),
            "{answer:?}"
        );
        assert!(
            !answer.json.to_string().contains(token),
            "the token leaked: {answer:?}"
        );
        assert_eq!(service.faults().get(), Faults::default(), "{auth:?}");
    }
    let answer = put(Some(format!("Bearer {token}"))).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(service.faults().get().error_rate, 0.5);
    service.shutdown().await;
    let _ = std::fs::remove_file(path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_beyond_loopback_needs_a_readable_token() {
    let unprotected = example_inference_service::start(
        &Options {
            admin_listen: "0.0.0.0:0".parse().expect("addr"),
            ..options()
        },
        Arc::new(|| None),
    )
    .await
    .expect_err("no token");
    assert!(
        matches!(unprotected, StartError::AdminUnprotected { .. }),
        "{unprotected:?}"
    );
    assert!(
        unprotected.to_string().contains("--admin-token-file"),
        "{unprotected}"
    );

    let empty = token_file("empty", " \n");
    let missing = std::env::temp_dir().join("its-example-admin-token-does-not-exist");
    for (path, reason) in [(&empty, "is empty"), (&missing, "cannot be read")] {
        let error = example_inference_service::start(
            &Options {
                admin_listen: "0.0.0.0:0".parse().expect("addr"),
                admin_token_file: Some(path.clone()),
                ..options()
            },
            Arc::new(|| None),
        )
        .await
        .expect_err("no usable token");
        assert!(matches!(error, StartError::AdminToken { .. }), "{error:?}");
        assert!(error.to_string().contains(reason), "{error}");
    }
    let _ = std::fs::remove_file(empty);

    // Out-of-bounds knobs from the options are refused at start too.
    let error = example_inference_service::start(
        &Options {
            faults: Faults {
                latency_spike_ms: u64::MAX,
                ..Faults::default()
            },
            ..options()
        },
        Arc::new(|| None),
    )
    .await
    .expect_err("unbounded latency");
    assert!(error.to_string().contains("latency_spike_ms"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_knob_holds_a_gpu_slot_beyond_the_batch_timeout() {
    let service = start(&Options {
        gpu_streams: 1,
        batch_timeout: Duration::from_millis(300),
        ..options()
    })
    .await;
    let admin = service.admin_addr();
    let answer = json_request(
        admin,
        "PUT",
        "/admin/faults",
        &format!(r#"{{"latency_spike_ms": {MAX_LATENCY_SPIKE_MS}}}"#),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    // Three requests through one GPU stream: each batch gives it up after 300 ms, not 10 s.
    let started = Instant::now();
    let body = detect_body("cam-0000");
    let answers = tokio::join!(
        json_request(service.addr(), "POST", "/v1/detect", &body),
        json_request(service.addr(), "POST", "/v1/detect", &body),
        json_request(service.addr(), "POST", "/v1/detect", &body),
    );
    let took = started.elapsed();
    for answer in [&answers.0, &answers.1, &answers.2] {
        assert_error(answer, 503, "gpu_timeout");
    }
    assert!(took < Duration::from_secs(8), "took {took:?}");

    // Healthy again: the slot is free and batches succeed.
    service.faults().set(Faults::default());
    let ok = json_request(
        service.addr(),
        "POST",
        "/v1/detect",
        &detect_body("cam-0000"),
    )
    .await;
    assert_eq!(ok.status, 200, "{ok:?}");
    service.shutdown().await;
}

const TEN_MB: usize = 10 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_mb_body_gets_a_json_413() {
    let service = start(&options()).await;
    let big = vec![b' '; TEN_MB];
    for addr in [service.addr(), service.admin_addr()] {
        let path = if addr == service.addr() {
            "POST /v1/detect"
        } else {
            "PUT /admin/faults"
        };
        // Declared length.
        let head = format!(
            "{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {TEN_MB}"
        );
        let answer = send(addr, head, big.clone()).await;
        assert_error(&answer, 413, "payload_too_large");
        assert_eq!(answer.sent, Ok(()), "reset while sending");
        assert!(answer.headers.contains("connection: close"), "{answer:?}");

        // Chunked, no length: found out while reading.
        let head = format!(
            "{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked"
        );
        let mut chunked = Vec::with_capacity(TEN_MB + 4096);
        for chunk in big.chunks(64 * 1024) {
            chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            chunked.extend_from_slice(chunk);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let answer = send(addr, head, chunked).await;
        assert_error(&answer, 413, "payload_too_large");
        assert_eq!(answer.sent, Ok(()), "reset while sending");

        // `Expect: 100-continue`: answered before a byte of the body is sent.
        let head = format!(
            "{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {TEN_MB}\r\nExpect: 100-continue"
        );
        let answer = send(addr, head, Vec::new()).await;
        assert_error(&answer, 413, "payload_too_large");
    }
    assert_eq!(service.faults().get(), Faults::default());

    // The service still answers.
    let ok = json_request(
        service.addr(),
        "POST",
        "/v1/detect",
        &detect_body("cam-0000"),
    )
    .await;
    assert_eq!(ok.status, 200, "{ok:?}");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10_kb_camera_id_is_not_echoed_whole() {
    let service = start(&options()).await;
    let long_id = format!("cam-{}", "x".repeat(10 * 1024));
    let answer = json_request(service.addr(), "POST", "/v1/detect", &detect_body(&long_id)).await;
    assert_error(&answer, 422, "unknown_camera");
    let error = answer.json["error"].as_str().unwrap_or_default();
    assert!(error.len() < 200, "{} characters: {error}", error.len());
    assert!(error.contains(&long_id[..64]), "{error}");
    assert!(!error.contains(&long_id[..65]), "{error}");
    assert!(error.contains('…'), "{error}");
    assert!(error.contains(&long_id.len().to_string()), "{error}");

    // Control characters and quotes are escaped, not echoed raw.
    let nasty = "cam-\u{1b}[31m\"\n\r\u{202e}";
    let answer = json_request(service.addr(), "POST", "/v1/detect", &detect_body(nasty)).await;
    assert_error(&answer, 422, "unknown_camera");
    let error = answer.json["error"].as_str().unwrap_or_default();
    for raw in ['\u{1b}', '\n', '\r', '\u{202e}'] {
        assert!(!error.contains(raw), "{raw:?} echoed raw: {error:?}");
    }
    assert!(error.contains(r#"\""#), "{error}");

    // A long unknown field name is cut too.
    let field = "f".repeat(10 * 1024);
    let answer = json_request(
        service.admin_addr(),
        "PUT",
        "/admin/faults",
        &format!(r#"{{"{field}": 1}}"#),
    )
    .await;
    assert_error(&answer, 422, "invalid_faults");
    let error = answer.json["error"].as_str().unwrap_or_default();
    assert!(error.chars().count() <= 513, "{} characters", error.len());
    service.shutdown().await;
}
