//! `monitoring/opentelemetry/otel-collector.yaml` checked by a real OpenTelemetry Collector:
//! `otelcol-its`, built from `tools/otelcol` (Go modules of the release docker-compose runs) by
//! `scripts/build-otelcol.sh`. `validate` must accept the shipped file and reject broken copies
//! with the collector's own error text; `print-config` shows that the addresses docker-compose
//! and tests differ in come from `ITS_OTELCOL_*` variables, with docker-compose's as defaults.

use std::path::{Path, PathBuf};
use std::process::Output;

use its_telemetry_tests::otelcol::{CONFIG, command, workspace};
use serde_norway::Value;

fn shipped() -> String {
    std::fs::read_to_string(workspace().join(CONFIG)).expect("read otel-collector.yaml")
}

/// Runs `otelcol-its args...` with no `ITS_OTELCOL_*` address variable but those of `env`.
fn otelcol(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = command();
    cmd.args(args);
    cmd.envs(env.iter().copied());
    cmd.output().expect("run otelcol-its")
}

fn validate(config: &Path, env: &[(&str, &str)]) -> Output {
    let config = config.to_str().expect("UTF-8 path");
    otelcol(&["validate", "--config", config], env)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A config file in a directory of its own under the temp dir, removed on drop.
struct TempConfig {
    dir: PathBuf,
    file: PathBuf,
}

impl TempConfig {
    fn new(test: &str, text: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "its-otelcol-validate-{}-{test}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let file = dir.join("otel-collector.yaml");
        std::fs::write(&file, text).expect("write config");
        Self { dir, file }
    }
}

impl Drop for TempConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The shipped config with `from` (which must occur once) replaced by `to`.
fn broken(from: &str, to: &str) -> String {
    let text = shipped();
    assert_eq!(
        text.matches(from).count(),
        1,
        "the shipped config no longer has exactly one `{from}`: update this test"
    );
    text.replace(from, to)
}

/// `validate` fails on `text`, and the collector's stderr says `expected`.
fn assert_rejected(test: &str, text: &str, expected: &str) {
    let config = TempConfig::new(test, text);
    let output = validate(&config.file, &[]);
    let stderr = stderr(&output);
    assert!(
        !output.status.success(),
        "validate accepted a broken config ({test}); stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(expected),
        "validate failed ({test}) without saying `{expected}`; stderr:\n{stderr}"
    );
}

#[test]
fn validate_accepts_the_shipped_config() {
    let output = validate(&workspace().join(CONFIG), &[]);
    assert!(
        output.status.success(),
        "otelcol-its validate --config {CONFIG} failed:\n{}",
        stderr(&output)
    );
}

/// The config after substitution, as the collector resolved it.
fn resolved(env: &[(&str, &str)]) -> Value {
    let config = workspace().join(CONFIG);
    let config = config.to_str().expect("UTF-8 path");
    let output = otelcol(
        &["print-config", "--mode", "unredacted", "--config", config],
        env,
    );
    assert!(
        output.status.success(),
        "otelcol-its print-config failed:\n{}",
        stderr(&output)
    );
    serde_norway::from_slice(&output.stdout).expect("print-config prints YAML")
}

/// (variable, where it lands in the resolved config, docker-compose's value, a test's value)
const ADDRESSES: &[(&str, &[&str], &str, &str)] = &[
    (
        "ITS_OTELCOL_JAEGER_ENDPOINT",
        &["exporters", "otlp_grpc/jaeger", "endpoint"],
        "jaeger:4317",
        "127.0.0.1:14317",
    ),
    (
        "ITS_OTELCOL_LOKI_ENDPOINT",
        &["exporters", "otlp_http/loki", "endpoint"],
        "http://loki:3100/otlp",
        "http://127.0.0.1:13100/otlp",
    ),
    (
        "ITS_OTELCOL_OTLP_GRPC_LISTEN",
        &["receivers", "otlp", "protocols", "grpc", "endpoint"],
        "0.0.0.0:4317",
        "127.0.0.1:24317",
    ),
    (
        "ITS_OTELCOL_OTLP_HTTP_LISTEN",
        &["receivers", "otlp", "protocols", "http", "endpoint"],
        "0.0.0.0:4318",
        "127.0.0.1:24318",
    ),
    (
        "ITS_OTELCOL_PROMETHEUS_LISTEN",
        &["exporters", "prometheus", "endpoint"],
        "0.0.0.0:8889",
        "127.0.0.1:28889",
    ),
    (
        "ITS_OTELCOL_HEALTH_LISTEN",
        &["extensions", "health_check", "endpoint"],
        "0.0.0.0:13133",
        "127.0.0.1:23133",
    ),
];

fn at<'a>(cfg: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(cfg, |v, key| v.get(*key))?.as_str()
}

#[test]
fn addresses_default_to_compose_services_and_come_from_the_environment() {
    let shipped = shipped();
    for (var, ..) in ADDRESSES {
        assert!(
            shipped.contains(&format!("${{env:{var}:-")),
            "{CONFIG} does not read {var}"
        );
    }

    let compose = resolved(&[]);
    for (var, path, default, _) in ADDRESSES {
        assert_eq!(at(&compose, path), Some(*default), "{var} unset: {path:?}");
    }

    let env: Vec<(&str, &str)> = ADDRESSES.iter().map(|(v, _, _, t)| (*v, *t)).collect();
    let test = resolved(&env);
    for (var, path, _, value) in ADDRESSES {
        assert_eq!(at(&test, path), Some(*value), "{var}={value}: {path:?}");
    }
    let output = validate(&workspace().join(CONFIG), &env);
    assert!(
        output.status.success(),
        "validate with test addresses failed:\n{}",
        stderr(&output)
    );

    // The collector checks what the environment supplies.
    let output = validate(
        &workspace().join(CONFIG),
        &[("ITS_OTELCOL_LOKI_ENDPOINT", "::not a url")],
    );
    assert!(!output.status.success(), "a bad Loki URL was accepted");
    assert!(
        stderr(&output).contains("endpoint must be a valid URL"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn validate_rejects_an_unknown_processor_key() {
    assert_rejected(
        "unknown-key",
        &broken("  batch:\n", "  batch:\n    send_batch_sizee: 10\n"),
        "has invalid keys: send_batch_sizee",
    );
}

#[test]
fn validate_rejects_a_pipeline_naming_an_undefined_exporter() {
    assert_rejected(
        "undefined-exporter",
        &broken(
            "exporters: [prometheus]",
            "exporters: [prometheus, debug/nowhere]",
        ),
        r#"references exporter "debug/nowhere" which is not configured"#,
    );
}

#[test]
fn validate_rejects_the_removed_logging_exporter() {
    assert_rejected(
        "logging-exporter",
        &broken(
            "exporters:\n",
            "exporters:\n  logging:\n    verbosity: detailed\n",
        )
        .replace(
            "exporters: [prometheus]",
            "exporters: [prometheus, logging]",
        ),
        "the logging exporter has been deprecated, use the debug exporter instead",
    );
}

#[test]
fn validate_rejects_a_component_in_a_pipeline_of_a_signal_it_lacks() {
    assert_rejected(
        "signal-mismatch",
        &broken(
            "processors: [memory_limiter, attributes/pii, batch]",
            "processors: [memory_limiter, attributes/pii, tail_sampling, batch]",
        ),
        r#"failed to create "tail_sampling" processor, in pipeline "metrics": telemetry type is not supported"#,
    );
}
