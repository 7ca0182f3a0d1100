//! The Kubernetes resources: the generated ones under `monitoring/kubernetes/` (PrometheusRules,
//! ServiceMonitor, dashboard ConfigMaps) and the hand-written example under `deploy/kubernetes/`.
//! Parsed and cross-checked here, field by field, for what the Prometheus Operator, the Grafana
//! sidecar and the kubelet need: the rules inside each PrometheusRule pass `promtool check
//! rules`; selectors match labels; ports match names; every kustomization resource exists.
//! (No `kubectl kustomize` build: kubectl is not a tool the test script can install from the
//! package registries, and a test may not skip when a tool is missing.) Staleness is `prometheus_rules::generated_files_are_current`, which covers every generated
//! file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use its_telemetry_monitoring::{
    dashboards,
    kubernetes::{
        CONFIG_MAP_LIMIT, DASHBOARD_LABEL, METRICS_PORT, OPERATOR_LABELS, SCRAPE_LABEL,
        prometheus_rule_name,
    },
    prometheus::{RULE_FILES, SCRAPE_JOBS},
    rules::{RuleFile, prom_duration},
};
use its_telemetry_tests::promtool;
use serde::Deserialize;
use serde_norway::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Every YAML document of `text`.
fn docs_of(text: &str, what: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{what}: {e}")))
        .filter(|v| !v.is_null())
        .collect()
}

fn docs(path: &Path) -> Vec<Value> {
    docs_of(&read(path), &path.display().to_string())
}

fn generated(name: &str) -> Vec<Value> {
    docs(&root().join("monitoring/kubernetes").join(name))
}

/// The one document of `path`.
fn single(path: &Path) -> Value {
    let mut all = docs(path);
    assert_eq!(all.len(), 1, "{}: one document", path.display());
    all.remove(0)
}

fn deploy(name: &str) -> Value {
    single(&root().join("deploy/kubernetes").join(name))
}

fn str_map(v: &Value) -> BTreeMap<String, String> {
    v.as_mapping()
        .unwrap_or_else(|| panic!("not a mapping: {v:?}"))
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                other => panic!("label {k:?}: {other:?} is not a string"),
            };
            (k.as_str().expect("string key").to_owned(), value)
        })
        .collect()
}

/// Whether every pair of `selector` is in `labels`.
fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn seq(v: &Value) -> &Vec<Value> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a sequence: {v:?}"))
}

fn assert_operator_labels(doc: &Value) {
    let labels = str_map(&doc["metadata"]["labels"]);
    for (k, v) in OPERATOR_LABELS {
        assert_eq!(labels.get(k).map(String::as_str), Some(v), "{doc:?}");
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "its-k8s-{name}-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn prometheus_rules_hold_the_rule_files_and_pass_promtool() {
    let docs = generated("prometheusrule.yaml");
    let names: Vec<String> = RULE_FILES.iter().map(|f| prometheus_rule_name(f)).collect();
    assert_eq!(
        docs.iter()
            .map(|d| d["metadata"]["name"].as_str().expect("name").to_owned())
            .collect::<Vec<_>>(),
        names,
        "one PrometheusRule per rule file, in order"
    );
    let dir = temp_dir("rules");
    for (file, doc) in RULE_FILES.iter().zip(&docs) {
        assert_eq!(doc["apiVersion"].as_str(), Some("monitoring.coreos.com/v1"));
        assert_eq!(doc["kind"].as_str(), Some("PrometheusRule"));
        assert!(doc["metadata"].get("namespace").is_none(), "{file}");
        assert_operator_labels(doc);
        let spec: RuleFile =
            serde_norway::from_value(doc["spec"].clone()).expect("spec is a rule file");
        let plain = RuleFile::from_yaml(&read(&root().join("monitoring/prometheus").join(file)))
            .expect("rule file");
        assert_eq!(spec, plain, "{file}: groups differ from prometheus/{file}");
        // What the operator hands Prometheus: spec.groups as a rule file.
        let text = serde_norway::to_string(&doc["spec"]).expect("serialize");
        assert!(
            text.len() < CONFIG_MAP_LIMIT,
            "{file}: {} bytes",
            text.len()
        );
        let extracted = dir.join(file);
        std::fs::write(&extracted, &text).expect("write extracted rules");
        promtool::check_rules(&extracted).assert_success(&format!("check rules {file} (k8s)"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dashboard_config_maps_hold_every_dashboard_under_the_limit() {
    let docs = generated("grafana-dashboards.yaml");
    let mut seen = BTreeSet::new();
    for doc in &docs {
        assert_eq!(doc["apiVersion"].as_str(), Some("v1"));
        assert_eq!(doc["kind"].as_str(), Some("ConfigMap"));
        let labels = str_map(&doc["metadata"]["labels"]);
        assert_eq!(
            labels.get(DASHBOARD_LABEL.0).map(String::as_str),
            Some(DASHBOARD_LABEL.1)
        );
        let data = str_map(&doc["data"]);
        let size: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert!(
            size <= CONFIG_MAP_LIMIT,
            "{:?}: {size} bytes",
            doc["metadata"]["name"]
        );
        for (file, json) in data {
            serde_json::from_str::<serde_json::Value>(&json).expect("dashboard JSON");
            let on_disk = read(&root().join("monitoring/grafana/dashboards").join(&file));
            assert!(
                json == on_disk,
                "{file} differs from grafana/dashboards/{file}"
            );
            assert!(seen.insert(file.clone()), "{file} twice");
        }
    }
    let all: BTreeSet<String> = dashboards::all()
        .iter()
        .map(|d| d.file.to_owned())
        .collect();
    assert_eq!(seen, all);
}

#[test]
fn service_monitor_scrapes_the_example_service_by_label_and_port_name() {
    let monitors = generated("servicemonitor.yaml");
    assert_eq!(monitors.len(), 1);
    let monitor = &monitors[0];
    assert_eq!(
        monitor["apiVersion"].as_str(),
        Some("monitoring.coreos.com/v1")
    );
    assert_eq!(monitor["kind"].as_str(), Some("ServiceMonitor"));
    assert_operator_labels(monitor);
    let selector = str_map(&monitor["spec"]["selector"]["matchLabels"]);
    assert_eq!(
        selector,
        BTreeMap::from([(SCRAPE_LABEL.0.to_owned(), SCRAPE_LABEL.1.to_owned())])
    );

    let service = deploy("service.yaml");
    assert!(
        selects(&selector, &str_map(&service["metadata"]["labels"])),
        "the ServiceMonitor does not select the example Service"
    );
    let port_names: BTreeSet<&str> = seq(&service["spec"]["ports"])
        .iter()
        .map(|p| p["name"].as_str().expect("port name"))
        .collect();
    let endpoints = seq(&monitor["spec"]["endpoints"]);
    assert_eq!(endpoints.len(), SCRAPE_JOBS.len());
    for (job, e) in SCRAPE_JOBS.iter().zip(endpoints) {
        let port = e["port"].as_str().expect("endpoint port");
        assert_eq!(port, METRICS_PORT);
        assert!(port_names.contains(port), "{port} not in {port_names:?}");
        assert_eq!(e["path"].as_str(), Some("/metrics"));
        assert_eq!(
            e["interval"].as_str(),
            Some(prom_duration(job.interval).as_str())
        );
        let relabel = &e["relabelings"][0];
        assert_eq!(relabel["targetLabel"].as_str(), Some("job"));
        assert_eq!(relabel["replacement"].as_str(), Some(job.name));
        let keep = &e["metricRelabelings"][0];
        let action = if job.domains.is_empty() {
            "drop"
        } else {
            "keep"
        };
        assert_eq!(keep["action"].as_str(), Some(action), "{}", job.name);
        regex::Regex::new(keep["regex"].as_str().expect("regex")).expect("valid regex");
    }
}

#[test]
fn service_selects_the_deployment_and_targets_named_container_ports() {
    let deployment = deploy("deployment.yaml");
    let service = deploy("service.yaml");
    assert_eq!(deployment["apiVersion"].as_str(), Some("apps/v1"));
    assert_eq!(deployment["kind"].as_str(), Some("Deployment"));
    assert_eq!(service["kind"].as_str(), Some("Service"));

    let pod = &deployment["spec"]["template"];
    let pod_labels = str_map(&pod["metadata"]["labels"]);
    assert!(selects(
        &str_map(&deployment["spec"]["selector"]["matchLabels"]),
        &pod_labels
    ));
    assert!(
        selects(&str_map(&service["spec"]["selector"]), &pod_labels),
        "the Service does not select the Deployment's pods"
    );

    let containers = seq(&pod["spec"]["containers"]);
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    let container_ports: BTreeMap<&str, u64> = seq(&container["ports"])
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("container port name"),
                p["containerPort"].as_u64().expect("containerPort"),
            )
        })
        .collect();
    // The example's API port and the SDK's metrics port (docker-compose.yml publishes the same).
    assert_eq!(
        container_ports,
        BTreeMap::from([("http", 8080), (METRICS_PORT, 9464)])
    );
    for port in seq(&service["spec"]["ports"]) {
        let target = port["targetPort"].as_str().expect("targetPort by name");
        assert_eq!(
            port["name"].as_str(),
            Some(target),
            "Service port named as its target"
        );
        assert!(container_ports.contains_key(target), "{target}");
    }

    let env: BTreeMap<&str, &str> = seq(&container["env"])
        .iter()
        .map(|e| {
            (
                e["name"].as_str().expect("env name"),
                e["value"].as_str().expect("env value"),
            )
        })
        .collect();
    assert_eq!(
        env.get("ITS_TELEMETRY_METRICS_LISTEN"),
        Some(&"0.0.0.0:9464")
    );
    let otlp = env
        .get("OTEL_EXPORTER_OTLP_ENDPOINT")
        .expect("OTEL_EXPORTER_OTLP_ENDPOINT");
    assert!(otlp.starts_with("http://"), "{otlp}");

    let limits = &container["resources"]["limits"];
    assert_eq!(limits["nvidia.com/gpu"].as_u64(), Some(1), "GPU limit");

    let api = read(&root().join("examples/inference-service/src/api.rs"));
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"].as_str(), Some(path), "{probe}");
        assert!(
            api.contains(&format!(".route(\"{path}\"")),
            "{path} not served"
        );
        let port = get["port"].as_str().expect("probe port by name");
        assert!(container_ports.contains_key(port), "{probe}: {port}");
    }

    // The image docker-compose.yml builds from examples/inference-service/Dockerfile.
    let image = container["image"].as_str().expect("image");
    let compose: Value = serde_norway::from_str(&read(&root().join("docker-compose.yml")))
        .expect("docker-compose.yml");
    let compose_image = compose["services"]["inference-service"]["image"]
        .as_str()
        .expect("compose image");
    assert_eq!(image, compose_image);
}

/// The resources of the kustomization in `dir` (relative to the repository root).
fn kustomization_resources(dir: &str) -> Vec<PathBuf> {
    let dir = root().join(dir);
    let k = single(&dir.join("kustomization.yaml"));
    assert_eq!(
        k["apiVersion"].as_str(),
        Some("kustomize.config.k8s.io/v1beta1")
    );
    assert_eq!(k["kind"].as_str(), Some("Kustomization"));
    seq(&k["resources"])
        .iter()
        .map(|r| dir.join(r.as_str().expect("resource path")))
        .collect()
}

#[test]
fn kustomization_resources_exist() {
    for dir in ["deploy/kubernetes", "monitoring/kubernetes"] {
        let resources = kustomization_resources(dir);
        assert!(!resources.is_empty(), "{dir}");
        for r in resources {
            assert!(
                r.is_file() || r.join("kustomization.yaml").is_file(),
                "{dir}: {} is neither a file nor a kustomization directory",
                r.display()
            );
            if r.is_file() {
                assert!(!docs(&r).is_empty(), "{}", r.display());
            }
        }
    }
    let deploy = kustomization_resources("deploy/kubernetes");
    assert!(
        deploy.iter().any(|r| r.ends_with("monitoring/kubernetes")),
        "deploy/kubernetes includes the generated resources"
    );
}
