//! `monitoring/opentelemetry/otel-collector.yaml`, checked as YAML: the project's requirements
//! (sampling policy, PII removal, where each signal goes) plus the wiring checks `otelcol validate`
//! does, so that a mistake is named here even where no collector is built.
//! `otel_collector_validate.rs` runs the real collector (`scripts/build-otelcol.sh`) on the file.

use std::collections::BTreeSet;
use std::path::Path;

use serde_norway::Value;

const SECTIONS: &[&str] = &[
    "receivers",
    "processors",
    "exporters",
    "connectors",
    "extensions",
];

fn text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../monitoring/opentelemetry/otel-collector.yaml");
    std::fs::read_to_string(&path).expect("read otel-collector.yaml")
}

/// `${env:NAME}` or `${env:NAME:-default}`: the collector's environment substitution.
fn substitutions() -> regex::Regex {
    regex::Regex::new(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}").expect("regex")
}

/// The config as docker-compose runs it: every `${env:NAME:-default}` is its default.
fn config() -> Value {
    let text = text();
    let resolved = substitutions().replace_all(&text, |c: &regex::Captures<'_>| {
        c.get(2).map_or("", |d| d.as_str()).to_owned()
    });
    serde_norway::from_str(&resolved).expect("otel-collector.yaml is YAML")
}

/// `type/name` -> `type`.
fn kind(id: &str) -> &str {
    id.split_once('/').map_or(id, |(t, _)| t)
}

fn defined(cfg: &Value, section: &str) -> BTreeSet<String> {
    cfg.get(section)
        .and_then(Value::as_mapping)
        .map(|m| {
            m.keys()
                .map(|k| k.as_str().expect("component id is a string").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_sequence)
        .map(|s| {
            s.iter()
                .map(|i| i.as_str().expect("component id").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn pipelines(cfg: &Value) -> Vec<(String, Value)> {
    cfg["service"]["pipelines"]
        .as_mapping()
        .expect("service.pipelines")
        .iter()
        .map(|(k, v)| (k.as_str().expect("pipeline id").to_owned(), v.clone()))
        .collect()
}

fn pipeline(cfg: &Value, signal: &str) -> Value {
    pipelines(cfg)
        .into_iter()
        .find(|(id, _)| id == signal)
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no `{signal}` pipeline"))
}

/// Signals a component type supports, for the types this config may use (None: unknown type).
fn supports(kind: &str, signal: &str) -> Option<bool> {
    let all = ["traces", "metrics", "logs"];
    let signals: &[&str] = match kind {
        "otlp" | "otlp_grpc" | "otlp_http" | "memory_limiter" | "batch" | "attributes"
        | "redaction" | "transform" | "filter" | "resource" | "debug" => &all,
        // `otelcol-its components`: tail_sampling has no logs at v0.161.0.
        "tail_sampling" => &["traces"],
        "probabilistic_sampler" => &["traces", "logs"],
        "loki" => &["logs"],
        "prometheus" | "prometheusremotewrite" => &["metrics"],
        _ => return None,
    };
    Some(signals.contains(&signal))
}

#[test]
fn otlp_receiver_listens_on_grpc_4317_and_http_4318() {
    let cfg = config();
    let protocols = &cfg["receivers"]["otlp"]["protocols"];
    for (protocol, port) in [("grpc", ":4317"), ("http", ":4318")] {
        let endpoint = protocols[protocol]["endpoint"]
            .as_str()
            .unwrap_or_else(|| panic!("receivers.otlp.protocols.{protocol}.endpoint"));
        assert!(endpoint.ends_with(port), "{protocol} endpoint {endpoint}");
    }
}

#[test]
fn pipelines_reference_defined_components_that_fit_their_signal() {
    let cfg = config();
    let mut failures = Vec::new();
    let connectors = defined(&cfg, "connectors");
    let mut used = BTreeSet::new();
    for (id, p) in pipelines(&cfg) {
        let signal = kind(&id);
        if !["traces", "metrics", "logs"].contains(&signal) {
            failures.push(format!("pipeline {id}: unknown signal"));
        }
        for (role, section) in [
            ("receivers", "receivers"),
            ("processors", "processors"),
            ("exporters", "exporters"),
        ] {
            let names = ids(&p, role);
            if role != "processors" && names.is_empty() {
                failures.push(format!("pipeline {id}: no {role}"));
            }
            let available = defined(&cfg, section);
            for name in names {
                let connector = role != "processors" && connectors.contains(&name);
                if !(available.contains(&name) || connector) {
                    failures.push(format!("pipeline {id}: {role} `{name}` is not defined"));
                }
                match supports(kind(&name), signal) {
                    Some(true) => {}
                    Some(false) => {
                        failures.push(format!("pipeline {id}: `{name}` has no {signal}"))
                    }
                    None => failures.push(format!(
                        "pipeline {id}: unknown component type of `{name}`; add it to supports()"
                    )),
                }
                used.insert(name);
            }
        }
    }
    for ext in ids(&cfg["service"], "extensions") {
        if !defined(&cfg, "extensions").contains(&ext) {
            failures.push(format!("service.extensions: `{ext}` is not defined"));
        }
        used.insert(ext);
    }
    for section in SECTIONS {
        for name in defined(&cfg, section) {
            if !used.contains(&name) {
                failures.push(format!("{section}.{name} is defined but unused"));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_signal_has_a_pipeline_with_memory_limiter_first_and_batch_last() {
    let cfg = config();
    for signal in ["traces", "logs", "metrics"] {
        let processors = ids(&pipeline(&cfg, signal), "processors");
        assert_eq!(
            processors.first().map(|p| kind(p)),
            Some("memory_limiter"),
            "{signal}: memory_limiter must be first: {processors:?}"
        );
        assert_eq!(
            processors.last().map(|p| kind(p)),
            Some("batch"),
            "{signal}: batch must be last: {processors:?}"
        );
    }
    let limiter = &cfg["processors"]["memory_limiter"];
    assert!(
        limiter["check_interval"].as_str().is_some(),
        "memory_limiter.check_interval"
    );
    assert!(
        limiter.get("limit_mib").is_some() || limiter.get("limit_percentage").is_some(),
        "memory_limiter needs limit_mib or limit_percentage"
    );
}

#[test]
fn tail_sampling_keeps_errors_slow_traces_and_a_1_percent_baseline() {
    let cfg = config();
    let processors = ids(&pipeline(&cfg, "traces"), "processors");
    let at = processors
        .iter()
        .position(|p| kind(p) == "tail_sampling")
        .expect("tail_sampling in the traces pipeline");
    let batch = processors
        .iter()
        .position(|p| kind(p) == "batch")
        .expect("batch");
    assert!(at < batch, "sample before batching: {processors:?}");

    // Top-level policies are OR-ed: a trace is kept if any one says so.
    let policies = cfg["processors"][processors[at].as_str()]["policies"]
        .as_sequence()
        .expect("tail_sampling.policies");
    let of_type = |t: &str| {
        policies
            .iter()
            .find(|p| p["type"].as_str() == Some(t))
            .unwrap_or_else(|| panic!("no `{t}` policy"))
    };
    let errors = of_type("status_code")["status_code"]["status_codes"]
        .as_sequence()
        .expect("status_codes");
    assert!(
        errors.iter().any(|c| c.as_str() == Some("ERROR")),
        "errors kept"
    );
    assert_eq!(
        of_type("latency")["latency"]["threshold_ms"].as_u64(),
        Some(100),
        "traces slower than 100 ms kept"
    );
    assert_eq!(
        of_type("probabilistic")["probabilistic"]["sampling_percentage"].as_f64(),
        Some(1.0),
        "1 % baseline"
    );
}

#[test]
fn pii_attributes_are_removed_in_every_pipeline() {
    const PII: &[&str] = &[
        "enduser.id",
        "client.address",
        "http.request.header.authorization",
        "plate",
    ];
    let cfg = config();
    for signal in ["traces", "logs", "metrics"] {
        let processors = ids(&pipeline(&cfg, signal), "processors");
        let removed: BTreeSet<String> = processors
            .iter()
            .filter(|p| kind(p) == "attributes")
            .flat_map(|p| {
                cfg["processors"][p.as_str()]["actions"]
                    .as_sequence()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|a| matches!(a["action"].as_str(), Some("delete" | "hash")))
            .filter_map(|a| a["key"].as_str().map(str::to_owned))
            .collect();
        for key in PII {
            assert!(
                removed.contains(*key),
                "{signal}: `{key}` is neither deleted nor hashed"
            );
        }
        let pii_at = processors
            .iter()
            .position(|p| kind(p) == "attributes")
            .expect("attributes processor");
        assert!(pii_at < processors.len() - 1, "PII removed before batch");
    }
    for pattern in cfg["processors"]["redaction"]["blocked_values"]
        .as_sequence()
        .expect("redaction.blocked_values")
    {
        let pattern = pattern.as_str().expect("pattern");
        regex::Regex::new(pattern).unwrap_or_else(|e| panic!("blocked value {pattern}: {e}"));
    }
}

/// Defence in depth: the collector's `redaction` masks the same value categories the SDK
/// scrubs, and its `attributes/pii` key patterns delete the same field names, while the
/// identifiers an operator must read pass. Checked with Rust's `regex`, whose syntax for these
/// patterns is the same as Go's RE2 (`otel_collector_validate` runs the real binary on them).
#[test]
fn pii_processors_cover_the_sdk_categories_and_keep_operator_identifiers() {
    let cfg = config();
    let blocked: Vec<regex::Regex> = cfg["processors"]["redaction"]["blocked_values"]
        .as_sequence()
        .expect("redaction.blocked_values")
        .iter()
        .map(|p| regex::Regex::new(p.as_str().expect("pattern")).expect("valid pattern"))
        .collect();
    let masked = |value: &str| blocked.iter().any(|re| re.is_match(value));
    for (category, value) in [
        ("plate UK", "vehicle ab12 cde"),
        ("plate FR", "AB-123-CD"),
        ("plate DE", "M-AB 1234"),
        ("plate NL", "12-ABC-3"),
        ("plate ES", "1234 BCD"),
        ("plate US", "7ABC123"),
        ("e-mail", "jane.doe@example.com"),
        ("e-mail %40", "jane%40example.com"),
        ("IPv4", "peer 203.0.113.7:554"),
        (
            "JWT",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW0ifQ.c2lnbmF0dXJl",
        ),
        ("AWS key id", "AKIAIOSFODNN7EXAMPLE"),
        (
            "AWS secret",
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("bearer", "Authorization: Bearer abc.DEF-123_xyz"),
        ("basic", "Authorization: Basic dXNlcjpwYXNz"),
        ("token", "Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"),
        ("URL query", "https://x.example/a?key=AbC123&page=2"),
        ("URL userinfo", "rtsp://admin:Passw0rd@cam.example/stream"),
        ("cookie", "Cookie: sid=31d4d96e"),
        ("card", "4111 1111 1111 1111"),
        ("card Amex", "3782 822463 10005"),
        ("phone E.164", "+44 20 7946 0958"),
    ] {
        assert!(
            masked(value),
            "{category}: {value:?} is not masked by the collector"
        );
    }
    for value in [
        "CAM-0042",
        "cam-0042",
        "GPU-0001",
        "RTX4090",
        "ERR-1042",
        "JAN-2024",
        "0.0.0.0:9464",
        "127.0.0.1:4317",
        "yolov8n.onnx",
        "infer yolov8",
        "POST /v1/traces",
        "batch of 32 frames",
    ] {
        assert!(
            !masked(value),
            "{value:?} is masked but operators must read it"
        );
    }

    let key_patterns: Vec<regex::Regex> = cfg["processors"]["attributes/pii"]["actions"]
        .as_sequence()
        .expect("attributes/pii actions")
        .iter()
        .filter(|a| a["action"].as_str() == Some("delete"))
        .filter_map(|a| a["pattern"].as_str())
        .map(|p| regex::Regex::new(p).expect("valid key pattern"))
        .collect();
    let deleted = |key: &str| key_patterns.iter().any(|re| re.is_match(key));
    for key in [
        "plate_number",
        "plateNumber",
        "licence.plate",
        "e_mail",
        "user.email",
        "passwd",
        "pwd",
        "apikey",
        "x-api-key",
        "http.request.header.cookie",
        "private_key",
        "client_secret_value",
        "session_id",
        "phone",
        "client_ip",
        "remote_addr",
        "credit_card",
        "http.request.header.authorization",
    ] {
        assert!(
            deleted(key),
            "attribute key {key:?} is not deleted by a pattern"
        );
    }
    for key in [
        "camera.id",
        "gpu.id",
        "model.name",
        "plates_seen",
        "plate_count",
        "max_tokens",
        "server.address",
        "http.route",
        "token_count",
    ] {
        assert!(
            !deleted(key),
            "attribute key {key:?} is deleted but is not personal"
        );
    }
}

#[test]
fn traces_go_to_jaeger_logs_to_loki_metrics_to_prometheus() {
    let cfg = config();
    let exporter = |signal: &str, check: &dyn Fn(&str, &Value) -> bool, what: &str| {
        let exporters = ids(&pipeline(&cfg, signal), "exporters");
        assert!(
            exporters
                .iter()
                .any(|e| check(kind(e), &cfg["exporters"][e.as_str()])),
            "{signal} pipeline must export to {what}: {exporters:?}"
        );
    };
    exporter(
        "traces",
        &|k, c| k == "otlp_grpc" && c["endpoint"].as_str() == Some("jaeger:4317"),
        "Jaeger over OTLP (jaeger:4317)",
    );
    exporter(
        "logs",
        &|k, c| {
            k == "loki"
                || (k == "otlp_http"
                    && c["endpoint"]
                        .as_str()
                        .is_some_and(|e| e.contains("loki") && e.ends_with("/otlp")))
        },
        "Loki",
    );
    exporter(
        "metrics",
        &|k, _| k == "prometheus" || k == "prometheusremotewrite",
        "Prometheus",
    );
}

#[test]
fn addresses_come_from_its_otelcol_variables_with_compose_defaults() {
    let text = text();
    let mut names = Vec::new();
    for c in substitutions().captures_iter(&text) {
        let name = &c[1];
        assert!(
            name.starts_with("ITS_OTELCOL_"),
            "${{env:{name}}}: name the project's variables ITS_OTELCOL_*"
        );
        assert!(
            c.get(2).is_some_and(|d| !d.as_str().is_empty()),
            "${{env:{name}}} needs a default (`:-value`): docker-compose sets no variable"
        );
        names.push(name.to_owned());
    }
    for name in ["ITS_OTELCOL_JAEGER_ENDPOINT", "ITS_OTELCOL_LOKI_ENDPOINT"] {
        assert!(names.iter().any(|n| n == name), "{name} is not used");
    }
    // Any other `${...}` is expanded by the collector too (another scheme, or no default): one form.
    let without_env = substitutions().replace_all(&text, "");
    let stray: Vec<&str> = without_env
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains("${"))
        .collect();
    assert!(stray.is_empty(), "use ${{env:NAME:-default}}: {stray:?}");
}

#[test]
fn exporters_use_current_type_names_not_deprecated_aliases() {
    // At v0.161.0 the collector logs a warning for these aliases; a later release drops them.
    let deprecated = [
        ("otlp", "otlp_grpc"),
        ("otlphttp", "otlp_http"),
        ("logging", "debug"),
    ];
    for id in defined(&config(), "exporters") {
        if let Some((old, new)) = deprecated.iter().find(|(old, _)| kind(&id) == *old) {
            panic!("exporter {id}: `{old}` is deprecated, use `{new}`");
        }
    }
}
