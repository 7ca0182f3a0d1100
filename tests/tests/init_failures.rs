//! Every init failure is an `Err` — never a panic — from plain `main`, a current-thread runtime
//! and a multi-thread runtime alike (an error path drops the SDK's runtime, which panics inside
//! another runtime unless done with care: STACK.md trap 12), and it leaves nothing installed.
//! Which failures exist depends on the features this build has; each is listed with the field
//! or feature the error must name.

use its_telemetry::{ConfigError, InitError, TelemetryConfig};

/// A configuration that must fail, and a check of the error.
struct Failure {
    what: &'static str,
    config: TelemetryConfig,
    check: fn(&InitError) -> bool,
}

fn config_error_naming(field: &'static str) -> impl Fn(&InitError) -> bool {
    move |e| matches!(e, InitError::Config(ConfigError::Invalid { field: f, .. }) if f == field)
}

fn failures(taken: std::net::SocketAddr) -> Vec<Failure> {
    let mut all = vec![
        Failure {
            what: "metrics port in use",
            config: TelemetryConfig::builder("svc")
                .metrics_listen(taken)
                .build()
                .expect("valid: the port is only taken at init"),
            check: |e| matches!(e, InitError::MetricsListen { .. }),
        },
        Failure {
            what: "unresolvable OTLP host",
            config: TelemetryConfig::builder("svc")
                .no_metrics_listener()
                .otlp_endpoint("http://collector.invalid:4317")
                .build()
                .expect("valid: the host is only resolved at init"),
            check: |e| {
                matches!(e, InitError::TraceExporter { message, .. } if message.contains("collector.invalid"))
                    && e.to_string().contains("traces.endpoint")
            },
        },
    ];
    // Invalid values: the builder already refuses them; a config edited by hand reaches init.
    let mut bad_endpoint = TelemetryConfig::default();
    bad_endpoint.traces.endpoint = Some("collector:4317".into());
    all.push(Failure {
        what: "endpoint without a scheme",
        config: bad_endpoint,
        check: |e| config_error_naming("traces.endpoint")(e),
    });
    let mut port_zero = TelemetryConfig::default();
    port_zero.traces.endpoint = Some("http://collector:0".into());
    all.push(Failure {
        what: "endpoint port 0",
        config: port_zero,
        check: |e| config_error_naming("traces.endpoint")(e),
    });
    let mut too_big = TelemetryConfig::default();
    too_big.traces.endpoint = Some("http://collector:65536".into());
    all.push(Failure {
        what: "endpoint port above 65535",
        config: too_big,
        check: |e| config_error_naming("traces.endpoint")(e),
    });
    if !its_telemetry::FEATURES.contains(&"tls") {
        let mut https = TelemetryConfig::default();
        https.traces.endpoint = Some("https://collector:4317".into());
        all.push(Failure {
            what: "https without the tls feature",
            config: https,
            check: |e| {
                matches!(e, InitError::Config(ConfigError::FeatureDisabled { feature: "tls", field, .. }) if field == "traces.endpoint")
            },
        });
    }
    all
}

fn assert_all_fail() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    for failure in failures(taken.local_addr().expect("addr")) {
        match its_telemetry::try_init(failure.config) {
            Err(e) => assert!(
                (failure.check)(&e),
                "{}: unexpected error {e}",
                failure.what
            ),
            Ok(_) => panic!("{}: init succeeded", failure.what),
        }
    }
}

#[test]
fn from_plain_main() {
    assert_all_fail();
}

#[tokio::test(flavor = "current_thread")]
async fn from_a_current_thread_runtime() {
    assert_all_fail();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_multi_thread_runtime() {
    assert_all_fail();
}

/// The builder path fails the same way, and a `Telemetry` dropped without installing (here
/// inside a runtime, with a running exporter) releases everything without a panic.
#[tokio::test(flavor = "current_thread")]
async fn built_but_not_installed_drops_cleanly() {
    let config = TelemetryConfig::builder("svc")
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        .otlp_endpoint("http://127.0.0.1:4317")
        .build()
        .expect("valid");
    let telemetry = its_telemetry::Telemetry::build(config).expect("builds");
    let addr = telemetry.metrics_addr().expect("bound");
    drop(telemetry);
    // The socket was released with it.
    std::net::TcpListener::bind(addr).expect("the port is free again");
}
