//! The pieces between an exemplar and its trace are wired to each other: the shipped Grafana
//! data source maps the SDK's exemplar label to the Jaeger data source, the generated latency
//! panels ask for exemplars, and the compose Prometheus stores them.

use std::path::Path;

use its_telemetry::catalog::http::SERVER_REQUEST_DURATION;
use its_telemetry::catalog::inference::REQUEST_DURATION;
use its_telemetry::prometheus::exemplar::TRACE_ID_LABEL;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn yaml(path: &str) -> serde_norway::Value {
    let text = std::fs::read_to_string(repo().join(path)).expect("read YAML");
    serde_norway::from_str(&text).expect("valid YAML")
}

#[test]
fn grafana_links_the_sdk_exemplar_label_to_jaeger() {
    let sources = yaml("monitoring/grafana/provisioning/datasources/datasources.yaml");
    let sources = sources["datasources"].as_sequence().expect("datasources");
    let prometheus = sources
        .iter()
        .find(|s| s["type"].as_str() == Some("prometheus"))
        .expect("a Prometheus data source");
    let destinations = prometheus["jsonData"]["exemplarTraceIdDestinations"]
        .as_sequence()
        .expect("exemplarTraceIdDestinations");
    let destination = destinations
        .iter()
        .find(|d| d["name"].as_str() == Some(TRACE_ID_LABEL))
        .unwrap_or_else(|| panic!("no destination for the label {TRACE_ID_LABEL}"));
    let uid = destination["datasourceUid"]
        .as_str()
        .expect("datasourceUid");
    let target = sources
        .iter()
        .find(|s| s["uid"].as_str() == Some(uid))
        .unwrap_or_else(|| panic!("no data source with uid {uid}"));
    assert_eq!(target["type"].as_str(), Some("jaeger"), "{target:?}");
}

#[test]
fn latency_panels_show_exemplars() {
    let mut latency_panels = 0;
    for dashboard in its_telemetry_monitoring::dashboards::all() {
        // The committed file, as users provision it (another test keeps it generated).
        let path = repo()
            .join("monitoring/grafana/dashboards")
            .join(dashboard.file);
        let text = std::fs::read_to_string(&path).expect("read dashboard");
        let json: serde_json::Value = serde_json::from_str(&text).expect("dashboard JSON");
        for panel in json["panels"].as_array().expect("panels") {
            let Some(targets) = panel["targets"].as_array() else {
                continue;
            };
            for target in targets {
                let expr = target["expr"].as_str().unwrap_or_default();
                let latency = [SERVER_REQUEST_DURATION.name, REQUEST_DURATION.name]
                    .iter()
                    .any(|m| expr.contains("histogram_quantile") && expr.contains(m));
                if latency {
                    latency_panels += 1;
                    assert_eq!(
                        target["exemplar"].as_bool(),
                        Some(true),
                        "{}: {expr}",
                        panel["title"]
                    );
                }
            }
        }
    }
    assert!(
        latency_panels >= 3,
        "found {latency_panels} latency targets"
    );
}

#[test]
fn the_compose_prometheus_stores_exemplars() {
    let compose = yaml("docker-compose.yml");
    let command = compose["services"]["prometheus"]["command"]
        .as_sequence()
        .expect("prometheus command");
    assert!(
        command
            .iter()
            .any(|a| a.as_str() == Some("--enable-feature=exemplar-storage")),
        "{command:?}"
    );
}
