//! The generated Prometheus rules, configuration and promtool suites under
//! `monitoring/prometheus/`: current, valid (`promtool check`), and proven
//! (`promtool test rules`, every alert firing once and silent once).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use its_telemetry_monitoring::{
    default_slos, generate,
    rules::{AlertingRule, RuleFile},
    unit_test::TestFile,
};
use its_telemetry_tests::promtool;

const RULE_FILES: [&str; 8] = [
    "rules.yaml",
    "slo-rules.yaml",
    "ml-pipeline-rules.yaml",
    "business-rules.yaml",
    "recording-rules.yaml",
    "fleet-rules.yaml",
    "anomaly-rules.yaml",
    "capacity-rules.yaml",
];

fn monitoring_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../monitoring")
}

fn prometheus_dir() -> PathBuf {
    monitoring_dir().join("prometheus")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn test_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(prometheus_dir().join("tests"))
        .expect("monitoring/prometheus/tests")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".test.yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn generated_files_are_current() {
    let dir = monitoring_dir();
    let bless = std::env::var_os("ITS_TELEMETRY_BLESS").is_some();
    let mut stale = Vec::new();
    for f in generate(&default_slos()) {
        let path = dir.join(&f.path);
        if bless {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &f.contents).expect("write generated file");
        } else if std::fs::read_to_string(&path).unwrap_or_default() != f.contents {
            stale.push(f.path);
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated monitoring files {stale:?}: regenerate with \
         `cargo run -p its-telemetry-monitoring -- generate --out monitoring/` \
         (or ITS_TELEMETRY_BLESS=1 cargo test -p its-telemetry-tests --test prometheus_rules) and commit them"
    );
}

#[test]
fn promtool_check_rules_passes_on_every_rule_file() {
    for f in RULE_FILES {
        promtool::check_rules(&prometheus_dir().join(f))
            .assert_success(&format!("check rules {f}"));
    }
}

#[test]
fn promtool_check_config_passes() {
    let outcome = promtool::check_config(&prometheus_dir().join("prometheus-production.yml"));
    outcome.assert_success("check config prometheus-production.yml");
    assert!(
        outcome
            .output
            .contains(&format!("{} rule files found", RULE_FILES.len())),
        "{}",
        outcome.output
    );
}

fn unit_tests(name: &str) {
    promtool::test_rules(&prometheus_dir().join("tests").join(name))
        .assert_success(&format!("test rules {name}"));
}

#[test]
fn promtool_unit_tests_core_rules() {
    unit_tests("rules.test.yaml");
}

#[test]
fn promtool_unit_tests_slo_rules() {
    unit_tests("slo-rules.test.yaml");
}

#[test]
fn promtool_unit_tests_ml_pipeline_rules() {
    unit_tests("ml-pipeline-rules.test.yaml");
}

#[test]
fn promtool_unit_tests_business_rules() {
    unit_tests("business-rules.test.yaml");
}

#[test]
fn promtool_unit_tests_fleet_rules() {
    unit_tests("fleet-rules.test.yaml");
}

#[test]
fn promtool_unit_tests_anomaly_rules() {
    unit_tests("anomaly-rules.test.yaml");
}

#[test]
fn promtool_unit_tests_capacity_rules() {
    unit_tests("capacity-rules.test.yaml");
}

#[test]
fn promtool_unit_tests_recording_rules() {
    unit_tests("recording-rules.test.yaml");
}

#[test]
fn every_test_file_is_run() {
    let names: Vec<String> = test_files()
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(
        names,
        [
            "anomaly-rules.test.yaml",
            "business-rules.test.yaml",
            "capacity-rules.test.yaml",
            "fleet-rules.test.yaml",
            "ml-pipeline-rules.test.yaml",
            "recording-rules.test.yaml",
            "rules.test.yaml",
            "slo-rules.test.yaml"
        ],
        "a new test file needs a promtool_unit_tests_* test here"
    );
}

/// A rule is told apart from others of the same name by its static labels
/// (severity, `burn_window`, `slo`).
fn covers(expected: &BTreeMap<String, String>, rule: &AlertingRule) -> bool {
    rule.labels
        .iter()
        .all(|(k, v)| expected.get(k).is_some_and(|e| e == v))
}

#[test]
fn every_alert_has_a_firing_and_a_silent_unit_test() {
    let rules: Vec<(String, AlertingRule)> = RULE_FILES
        .iter()
        .flat_map(|f| {
            let file = RuleFile::from_yaml(&read(&prometheus_dir().join(f)))
                .unwrap_or_else(|e| panic!("{f}: {e}"));
            file.alerts()
                .map(|a| ((*f).to_owned(), a.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(rules.len() > 20, "only {} alerting rules", rules.len());

    // Every case of every suite: (rule files it loads, alertname, expected label sets).
    let mut cases = Vec::new();
    for path in test_files() {
        let file =
            TestFile::from_yaml(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let loads: Vec<String> = file
            .rule_files
            .iter()
            .map(|r| r.trim_start_matches("../").to_owned())
            .collect();
        for group in file.tests {
            for case in group.alert_rule_tests {
                let expected: Vec<BTreeMap<String, String>> =
                    case.exp_alerts.into_iter().map(|e| e.exp_labels).collect();
                cases.push((loads.clone(), case.alertname, expected));
            }
        }
    }

    let mut missing = Vec::new();
    for (file, rule) in &rules {
        let relevant = cases
            .iter()
            .filter(|(loads, name, _)| name == &rule.alert && loads.contains(file));
        let (mut fires, mut silent) = (false, false);
        for (_, _, expected) in relevant {
            if expected.iter().any(|e| covers(e, rule)) {
                fires = true;
            } else {
                silent = true;
            }
        }
        let id = format!("{} {:?} in {file}", rule.alert, rule.labels);
        if !fires {
            missing.push(format!("{id}: no case where it fires"));
        }
        if !silent {
            missing.push(format!("{id}: no case where it stays silent"));
        }
    }
    assert!(
        missing.is_empty(),
        "alerts without promtool unit tests:\n{}",
        missing.join("\n")
    );
}
