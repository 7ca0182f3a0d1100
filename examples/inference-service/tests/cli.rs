//! The binary as an operator meets it: help, bad flags and variables, an address in use.

use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use example_inference_service::StartError;
use example_inference_service::options::Options;

/// The service binary with a clean environment for its own variables, no trace export and the
/// SDK's metrics endpoint on a free port, so nothing else on the machine interferes.
fn service(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_example-inference-service"));
    for (name, _) in std::env::vars_os() {
        let own = name.to_str().is_some_and(|n| {
            n.starts_with("ITS_EXAMPLE_") || n.starts_with("ITS_FAULT_") || n.starts_with("OTEL_")
        });
        if own {
            command.env_remove(name);
        }
    }
    command
        .env("ITS_TELEMETRY_METRICS_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "error")
        .args(args)
        .envs(vars.iter().copied());
    command.output().expect("run example-inference-service")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_lists_the_groups_and_exits_zero() {
    let output = service(&["--help"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "Service and scale",
        "Fault knobs",
        "--listen <ADDR>",
        "--error-rate <R>",
        "ITS_FAULT_ERROR_RATE",
        "--low-data-quality",
    ] {
        assert!(help.contains(expected), "{expected} missing:\n{help}");
    }
}

#[test]
fn an_invalid_flag_exits_2_naming_it() {
    let output = service(&["--fps", "0"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("--fps"), "{message}");
    assert!(message.contains("must be at least 1"), "{message}");
}

#[test]
fn an_invalid_variable_exits_2_naming_it() {
    let output = service(&[], &[("ITS_FAULT_CAMERA_OUTAGE", "7")]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("--camera-outage"), "{message}");
    assert!(message.contains("ITS_FAULT_CAMERA_OUTAGE"), "{message}");
    assert!(message.contains("between 0 and 1"), "{message}");
}

/// A port someone else listens on.
fn taken_port() -> (TcpListener, SocketAddr) {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let addr = taken.local_addr().expect("local addr");
    (taken, addr)
}

#[test]
fn an_api_address_in_use_is_a_clear_error_not_a_panic() {
    let (_taken, addr) = taken_port();
    let output = service(
        &[
            "--listen",
            &addr.to_string(),
            "--cameras",
            "0",
            "--seconds",
            "1",
        ],
        &[],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    assert!(message.contains(&addr.to_string()), "{message}");
    assert!(message.contains("--listen"), "{message}");
    assert!(message.contains("ITS_EXAMPLE_LISTEN"), "{message}");
}

#[tokio::test]
async fn start_reports_the_address_in_use() {
    let (_taken, addr) = taken_port();
    let options = Options {
        listen: addr,
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        cameras: 0,
        summary_every: Duration::ZERO,
        ..Options::default()
    };
    let error = example_inference_service::start(&options, Arc::new(|| None))
        .await
        .expect_err("the port is taken");
    assert!(
        matches!(&error, StartError::Listen { addr: a, source }
            if *a == addr && source.kind() == std::io::ErrorKind::AddrInUse),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(&addr.to_string()), "{message}");
    assert!(message.contains("--listen"), "{message}");
}

#[test]
fn an_admin_address_beyond_loopback_without_a_token_is_refused() {
    let output = service(
        &[
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            "0.0.0.0:0",
            "--cameras",
            "0",
            "--seconds",
            "1",
        ],
        &[],
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    assert!(message.contains("not a loopback address"), "{message}");
    assert!(message.contains("--admin-token-file"), "{message}");
}
