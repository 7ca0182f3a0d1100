//! A small typed model of Prometheus rule files: groups of recording and alerting rules,
//! written out as YAML.
//!
//! ```
//! use std::time::Duration;
//! use its_telemetry_monitoring::rules::{AlertingRule, Category, RuleFile, RuleGroup, Severity, Team};
//!
//! let alert = AlertingRule::new("TooHot", "its_gpu_temperature_celsius > 85", Severity::Warning, Team::Infrastructure, Category::Infrastructure)
//!     .pending_for(Duration::from_secs(600))
//!     .summary("GPU {{ $labels.gpu }} is too hot")
//!     .description("The GPU has been above 85 °C for 10 minutes.");
//! let file = RuleFile { groups: vec![RuleGroup::new("gpu").alert(alert)] };
//! let yaml = file.to_yaml();
//! assert!(yaml.contains("alert: TooHot"));
//! assert!(yaml.contains("runbook_url: https://runbooks.example.com/its/TooHot"));
//! assert_eq!(RuleFile::from_yaml(&yaml).expect("parses"), file);
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where runbooks live; an alert's `runbook_url` is this followed by `/<alertname>`.
pub const RUNBOOK_BASE_URL: &str = "https://runbooks.example.com/its";

/// A Prometheus rule file (`rule_files:` entry).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleFile {
    /// Rule groups, evaluated independently.
    pub groups: Vec<RuleGroup>,
}

impl RuleFile {
    /// The file as YAML, as `promtool check rules` reads it.
    ///
    /// # Panics
    /// Never: the model holds only strings and maps, which always serialize.
    #[must_use]
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).expect("rule files always serialize")
    }

    /// Reads a rule file.
    ///
    /// # Errors
    /// When the text is not YAML of the rule-file shape.
    pub fn from_yaml(text: &str) -> Result<Self, serde_norway::Error> {
        serde_norway::from_str(text)
    }

    /// Every alerting rule, group by group.
    pub fn alerts(&self) -> impl Iterator<Item = &AlertingRule> {
        self.groups
            .iter()
            .flat_map(|g| g.rules.iter())
            .filter_map(|r| match r {
                Rule::Alerting(a) => Some(a),
                Rule::Recording(_) => None,
            })
    }

    /// Every recording rule, group by group.
    pub fn recordings(&self) -> impl Iterator<Item = &RecordingRule> {
        self.groups
            .iter()
            .flat_map(|g| g.rules.iter())
            .filter_map(|r| match r {
                Rule::Recording(r) => Some(r),
                Rule::Alerting(_) => None,
            })
    }
}

/// A named group of rules evaluated together, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleGroup {
    /// Unique name within the file.
    pub name: String,
    /// Evaluation interval (Prometheus duration such as `1m`); the global one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// The rules, evaluated top to bottom: recording rules first lets alerts use fresh values.
    pub rules: Vec<Rule>,
}

impl RuleGroup {
    /// An empty group.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            interval: None,
            rules: Vec::new(),
        }
    }

    /// Sets the evaluation interval.
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(prom_duration(interval));
        self
    }

    /// Appends a recording rule.
    #[must_use]
    pub fn record(mut self, rule: RecordingRule) -> Self {
        self.rules.push(Rule::Recording(rule));
        self
    }

    /// Appends an alerting rule.
    #[must_use]
    pub fn alert(mut self, rule: AlertingRule) -> Self {
        self.rules.push(Rule::Alerting(rule));
        self
    }
}

/// One rule of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Rule {
    /// Stores the result of an expression as a new series.
    Recording(RecordingRule),
    /// Fires an alert while an expression returns series.
    Alerting(AlertingRule),
}

/// A recording rule: `record: level:metric:operations`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingRule {
    /// The name of the recorded series.
    pub record: String,
    /// PromQL.
    pub expr: String,
    /// Labels added to the result.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl RecordingRule {
    /// A recording rule without extra labels.
    #[must_use]
    pub fn new(record: impl Into<String>, expr: impl Into<String>) -> Self {
        Self {
            record: record.into(),
            expr: expr.into(),
            labels: BTreeMap::new(),
        }
    }

    /// Adds a label to the recorded series.
    #[must_use]
    pub fn label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(name.into(), value.into());
        self
    }
}

/// An alerting rule.
///
/// Built with [`AlertingRule::new`], it always carries the routing contract with Alertmanager:
/// labels `severity`, `team` and `category`, and annotations `summary`, `description` and
/// `runbook_url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertingRule {
    /// The alert's name (`alertname`).
    pub alert: String,
    /// PromQL; every series it returns is an alert.
    pub expr: String,
    /// How long the expression must hold before the alert fires (pending until then).
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub pending_for: Option<String>,
    /// Labels added to the alert (routing keys).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Human text; may use `{{ $labels.name }}` templates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl AlertingRule {
    /// An alert with its routing labels and a `runbook_url` under [`RUNBOOK_BASE_URL`]; add
    /// [`summary`](Self::summary) and [`description`](Self::description).
    #[must_use]
    pub fn new(
        alert: impl Into<String>,
        expr: impl Into<String>,
        severity: Severity,
        team: Team,
        category: Category,
    ) -> Self {
        let alert = alert.into();
        let labels = BTreeMap::from([
            ("severity".to_owned(), severity.as_str().to_owned()),
            ("team".to_owned(), team.as_str().to_owned()),
            ("category".to_owned(), category.as_str().to_owned()),
        ]);
        let annotations = BTreeMap::from([(
            "runbook_url".to_owned(),
            format!("{RUNBOOK_BASE_URL}/{alert}"),
        )]);
        Self {
            alert,
            expr: expr.into(),
            pending_for: None,
            labels,
            annotations,
        }
    }

    /// Sets `for`.
    #[must_use]
    pub fn pending_for(mut self, duration: Duration) -> Self {
        self.pending_for = (!duration.is_zero()).then(|| prom_duration(duration));
        self
    }

    /// Adds or replaces a label.
    #[must_use]
    pub fn label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(name.into(), value.into());
        self
    }

    /// Adds or replaces an annotation.
    #[must_use]
    pub fn annotation(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(name.into(), value.into());
        self
    }

    /// Sets the `summary` annotation: one line for the page.
    #[must_use]
    pub fn summary(self, text: impl Into<String>) -> Self {
        self.annotation("summary", text)
    }

    /// Sets the `description` annotation: what is wrong and what it means.
    #[must_use]
    pub fn description(self, text: impl Into<String>) -> Self {
        self.annotation("description", text)
    }

    /// A label's value.
    #[must_use]
    pub fn label_value(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }
}

/// The `severity` label: how urgently a human must act. The ladder, least urgent first:
/// info → warning → critical → emergency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Fleet-wide outage: page every paging receiver at once (all teams, the executive
    /// channel and PagerDuty), not only the owner.
    Emergency,
    /// Page now.
    Critical,
    /// Ticket: look during working hours.
    Warning,
    /// For dashboards and digests only.
    Info,
}

impl Severity {
    /// Every value, most urgent first.
    pub const ALL: [Self; 4] = [Self::Emergency, Self::Critical, Self::Warning, Self::Info];

    /// The label value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Emergency => "emergency",
            Self::Critical => "critical",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

/// The `team` label: who owns the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Team {
    /// Site reliability engineering.
    Sre,
    /// ML engineering (models, accuracy, drift, inference latency).
    Ml,
    /// Infrastructure (GPUs, capacity).
    Infrastructure,
    /// Business operations (traffic analytics, cost, data volume).
    Business,
    /// Security.
    Security,
    /// Product owners.
    Product,
}

impl Team {
    /// Every team.
    pub const ALL: [Self; 6] = [
        Self::Sre,
        Self::Ml,
        Self::Infrastructure,
        Self::Business,
        Self::Security,
        Self::Product,
    ];

    /// The label value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sre => "sre",
            Self::Ml => "ml",
            Self::Infrastructure => "infrastructure",
            Self::Business => "business",
            Self::Security => "security",
            Self::Product => "product",
        }
    }
}

/// The `category` label: what kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// The service or a target is down or failing.
    Availability,
    /// Too slow.
    Latency,
    /// Service level objectives: burn rates and SLA violations.
    Slo,
    /// Model quality.
    Ml,
    /// GPUs and capacity.
    Infrastructure,
    /// Traffic analytics, cost, data volume and quality.
    Business,
    /// Authentication failures and other attacks.
    Security,
    /// The telemetry pipeline itself.
    Telemetry,
}

impl Category {
    /// Every category.
    pub const ALL: [Self; 8] = [
        Self::Availability,
        Self::Latency,
        Self::Slo,
        Self::Ml,
        Self::Infrastructure,
        Self::Business,
        Self::Security,
        Self::Telemetry,
    ];

    /// The label value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Availability => "availability",
            Self::Latency => "latency",
            Self::Slo => "slo",
            Self::Ml => "ml",
            Self::Infrastructure => "infrastructure",
            Self::Business => "business",
            Self::Security => "security",
            Self::Telemetry => "telemetry",
        }
    }
}

/// A duration in Prometheus notation, in the largest unit that divides it exactly
/// (`30d`, `6h`, `5m`, `15s`, `250ms`).
///
/// ```
/// use std::time::Duration;
/// use its_telemetry_monitoring::rules::prom_duration;
///
/// assert_eq!(prom_duration(Duration::from_secs(30 * 86_400)), "30d");
/// assert_eq!(prom_duration(Duration::from_secs(90)), "90s");
/// assert_eq!(prom_duration(Duration::from_millis(1500)), "1500ms");
/// ```
#[must_use]
pub fn prom_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    for (unit, len) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms % len == 0 {
            return format!("{}{unit}", ms / len);
        }
    }
    format!("{ms}ms")
}

/// A number for PromQL, rounded to 12 significant decimals so that `1 - 0.999` prints as
/// `0.001`.
#[must_use]
pub fn prom_number(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = 12 - value.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits.clamp(0, 300));
    format!("{}", (value * scale).round() / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_short() {
        assert_eq!(prom_number(1.0 - 0.999), "0.001");
        assert_eq!(prom_number(14.4 * (1.0 - 0.999)), "0.0144");
        assert_eq!(prom_number(0.85), "0.85");
        assert_eq!(prom_number(8e12), "8000000000000");
        assert_eq!(prom_number(300.0), "300");
    }

    #[test]
    fn durations_pick_the_largest_unit() {
        assert_eq!(prom_duration(Duration::from_secs(300)), "5m");
        assert_eq!(prom_duration(Duration::from_secs(3 * 86_400)), "3d");
        assert_eq!(prom_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(prom_duration(Duration::ZERO), "0s");
    }
}
