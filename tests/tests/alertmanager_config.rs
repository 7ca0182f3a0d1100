//! `monitoring/alertmanager/alertmanager.yml` against the real `amtool` (Alertmanager 0.25):
//! `check-config`, and `config routes test` for every routing line of the seed.
//!
//! amtool matches labels only; it does not evaluate `active_time_intervals`. So this file also
//! walks the routing tree itself (Alertmanager's `Route.Match`: first match wins unless
//! `continue`), checks that walk gives exactly amtool's receivers, then applies the time
//! intervals from the YAML at a business-hours and an after-hours instant. Inhibition rules are
//! evaluated from the YAML the same way (amtool has no command for them).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use its_telemetry_monitoring::rules::{Category, Severity, Team};
use its_telemetry_monitoring::slo::{BURN_ALERT, BurnTier, DEFAULT_TIERS};
use its_telemetry_tests::amtool;
use regex::Regex;
use serde_norway::Value;

/// Label names the router and inhibition rules may rely on (see the file's header comment).
const ROUTING_LABELS: &[&str] = &[
    "severity",
    "team",
    "category",
    "slo",
    "burn_window",
    "alertname",
    "service",
];
/// The label values the router may match on come from the rule generator's own vocabulary,
/// so the two cannot drift apart.
fn severities() -> Vec<&'static str> {
    Severity::ALL.iter().map(|v| v.as_str()).collect()
}
fn teams() -> Vec<&'static str> {
    Team::ALL.iter().map(|v| v.as_str()).collect()
}
fn categories() -> Vec<&'static str> {
    Category::ALL.iter().map(|v| v.as_str()).collect()
}
/// Burn-rate windows, fastest first.
fn burn_windows() -> Vec<String> {
    DEFAULT_TIERS.iter().map(BurnTier::label).collect()
}

fn config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../monitoring/alertmanager/alertmanager.yml")
}

fn config_text() -> String {
    std::fs::read_to_string(config_path()).expect("read monitoring/alertmanager/alertmanager.yml")
}

fn config() -> Value {
    serde_norway::from_str(&config_text()).expect("alertmanager.yml is YAML")
}

fn seq<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    v.get(key)
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    seq(v, key)
        .into_iter()
        .map(|s| s.as_str().expect("string entry").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Matchers, routes and time intervals, evaluated as Alertmanager 0.25 does.

#[derive(Debug)]
struct Matcher {
    name: String,
    negative: bool,
    regex: Regex,
    op: String,
    value: String,
}

impl Matcher {
    fn parse(text: &str) -> Self {
        let re = Regex::new(r#"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$"#)
            .expect("matcher regex");
        let caps = re
            .captures(text)
            .unwrap_or_else(|| panic!("unparsable matcher {text:?}"));
        let (name, op, value) = (&caps[1], &caps[2], &caps[3]);
        let pattern = if op.contains('~') {
            format!("^(?:{value})$")
        } else {
            format!("^{}$", regex::escape(value))
        };
        Self {
            name: name.to_owned(),
            negative: op.starts_with('!'),
            regex: Regex::new(&pattern).expect("matcher value is a regex"),
            op: op.to_owned(),
            value: value.to_owned(),
        }
    }

    /// A missing label matches as the empty string, as in Alertmanager.
    fn matches(&self, labels: &[(&str, &str)]) -> bool {
        let value = labels
            .iter()
            .find(|(n, _)| *n == self.name)
            .map_or("", |(_, v)| *v);
        self.regex.is_match(value) != self.negative
    }

    /// The literal values this matcher names (`a|b` alternations split).
    fn values(&self) -> Vec<&str> {
        if self.op.contains('~') {
            self.value.split('|').collect()
        } else {
            vec![self.value.as_str()]
        }
    }
}

fn matchers(v: &Value, key: &str) -> Vec<Matcher> {
    strings(v, key).iter().map(|m| Matcher::parse(m)).collect()
}

fn all_match(ms: &[Matcher], labels: &[(&str, &str)]) -> bool {
    ms.iter().all(|m| m.matches(labels))
}

/// A matched leaf of the routing tree.
#[derive(Debug)]
struct Leaf {
    receiver: String,
    active: Vec<String>,
    mute: Vec<String>,
}

/// Alertmanager's `Route.Match` for a route that already matched: children in order, stop at the
/// first match without `continue`; the route itself when no child matched. Receivers inherit.
fn walk(route: &Value, receiver: &str, labels: &[(&str, &str)], out: &mut Vec<Leaf>) {
    let receiver = route
        .get("receiver")
        .and_then(Value::as_str)
        .unwrap_or(receiver);
    let before = out.len();
    for child in seq(route, "routes") {
        assert!(
            child.get("match").is_none() && child.get("match_re").is_none(),
            "use `matchers`, not the deprecated match/match_re: {child:?}"
        );
        if !all_match(&matchers(child, "matchers"), labels) {
            continue;
        }
        walk(child, receiver, labels, out);
        let cont = child
            .get("continue")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !cont {
            break;
        }
    }
    if out.len() == before {
        out.push(Leaf {
            receiver: receiver.to_owned(),
            active: strings(route, "active_time_intervals"),
            mute: strings(route, "mute_time_intervals"),
        });
    }
}

fn route_leaves(cfg: &Value, labels: &[(&str, &str)]) -> Vec<Leaf> {
    let root = cfg.get("route").expect("route");
    let receiver = root
        .get("receiver")
        .and_then(Value::as_str)
        .expect("root receiver");
    let mut out = Vec::new();
    walk(root, receiver, labels, &mut out);
    out
}

/// A local time in the intervals' location: weekday 0 = Sunday (Go's numbering), minute of day.
#[derive(Clone, Copy, Debug)]
struct At {
    weekday: u32,
    minute: u32,
}

const WEEKDAYS: &[&str] = &[
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

fn weekday(name: &str) -> u32 {
    WEEKDAYS
        .iter()
        .position(|d| *d == name.trim())
        .unwrap_or_else(|| panic!("unknown weekday {name:?}")) as u32
}

fn minute_of_day(hhmm: &str) -> u32 {
    let (h, m) = hhmm.split_once(':').expect("HH:MM");
    h.parse::<u32>().expect("hour") * 60 + m.parse::<u32>().expect("minute")
}

/// Whether the named `time_intervals` entry covers `at` (weekdays and times; other fields absent).
fn interval_active(cfg: &Value, name: &str, at: At) -> bool {
    let interval = seq(cfg, "time_intervals")
        .into_iter()
        .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
        .unwrap_or_else(|| panic!("time interval {name} is not defined"));
    seq(interval, "time_intervals").into_iter().any(|ti| {
        for unsupported in ["days_of_month", "months", "years"] {
            assert!(
                ti.get(unsupported).is_none(),
                "teach this test `{unsupported}` before using it in {name}"
            );
        }
        let days = strings(ti, "weekdays");
        let day_ok = days.is_empty()
            || days.iter().any(|d| match d.split_once(':') {
                Some((a, b)) => (weekday(a)..=weekday(b)).contains(&at.weekday),
                None => weekday(d) == at.weekday,
            });
        let times = seq(ti, "times");
        let time_ok = times.is_empty()
            || times.iter().any(|t| {
                let start = minute_of_day(t["start_time"].as_str().expect("start_time"));
                let end = minute_of_day(t["end_time"].as_str().expect("end_time"));
                (start..end).contains(&at.minute)
            });
        day_ok && time_ok
    })
}

/// Receivers that are notified at `at` (`None`: ignore time intervals, as amtool does).
fn receivers(cfg: &Value, labels: &[(&str, &str)], at: Option<At>) -> Vec<String> {
    route_leaves(cfg, labels)
        .into_iter()
        .filter(|leaf| match at {
            None => true,
            Some(at) => {
                (leaf.active.is_empty() || leaf.active.iter().any(|i| interval_active(cfg, i, at)))
                    && !leaf.mute.iter().any(|i| interval_active(cfg, i, at))
            }
        })
        .map(|leaf| leaf.receiver)
        .collect()
}

const WEDNESDAY_10_00: At = At {
    weekday: 3,
    minute: 10 * 60,
};
const WEDNESDAY_22_00: At = At {
    weekday: 3,
    minute: 22 * 60,
};
const SATURDAY_11_00: At = At {
    weekday: 6,
    minute: 11 * 60,
};

// ---------------------------------------------------------------------------------------------

#[test]
fn amtool_check_config_passes() {
    let report = amtool::check_config(&config_path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.contains("SUCCESS"), "{report}");
}

struct Case {
    line: &'static str,
    labels: &'static [(&'static str, &'static str)],
    business_hours: &'static [&'static str],
    after_hours: &'static [&'static str],
}

const PAGE: &[&str] = &["pagerduty-critical", "slack-executive"];

/// Every paging receiver, in routing-tree order: where an emergency goes, at any hour.
const EMERGENCY: &[&str] = &[
    "pagerduty-critical",
    "slack-executive",
    "sre-slack",
    "ml-slack",
    "infrastructure-slack",
    "business-slack",
    "security-slack",
    "product-owner",
];

/// One case per routing line of the seed; receivers in routing-tree order.
const CASES: &[Case] = &[
    Case {
        line: "emergency (fleet outage) -> every paging receiver, whoever owns it",
        labels: &[
            ("alertname", "CameraFleetOutage"),
            ("severity", "emergency"),
            ("team", "infrastructure"),
            ("category", "availability"),
        ],
        business_hours: EMERGENCY,
        after_hours: EMERGENCY,
    },
    Case {
        line: "emergency (availability collapsed) -> every paging receiver",
        labels: &[
            ("alertname", "InferenceAvailabilityCollapsed"),
            ("severity", "emergency"),
            ("team", "sre"),
            ("category", "availability"),
        ],
        business_hours: EMERGENCY,
        after_hours: EMERGENCY,
    },
    Case {
        line: "critical -> PagerDuty + executive Slack (+ owner)",
        labels: &[
            ("alertname", "GpuUtilizationCritical"),
            ("severity", "critical"),
            ("team", "infrastructure"),
            ("category", "infrastructure"),
        ],
        business_hours: &[
            "pagerduty-critical",
            "slack-executive",
            "infrastructure-slack",
        ],
        after_hours: &[
            "pagerduty-critical",
            "slack-executive",
            "infrastructure-slack",
        ],
    },
    Case {
        line: "critical without an owner still pages",
        labels: &[("alertname", "Unowned"), ("severity", "critical")],
        business_hours: PAGE,
        after_hours: PAGE,
    },
    Case {
        line: "SLA violation (fast burn, page) -> SRE + product owner",
        labels: &[
            ("alertname", BURN_ALERT),
            ("severity", "critical"),
            ("team", "sre"),
            ("category", "slo"),
            ("slo", "availability"),
            ("burn_window", "1h_5m"),
        ],
        business_hours: &[
            "pagerduty-critical",
            "slack-executive",
            "product-owner",
            "sre-slack",
        ],
        after_hours: &[
            "pagerduty-critical",
            "slack-executive",
            "product-owner",
            "sre-slack",
        ],
    },
    Case {
        line: "SLA violation (slow burn, ticket) -> SRE + product owner, by the hours",
        labels: &[
            ("alertname", BURN_ALERT),
            ("severity", "warning"),
            ("team", "sre"),
            ("category", "slo"),
            ("slo", "availability"),
            ("burn_window", "1d_2h"),
        ],
        business_hours: &["product-owner", "sre-slack"],
        after_hours: &["product-owner", "sre-email"],
    },
    Case {
        line: "SLA violation owned by ML (latency) -> SRE + product owner + ML",
        labels: &[
            ("alertname", "InferenceLatencyP95High"),
            ("severity", "warning"),
            ("team", "ml"),
            ("category", "latency"),
        ],
        business_hours: &["product-owner", "sre-slack", "ml-slack"],
        after_hours: &["product-owner", "sre-email", "ml-email"],
    },
    Case {
        line: "availability SLA violation, critical",
        labels: &[
            ("alertname", "AvailabilitySlaViolation"),
            ("severity", "critical"),
            ("team", "sre"),
            ("category", "availability"),
        ],
        business_hours: &[
            "pagerduty-critical",
            "slack-executive",
            "product-owner",
            "sre-slack",
        ],
        after_hours: &[
            "pagerduty-critical",
            "slack-executive",
            "product-owner",
            "sre-slack",
        ],
    },
    Case {
        line: "ML pipeline warning -> ML engineering",
        labels: &[
            ("alertname", "ModelDrift"),
            ("severity", "warning"),
            ("team", "ml"),
            ("category", "ml"),
        ],
        business_hours: &["ml-slack"],
        after_hours: &["ml-email"],
    },
    Case {
        line: "ML pipeline critical -> page + ML engineering",
        labels: &[
            ("alertname", "ModelAccuracyLow"),
            ("severity", "critical"),
            ("team", "ml"),
            ("category", "ml"),
        ],
        business_hours: &["pagerduty-critical", "slack-executive", "ml-slack"],
        after_hours: &["pagerduty-critical", "slack-executive", "ml-slack"],
    },
    Case {
        line: "ML info -> ML email",
        labels: &[
            ("alertname", "ModelReloaded"),
            ("severity", "info"),
            ("team", "ml"),
            ("category", "ml"),
        ],
        business_hours: &["ml-email"],
        after_hours: &["ml-email"],
    },
    Case {
        line: "infrastructure warning -> infrastructure",
        labels: &[
            ("alertname", "CameraCapacityHigh"),
            ("severity", "warning"),
            ("team", "infrastructure"),
            ("category", "infrastructure"),
        ],
        business_hours: &["infrastructure-slack"],
        after_hours: &["infrastructure-email"],
    },
    Case {
        line: "business operations warning -> business operations",
        labels: &[
            ("alertname", "CostPerDetectionHigh"),
            ("severity", "warning"),
            ("team", "business"),
            ("category", "business"),
        ],
        business_hours: &["business-slack"],
        after_hours: &["business-email"],
    },
    Case {
        line: "business operations critical",
        labels: &[
            ("alertname", "DataProcessingLow"),
            ("severity", "critical"),
            ("team", "business"),
            ("category", "business"),
        ],
        business_hours: &["pagerduty-critical", "slack-executive", "business-slack"],
        after_hours: &["pagerduty-critical", "slack-executive", "business-slack"],
    },
    Case {
        line: "security warning -> security team + CISO",
        labels: &[
            ("alertname", "AuthFailureSpike"),
            ("severity", "warning"),
            ("team", "security"),
            ("category", "security"),
        ],
        business_hours: &["ciso", "security-slack"],
        after_hours: &["ciso", "security-email"],
    },
    Case {
        line: "security critical -> page + security team + CISO",
        labels: &[
            ("alertname", "AuthFailureSpike"),
            ("severity", "critical"),
            ("team", "security"),
            ("category", "security"),
        ],
        business_hours: &[
            "pagerduty-critical",
            "slack-executive",
            "ciso",
            "security-slack",
        ],
        after_hours: &[
            "pagerduty-critical",
            "slack-executive",
            "ciso",
            "security-slack",
        ],
    },
    Case {
        line: "security info -> security email only",
        labels: &[
            ("alertname", "CertificateExpiresSoon"),
            ("severity", "info"),
            ("team", "security"),
            ("category", "security"),
        ],
        business_hours: &["security-email"],
        after_hours: &["security-email"],
    },
    Case {
        line: "SRE telemetry warning -> SRE",
        labels: &[
            ("alertname", "TelemetryOverflow"),
            ("severity", "warning"),
            ("team", "sre"),
            ("category", "telemetry"),
        ],
        business_hours: &["sre-slack"],
        after_hours: &["sre-email"],
    },
    Case {
        line: "SRE telemetry critical (collector down) -> page + SRE",
        labels: &[
            ("alertname", "OtelCollectorDown"),
            ("severity", "critical"),
            ("team", "sre"),
            ("category", "telemetry"),
        ],
        business_hours: &["pagerduty-critical", "slack-executive", "sre-slack"],
        after_hours: &["pagerduty-critical", "slack-executive", "sre-slack"],
    },
    Case {
        line: "product team -> product owner",
        labels: &[
            ("alertname", "DetectionEfficiencyDegraded"),
            ("severity", "warning"),
            ("team", "product"),
            ("category", "business"),
        ],
        business_hours: &["product-owner"],
        after_hours: &["product-owner"],
    },
    Case {
        line: "no team -> SRE (root)",
        labels: &[("alertname", "Something"), ("severity", "warning")],
        business_hours: &["sre-slack"],
        after_hours: &["sre-slack"],
    },
];

#[test]
fn amtool_routes_every_line_to_the_expected_receivers() {
    let cfg = config();
    let mut failures = Vec::new();
    for case in CASES {
        let from_amtool =
            amtool::routes_test(&config_path(), case.labels).unwrap_or_else(|e| panic!("{e}"));
        // amtool ignores time intervals: it lists the business-hours and after-hours routes.
        let mut expected: Vec<&str> = Vec::new();
        for r in case.business_hours.iter().chain(case.after_hours) {
            if !expected.contains(r) {
                expected.push(r);
            }
        }
        let got: BTreeSet<&str> = from_amtool.iter().map(String::as_str).collect();
        let want: BTreeSet<&str> = expected.iter().copied().collect();
        if got != want || got.len() != from_amtool.len() {
            failures.push(format!(
                "{}: amtool gave {from_amtool:?}, expected {expected:?}",
                case.line
            ));
        }
        // The walk in this file must agree with amtool before its time filtering is trusted.
        let walked = receivers(&cfg, case.labels, None);
        if walked != from_amtool {
            failures.push(format!(
                "{}: this test's route walk gave {walked:?}, amtool {from_amtool:?}",
                case.line
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The pipeline alerts (the collector's group and the SDK's dropped spans) with the labels the
/// generator gives them: a warning reaches SRE by the hours, a critical pages and reaches SRE.
#[test]
fn amtool_routes_the_pipeline_alerts_to_sre() {
    let cfg = config();
    let dropped = its_telemetry_monitoring::alerts::core()
        .into_iter()
        .filter(|c| c.rule.alert == "TelemetryExportDropping");
    let checks: Vec<_> = its_telemetry_monitoring::alerts::otel_collector()
        .into_iter()
        .chain(dropped)
        .collect();
    assert_eq!(
        checks.len(),
        9,
        "8 collector alerts and TelemetryExportDropping"
    );
    let mut failures = Vec::new();
    for check in &checks {
        let rule = &check.rule;
        let mut labels: Vec<(&str, &str)> = vec![("alertname", rule.alert.as_str())];
        labels.extend(rule.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let (business, after): (&[&str], &[&str]) = match rule.label_value("severity") {
            Some("critical") => (
                &["pagerduty-critical", "slack-executive", "sre-slack"],
                &["pagerduty-critical", "slack-executive", "sre-slack"],
            ),
            Some("warning") => (&["sre-slack"], &["sre-email"]),
            other => panic!("{}: unexpected severity {other:?}", rule.alert),
        };
        let from_amtool =
            amtool::routes_test(&config_path(), &labels).unwrap_or_else(|e| panic!("{e}"));
        let mut expected: Vec<&str> = business.to_vec();
        expected.extend(after.iter().filter(|r| !business.contains(r)));
        if from_amtool != expected {
            failures.push(format!(
                "{}: amtool gave {from_amtool:?}, expected {expected:?}",
                rule.alert
            ));
        }
        for (when, at, want) in [
            ("business hours", WEDNESDAY_10_00, business),
            ("after hours", WEDNESDAY_22_00, after),
        ] {
            let got = receivers(&cfg, &labels, Some(at));
            if got != want {
                failures.push(format!(
                    "{} ({when}): {got:?}, expected {want:?}",
                    rule.alert
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn business_hours_and_after_hours_reach_different_receivers() {
    let cfg = config();
    let mut failures = Vec::new();
    for case in CASES {
        for (when, at, want) in [
            ("Wed 10:00", WEDNESDAY_10_00, case.business_hours),
            ("Wed 22:00", WEDNESDAY_22_00, case.after_hours),
            ("Sat 11:00", SATURDAY_11_00, case.after_hours),
        ] {
            let got = receivers(&cfg, case.labels, Some(at));
            if got != want {
                failures.push(format!(
                    "{} at {when}: got {got:?}, want {want:?}",
                    case.line
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn time_intervals_are_mon_fri_8_to_18_and_its_complement() {
    let cfg = config();
    let locations: BTreeSet<String> = seq(&cfg, "time_intervals")
        .into_iter()
        .flat_map(|i| seq(i, "time_intervals"))
        .map(|ti| {
            ti.get("location")
                .and_then(Value::as_str)
                .expect("every time interval states its location")
                .to_owned()
        })
        .collect();
    assert_eq!(
        locations.len(),
        1,
        "one timezone for all intervals: {locations:?}"
    );

    for weekday in 0..7 {
        for minute in (0..24 * 60).step_by(15) {
            let at = At { weekday, minute };
            let business = interval_active(&cfg, "business-hours", at);
            let after = interval_active(&cfg, "after-hours", at);
            let want = (1..=5).contains(&weekday) && (8 * 60..18 * 60).contains(&minute);
            assert_eq!(business, want, "business-hours at {at:?}");
            assert_ne!(
                business, after,
                "exactly one of the two intervals at {at:?}"
            );
        }
    }
}

#[test]
fn severity_escalation_shortens_repeat_interval() {
    // The leaf that sends critical alerts to an owner repeats hourly; warnings every 4h (root).
    let cfg = config();
    let root_repeat = cfg["route"]["repeat_interval"]
        .as_str()
        .expect("root repeat");
    assert_eq!(root_repeat, "4h");
    let mut critical_leaves = 0;
    fn visit(route: &Value, critical_leaves: &mut usize) {
        for child in seq(route, "routes") {
            let ms = matchers(child, "matchers");
            if ms
                .iter()
                .any(|m| m.name == "severity" && m.value == "critical" && m.op == "=")
            {
                let repeat = child.get("repeat_interval").and_then(Value::as_str);
                assert_eq!(repeat, Some("1h"), "critical route {child:?}");
                *critical_leaves += 1;
            }
            visit(child, critical_leaves);
        }
    }
    visit(&cfg["route"], &mut critical_leaves);
    assert!(
        critical_leaves >= 6,
        "critical route per owner, found {critical_leaves}"
    );
}

fn inhibited(cfg: &Value, source: &[(&str, &str)], target: &[(&str, &str)]) -> bool {
    let label = |set: &[(&str, &str)], name: &str| -> String {
        set.iter()
            .find(|(n, _)| *n == name)
            .map_or_else(String::new, |(_, v)| (*v).to_owned())
    };
    seq(cfg, "inhibit_rules").into_iter().any(|rule| {
        for legacy in [
            "source_match",
            "source_match_re",
            "target_match",
            "target_match_re",
        ] {
            assert!(rule.get(legacy).is_none(), "use *_matchers, not {legacy}");
        }
        all_match(&matchers(rule, "source_matchers"), source)
            && all_match(&matchers(rule, "target_matchers"), target)
            && strings(rule, "equal")
                .iter()
                .all(|l| label(source, l) == label(target, l))
    })
}

#[test]
fn critical_inhibits_the_matching_warning() {
    let cfg = config();
    let alert = |severity, service| {
        vec![
            ("alertname", "InferenceLatencyP95High"),
            ("severity", severity),
            ("team", "ml"),
            ("service", service),
        ]
    };
    let critical = alert("critical", "inference");
    assert!(inhibited(&cfg, &critical, &alert("warning", "inference")));
    assert!(inhibited(&cfg, &critical, &alert("info", "inference")));
    assert!(
        !inhibited(&cfg, &critical, &alert("warning", "gateway")),
        "another service's warning stays"
    );
    let mut other = alert("warning", "inference");
    other[0] = ("alertname", "ModelDrift");
    assert!(
        !inhibited(&cfg, &critical, &other),
        "another alert's warning stays"
    );
    assert!(
        !inhibited(&cfg, &alert("warning", "inference"), &critical),
        "a warning never silences a critical"
    );
}

#[test]
fn fast_burn_inhibits_slower_burn_tiers() {
    let cfg = config();
    let burn = |window, slo| {
        let severity = if window == "1h_5m" || window == "6h_30m" {
            "critical"
        } else {
            "warning"
        };
        vec![
            ("alertname", BURN_ALERT),
            ("severity", severity),
            ("team", "sre"),
            ("category", "slo"),
            ("slo", slo),
            ("burn_window", window),
            ("service", "inference"),
        ]
    };
    let windows = burn_windows();
    for (i, fast) in windows.iter().enumerate() {
        for (j, slow) in windows.iter().enumerate() {
            let silenced = inhibited(
                &cfg,
                &burn(fast, "availability"),
                &burn(slow, "availability"),
            );
            assert_eq!(
                silenced,
                i < j,
                "{fast} firing: {slow} silenced = {silenced}"
            );
            assert!(
                !inhibited(&cfg, &burn(fast, "availability"), &burn(slow, "latency")),
                "{fast} of one SLO must not silence {slow} of another"
            );
        }
    }
}

#[test]
fn router_uses_only_the_agreed_labels_and_values() {
    let text = config_text();
    let header: String = text.lines().take_while(|l| l.starts_with('#')).collect();
    let cfg = config();
    let mut all = Vec::new();
    fn collect(route: &Value, all: &mut Vec<Matcher>) {
        all.extend(matchers(route, "matchers"));
        for child in seq(route, "routes") {
            collect(child, all);
        }
    }
    collect(&cfg["route"], &mut all);
    for rule in seq(&cfg, "inhibit_rules") {
        all.extend(matchers(rule, "source_matchers"));
        all.extend(matchers(rule, "target_matchers"));
        for l in strings(rule, "equal") {
            assert!(ROUTING_LABELS.contains(&l.as_str()), "inhibit equal on {l}");
        }
    }
    for l in strings(&cfg["route"], "group_by") {
        assert!(ROUTING_LABELS.contains(&l.as_str()), "group_by {l}");
    }
    for m in &all {
        assert!(
            ROUTING_LABELS.contains(&m.name.as_str()),
            "matcher on undocumented label {}",
            m.name
        );
        assert!(
            header.contains(&m.name),
            "header comment must name label {}",
            m.name
        );
        let vocabulary: Vec<String> = match m.name.as_str() {
            "severity" => severities().into_iter().map(String::from).collect(),
            "team" => teams().into_iter().map(String::from).collect(),
            "category" => categories().into_iter().map(String::from).collect(),
            "burn_window" => burn_windows(),
            _ => continue,
        };
        for v in m.values() {
            assert!(
                vocabulary.iter().any(|known| known == v),
                "{}={v:?} is not an agreed value",
                m.name
            );
        }
    }
}

#[test]
fn every_receiver_is_reached_by_a_case() {
    let cfg = config();
    let defined: BTreeSet<String> = seq(&cfg, "receivers")
        .into_iter()
        .map(|r| r["name"].as_str().expect("receiver name").to_owned())
        .collect();
    let reached: BTreeSet<String> = CASES
        .iter()
        .flat_map(|c| c.business_hours.iter().chain(c.after_hours))
        .map(|r| (*r).to_owned())
        .collect();
    let unreached: Vec<_> = defined.difference(&reached).collect();
    assert!(
        unreached.is_empty(),
        "receivers without a routing case: {unreached:?}"
    );
    let undefined: Vec<_> = reached.difference(&defined).collect();
    assert!(
        undefined.is_empty(),
        "cases name undefined receivers: {undefined:?}"
    );
}

#[test]
fn secrets_come_from_files_only() {
    const INLINE_SECRETS: &[&str] = &[
        "api_url",
        "slack_api_url",
        "routing_key",
        "service_key",
        "auth_password",
        "smtp_auth_password",
        "auth_secret",
        "api_key",
        "api_secret",
        "bot_token",
        "token",
        "password",
        "credentials",
        "opsgenie_api_key",
        "victorops_api_key",
        "wechat_api_secret",
        "telegram_api_url",
    ];
    fn visit(v: &Value, path: &str, files: &mut usize) {
        match v {
            Value::Mapping(map) => {
                for (k, child) in map {
                    let key = k.as_str().unwrap_or_default();
                    let here = format!("{path}.{key}");
                    assert!(
                        !INLINE_SECRETS.contains(&key),
                        "{here}: inline secret; use {key}_file under /etc/alertmanager/secrets/"
                    );
                    if key.ends_with("_file") {
                        let file = child.as_str().unwrap_or_default();
                        assert!(
                            file.starts_with("/etc/alertmanager/secrets/"),
                            "{here}: {file:?} is not under /etc/alertmanager/secrets/"
                        );
                        *files += 1;
                    }
                    visit(child, &here, files);
                }
            }
            Value::Sequence(items) => {
                for (i, item) in items.iter().enumerate() {
                    visit(item, &format!("{path}[{i}]"), files);
                }
            }
            _ => {}
        }
    }
    let mut files = 0;
    visit(&config(), "", &mut files);
    assert!(files > 0, "no *_file secrets at all?");
}

/// The fleet, anomaly and capacity alerts with the labels the generator gives them: amtool
/// routes each to its owner by severity (emergency: every paging receiver; critical: page +
/// executive + owner's Slack; warning: owner's Slack or email by the hours; info: owner's
/// email), plus product owner and SRE for SLA categories, and this file's walk agrees.
#[test]
fn amtool_routes_the_fleet_alerts_to_their_owners() {
    use its_telemetry_monitoring::{anomaly, capacity, fleet};
    let cfg = config();
    let checks: Vec<_> = [fleet::checks(), anomaly::checks(), capacity::checks()].concat();
    let severities: BTreeSet<&str> = checks
        .iter()
        .filter_map(|c| c.rule.label_value("severity"))
        .collect();
    assert_eq!(
        severities,
        BTreeSet::from(["emergency", "critical", "warning", "info"]),
        "the new alerts use every step of the ladder"
    );
    let mut failures = Vec::new();
    for check in &checks {
        let rule = &check.rule;
        let label = |k: &str| rule.label_value(k).unwrap_or_default().to_owned();
        let (severity, team, category) = (label("severity"), label("team"), label("category"));
        let mut labels: Vec<(&str, &str)> = vec![("alertname", rule.alert.as_str())];
        labels.extend(rule.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let sla = ["availability", "latency", "slo"].contains(&category.as_str());
        let mut want: BTreeSet<String> = BTreeSet::new();
        match severity.as_str() {
            "emergency" => want.extend(EMERGENCY.iter().map(|r| (*r).to_owned())),
            "critical" => {
                want.extend(PAGE.iter().map(|r| (*r).to_owned()));
                want.insert(format!("{team}-slack"));
                if sla {
                    want.extend(["product-owner".to_owned(), "sre-slack".to_owned()]);
                }
            }
            "warning" => {
                want.extend([format!("{team}-slack"), format!("{team}-email")]);
                if sla {
                    want.extend(["product-owner", "sre-slack", "sre-email"].map(String::from));
                }
            }
            "info" => {
                want.insert(format!("{team}-email"));
                if sla {
                    want.extend(["product-owner", "sre-email"].map(String::from));
                }
            }
            other => panic!("{}: unexpected severity {other:?}", rule.alert),
        }
        let from_amtool =
            amtool::routes_test(&config_path(), &labels).unwrap_or_else(|e| panic!("{e}"));
        let got: BTreeSet<String> = from_amtool.iter().cloned().collect();
        if got != want || got.len() != from_amtool.len() {
            failures.push(format!(
                "{} ({severity}, {team}, {category}): amtool gave {from_amtool:?}, expected {want:?}",
                rule.alert
            ));
        }
        let walked = receivers(&cfg, &labels, None);
        if walked != from_amtool {
            failures.push(format!(
                "{}: this test's route walk gave {walked:?}, amtool {from_amtool:?}",
                rule.alert
            ));
        }
        if severity == "warning" {
            let day = receivers(&cfg, &labels, Some(WEDNESDAY_10_00));
            let night = receivers(&cfg, &labels, Some(WEDNESDAY_22_00));
            if !day.contains(&format!("{team}-slack")) || !night.contains(&format!("{team}-email"))
            {
                failures.push(format!(
                    "{}: business hours {day:?}, after hours {night:?}",
                    rule.alert
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn an_emergency_silences_the_lower_alerts_of_its_owner() {
    use its_telemetry_monitoring::fleet::{AVAILABILITY_COLLAPSE_ALERT, FLEET_OUTAGE_ALERT};
    let cfg = config();
    let alert = |name, severity, team, category, service| {
        vec![
            ("alertname", name),
            ("severity", severity),
            ("team", team),
            ("category", category),
            ("service", service),
        ]
    };
    let collapse = alert(
        AVAILABILITY_COLLAPSE_ALERT,
        "emergency",
        "sre",
        "availability",
        "detector",
    );
    let outage = alert(
        FLEET_OUTAGE_ALERT,
        "emergency",
        "infrastructure",
        "availability",
        "detector",
    );
    let low = alert(
        "SystemAvailabilityLow",
        "critical",
        "sre",
        "availability",
        "detector",
    );
    let share = alert(
        "CameraFleetOfflineShare",
        "critical",
        "infrastructure",
        "availability",
        "detector",
    );
    assert!(inhibited(&cfg, &collapse, &low));
    assert!(inhibited(&cfg, &outage, &share));
    assert!(
        !inhibited(&cfg, &outage, &low),
        "cameras offline must not hide failing inference"
    );
    assert!(
        !inhibited(
            &cfg,
            &collapse,
            &alert(
                "SystemAvailabilityLow",
                "critical",
                "sre",
                "availability",
                "gateway"
            )
        ),
        "another service's page stays"
    );
    assert!(
        !inhibited(&cfg, &share, &outage),
        "a critical never silences an emergency"
    );
}
