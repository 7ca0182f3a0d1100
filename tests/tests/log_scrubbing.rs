//! Through the real init path with default settings: licence plates, e-mail and IP addresses
//! and tokens in messages and fields never reach the log output.

use its_telemetry::TelemetryConfig;
use its_telemetry_tests::logs::CapturedLogs;

const SECRETS: &[&str] = &[
    "AB12 CDE",
    "M-AB 1234",
    "officer.jones@police.example",
    "192.168.14.7",
    "2001:db8::8a2e:370:7334",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW0ifQ.c2lnbmF0dXJl",
    "sk-live0123456789abcdefghijklmn",
];

#[test]
fn personal_data_never_reaches_the_output() {
    let logs = CapturedLogs::default();
    let config = TelemetryConfig::builder("plate-reader")
        .no_metrics_listener()
        .build()
        .expect("valid config");
    let guard = its_telemetry::try_init_with_log_writer(config, logs.clone()).expect("init");

    tracing::warn!(
        camera_id = "cam-0042",
        plate = "XY99 ZZZ",
        reporter = "officer.jones@police.example",
        peer = "192.168.14.7",
        "vehicle AB12 CDE then M-AB 1234 seen; upstream 2001:db8::8a2e:370:7334 replied"
    );
    tracing::error!(
        header = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW0ifQ.c2lnbmF0dXJl",
        "model registry refused key sk-live0123456789abcdefghijklmn"
    );
    drop(guard);

    let text = logs.text();
    for secret in SECRETS.iter().chain(&["XY99 ZZZ"]) {
        assert!(!text.contains(secret), "{secret:?} leaked into:\n{text}");
    }
    let lines = logs.json_lines();
    assert_eq!(lines.len(), 2, "{text}");
    let first = &lines[0];
    assert_eq!(
        first["fields"]["camera_id"], "cam-0042",
        "ordinary fields are kept"
    );
    assert_eq!(first["fields"]["plate"], "[REDACTED:field]");
    let message = first["message"].as_str().expect("message");
    assert!(
        message.contains("[REDACTED:plate]") && message.contains("[REDACTED:ip]"),
        "{message}"
    );
    assert!(
        first["fields"]["reporter"]
            .as_str()
            .is_some_and(|v| v.contains("[REDACTED:email]")),
        "{first}"
    );
    assert!(
        lines[1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("[REDACTED:token]")),
        "{}",
        lines[1]
    );
}
