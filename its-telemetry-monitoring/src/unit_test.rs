//! A typed model of `promtool test rules` files, and [`AlertCheck`]: an alerting rule with a
//! scenario in which it fires and one in which it stays silent.
//!
//! Expected alerts are derived from the rule itself (its labels, and its annotations with
//! `{{ $labels.name }}` filled in), so a rule and its test cannot drift apart.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::rules::{AlertingRule, prom_duration};

/// Labels every test series carries, as the SDK's global labels do.
pub const TEST_SERVICE_LABELS: [(&str, &str); 2] =
    [("environment", "test"), ("service", "detector")];

/// A `promtool test rules` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestFile {
    /// Rule files under test, relative to this file's directory.
    pub rule_files: Vec<String>,
    /// How often rules are evaluated during the test (`1m`).
    pub evaluation_interval: String,
    /// Independent test groups, each with its own series.
    pub tests: Vec<TestGroup>,
}

impl TestFile {
    /// The file as YAML.
    ///
    /// # Panics
    /// Never: the model holds only strings, lists and maps.
    #[must_use]
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).expect("test files always serialize")
    }

    /// Reads a test file.
    ///
    /// # Errors
    /// When the text is not YAML of the test-file shape.
    pub fn from_yaml(text: &str) -> Result<Self, serde_norway::Error> {
        serde_norway::from_str(text)
    }
}

/// One test group: input series and the alerts expected at given times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestGroup {
    /// Shown by promtool when the group fails.
    pub name: String,
    /// Step between the values of each input series (`1m`).
    pub interval: String,
    /// The series, in the `values` notation (`0+60x30`).
    pub input_series: Vec<InputSeries>,
    /// Alerts expected at given times (`alert_rule_test` in the file).
    #[serde(
        rename = "alert_rule_test",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub alert_rule_tests: Vec<AlertTestCase>,
    /// Values of PromQL expressions (recorded series) expected at given times
    /// (`promql_expr_test` in the file).
    #[serde(
        rename = "promql_expr_test",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub promql_expr_tests: Vec<ExprTestCase>,
}

/// One `promql_expr_test`: an expression and the samples it must return at `eval_time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExprTestCase {
    /// PromQL, usually a recorded series' name.
    pub expr: String,
    /// When, from the start of the input series (`10m`).
    pub eval_time: String,
    /// Every sample returned, labels and value.
    pub exp_samples: Vec<ExpectedSample>,
}

/// One sample an expression must return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedSample {
    /// `metric{label="value", …}`, in the input series' notation.
    pub labels: String,
    /// The value.
    pub value: f64,
}

/// One input series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSeries {
    /// `metric{label="value", …}`.
    pub series: String,
    /// Expanding notation: `a+bxn` is `n + 1` values from `a` in steps of `b`.
    pub values: String,
}

impl InputSeries {
    /// A series of `metric` with `labels` plus [`TEST_SERVICE_LABELS`].
    #[must_use]
    pub fn new(metric: &str, labels: &[(&str, &str)], values: impl Into<String>) -> Self {
        Self::bare(
            metric,
            &TEST_SERVICE_LABELS
                .iter()
                .chain(labels)
                .copied()
                .collect::<Vec<_>>(),
            values,
        )
    }

    /// A series of `metric` with exactly `labels` (for `up`, which has no service labels).
    #[must_use]
    pub fn bare(metric: &str, labels: &[(&str, &str)], values: impl Into<String>) -> Self {
        let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        Self {
            series: format!("{metric}{{{}}}", labels.join(", ")),
            values: values.into(),
        }
    }
}

/// The alerts named `alertname` that must be firing at `eval_time`; none means silent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertTestCase {
    /// Time since the start of the series (`15m`).
    pub eval_time: String,
    /// The alert checked.
    pub alertname: String,
    /// Every firing alert of that name, exactly; empty means none may fire.
    #[serde(default)]
    pub exp_alerts: Vec<ExpectedAlert>,
}

/// One expected firing alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedAlert {
    /// All labels but `alertname`.
    #[serde(default)]
    pub exp_labels: BTreeMap<String, String>,
    /// All annotations, templates expanded.
    #[serde(default)]
    pub exp_annotations: BTreeMap<String, String>,
}

impl ExpectedAlert {
    /// What `rule` produces for a result series with `series_labels`: the rule's labels win,
    /// and `{{ $labels.x }}` in annotations is filled from the final labels.
    #[must_use]
    pub fn for_rule(rule: &AlertingRule, series_labels: &[(&str, &str)]) -> Self {
        let mut labels: BTreeMap<String, String> = series_labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        labels.extend(rule.labels.clone());
        let annotations = rule
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), expand_labels(v, &labels)))
            .collect();
        Self {
            exp_labels: labels,
            exp_annotations: annotations,
        }
    }
}

/// Fills `{{ $labels.name }}` (the only template the generated annotations use).
fn expand_labels(template: &str, labels: &BTreeMap<String, String>) -> String {
    let mut out = template.to_owned();
    for (k, v) in labels {
        out = out.replace(&format!("{{{{ $labels.{k} }}}}"), v);
    }
    out
}

/// Input series, a time, and the result series (their labels) expected to fire then.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// What the scenario shows, for promtool's failure message.
    pub name: String,
    /// The series; their step is one minute.
    pub input_series: Vec<InputSeries>,
    /// When to look.
    pub eval_time: Duration,
    /// Labels of each result series that must fire (besides the rule's own); empty: silent.
    pub fires: Vec<Vec<(String, String)>>,
    /// Further times at which the same must hold (a silent case at the peak and at the trough
    /// of a daily cycle).
    pub also_at: Vec<Duration>,
}

impl Scenario {
    /// A scenario in which the alert must fire once, for a series with [`TEST_SERVICE_LABELS`]
    /// plus `labels`.
    #[must_use]
    pub fn fires(
        name: impl Into<String>,
        eval_minutes: u64,
        labels: &[(&str, &str)],
        input_series: Vec<InputSeries>,
    ) -> Self {
        let fired = TEST_SERVICE_LABELS
            .iter()
            .chain(labels)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self {
            name: name.into(),
            input_series,
            eval_time: Duration::from_secs(eval_minutes * 60),
            fires: vec![fired],
            also_at: Vec::new(),
        }
    }

    /// A scenario in which the alert must stay silent.
    #[must_use]
    pub fn silent(
        name: impl Into<String>,
        eval_minutes: u64,
        input_series: Vec<InputSeries>,
    ) -> Self {
        Self {
            name: name.into(),
            input_series,
            eval_time: Duration::from_secs(eval_minutes * 60),
            fires: Vec::new(),
            also_at: Vec::new(),
        }
    }

    /// Checks the same outcome also `minutes` after the start.
    #[must_use]
    pub fn also_at(mut self, minutes: u64) -> Self {
        self.also_at.push(Duration::from_secs(minutes * 60));
        self
    }

    /// Replaces the labels of the firing series (for series without service labels).
    #[must_use]
    pub fn with_exact_labels(mut self, labels: &[(&str, &str)]) -> Self {
        self.fires = vec![
            labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ];
        self
    }
}

/// An alerting rule with the proof that it works: a scenario where it fires and one where it
/// stays silent.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertCheck {
    /// The rule.
    pub rule: AlertingRule,
    /// It fires here, with the expected labels.
    pub fires: Scenario,
    /// It stays silent here.
    pub silent: Scenario,
}

impl AlertCheck {
    /// The two promtool test groups.
    #[must_use]
    pub fn test_groups(&self) -> Vec<TestGroup> {
        [&self.fires, &self.silent]
            .into_iter()
            .map(|scenario| scenario_group(&self.rule, scenario))
            .collect()
    }
}

/// The promtool test group that checks `rule` in `scenario` (for scenarios beyond an
/// [`AlertCheck`]'s two).
#[must_use]
pub fn scenario_group(rule: &AlertingRule, scenario: &Scenario) -> TestGroup {
    let exp_alerts: Vec<ExpectedAlert> = scenario
        .fires
        .iter()
        .map(|labels| {
            let labels: Vec<(&str, &str)> = labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            ExpectedAlert::for_rule(rule, &labels)
        })
        .collect();
    TestGroup {
        name: format!("{}: {}", rule.alert, scenario.name),
        interval: "1m".to_owned(),
        input_series: scenario.input_series.clone(),
        alert_rule_tests: std::iter::once(scenario.eval_time)
            .chain(scenario.also_at.iter().copied())
            .map(|at| AlertTestCase {
                eval_time: prom_duration(at),
                alertname: rule.alert.clone(),
                exp_alerts: exp_alerts.clone(),
            })
            .collect(),
        promql_expr_tests: Vec::new(),
    }
}

/// `v+stepxn`: a counter rising by `step` per minute for `minutes` minutes.
#[must_use]
pub fn rising(step: f64, minutes: u64) -> String {
    format!("0+{step}x{minutes}")
}

/// `vxn`: a constant for `minutes` minutes.
#[must_use]
pub fn constant(value: f64, minutes: u64) -> String {
    format!("{value}x{minutes}")
}

/// A counter rising by `phases[i].1` per minute for `phases[i].0` minutes, one phase after
/// the other, starting from 0.
#[must_use]
pub fn piecewise(phases: &[(u64, f64)]) -> String {
    let mut parts = Vec::new();
    let mut value = 0.0;
    let mut first = true;
    for &(minutes, step) in phases {
        // Each later segment starts one step on, so the value at its first minute is new.
        let (start, n) = if first {
            (value, minutes)
        } else {
            (value + step, minutes.saturating_sub(1))
        };
        parts.push(format!("{start}+{step}x{n}"));
        value = start + step * n as f64;
        first = false;
    }
    parts.join(" ")
}

/// The series of a histogram whose observations all equal `observed`, `per_minute` of them
/// each minute for `minutes` minutes: `_bucket` for every bound (plus `+Inf`), `_sum` and
/// `_count`.
#[must_use]
pub fn histogram(
    name: &str,
    bounds: &[f64],
    labels: &[(&str, &str)],
    observed: f64,
    per_minute: u64,
    minutes: u64,
) -> Vec<InputSeries> {
    let n = per_minute as f64;
    let bucket = format!("{name}_bucket");
    let mut series: Vec<InputSeries> = bounds
        .iter()
        .map(|&le| {
            let le_text = format!("{le}");
            let mut labels = labels.to_vec();
            labels.push(("le", &le_text));
            let step = if observed <= le { n } else { 0.0 };
            InputSeries::new(&bucket, &labels, rising(step, minutes))
        })
        .collect();
    let mut inf = labels.to_vec();
    inf.push(("le", "+Inf"));
    series.push(InputSeries::new(&bucket, &inf, rising(n, minutes)));
    series.push(InputSeries::new(
        &format!("{name}_sum"),
        labels,
        rising(n * observed, minutes),
    ));
    series.push(InputSeries::new(
        &format!("{name}_count"),
        labels,
        rising(n, minutes),
    ));
    series
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piecewise_counters_continue() {
        assert_eq!(piecewise(&[(3, 10.0)]), "0+10x3");
        assert_eq!(piecewise(&[(3, 10.0), (2, 0.0)]), "0+10x3 30+0x1");
        assert_eq!(piecewise(&[(2, 1.0), (3, 5.0)]), "0+1x2 7+5x2");
    }

    #[test]
    fn annotations_are_expanded() {
        let labels = BTreeMap::from([("model".to_owned(), "yolo".to_owned())]);
        assert_eq!(
            expand_labels("model {{ $labels.model }} is slow", &labels),
            "model yolo is slow"
        );
    }
}
