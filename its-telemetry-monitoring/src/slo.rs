//! SLO rules: SLI error ratios over the burn-rate windows, the error budget left, and
//! multi-window multi-burn-rate alerts (Google SRE workbook, chapter 5), one alerting rule per
//! window pair.
//!
//! Every rule reads only `its_slo_events_total{slo, result}`, which
//! [`SloRecorder`](its_telemetry::sla::SloRecorder) writes, aggregated `by (environment, service, slo)`.
//!
//! | `burn_window` | burn rate | long window | short window | severity |
//! |---|---|---|---|---|
//! | `1h_5m` | 14.4× | 1h | 5m | critical (page) |
//! | `6h_30m` | 6× | 6h | 30m | critical (page) |
//! | `1d_2h` | 3× | 1d | 2h | warning (ticket) |
//! | `3d_6h` | 1× | 3d | 6h | warning (ticket) |
//!
//! ```
//! use its_telemetry_monitoring::{default_slos, slo::SloRules};
//!
//! let slo = &default_slos()[0];
//! let groups = SloRules::new(slo).groups();
//! let alerts: Vec<_> = groups.iter().flat_map(|g| g.rules.iter()).collect();
//! assert!(!alerts.is_empty());
//! ```

use std::time::Duration;

use super::rules::{
    AlertingRule, Category, RecordingRule, RuleGroup, Severity, Team, prom_duration, prom_number,
};
use super::unit_test::{AlertTestCase, ExpectedAlert, InputSeries, TestGroup, piecewise};
use its_telemetry::catalog::sla as m;
use its_telemetry::sla::{Sli, Slo};

const MINUTE: u64 = 60;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

/// The labels SLO series are aggregated by.
pub const SLO_AGGREGATION: &str = "environment, service, slo";

/// The name of the error-ratio recording rule over `window`: `slo:sli_error:ratio_rate5m`.
#[must_use]
pub fn error_ratio_record(window: Duration) -> String {
    format!("slo:sli_error:ratio_rate{}", prom_duration(window))
}

/// The name of the error-budget recording rule: the share of the budget left over the SLO's
/// window (1 = untouched, 0 = spent, negative = overspent).
pub const ERROR_BUDGET_REMAINING: &str = "slo:error_budget:remaining_ratio";

/// The alert name of every burn-rate rule; `burn_window` tells the rules apart.
pub const BURN_ALERT: &str = "ErrorBudgetBurn";

/// One multi-window burn-rate tier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnTier {
    /// How many times faster than sustainable the budget is spent.
    pub factor: f64,
    /// The long window.
    pub long: Duration,
    /// The short window, which makes the alert reset quickly once the burn stops.
    pub short: Duration,
    /// Page (critical) or ticket (warning).
    pub severity: Severity,
    /// How long both windows must burn before the alert fires.
    pub pending_for: Duration,
}

impl BurnTier {
    /// The `burn_window` label: `1h_5m`.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{}_{}", prom_duration(self.long), prom_duration(self.short))
    }
}

/// The workbook's four tiers for a 30-day window.
pub const DEFAULT_TIERS: [BurnTier; 4] = [
    BurnTier {
        factor: 14.4,
        long: Duration::from_secs(HOUR),
        short: Duration::from_secs(5 * MINUTE),
        severity: Severity::Critical,
        pending_for: Duration::from_secs(2 * MINUTE),
    },
    BurnTier {
        factor: 6.0,
        long: Duration::from_secs(6 * HOUR),
        short: Duration::from_secs(30 * MINUTE),
        severity: Severity::Critical,
        pending_for: Duration::from_secs(5 * MINUTE),
    },
    BurnTier {
        factor: 3.0,
        long: Duration::from_secs(DAY),
        short: Duration::from_secs(2 * HOUR),
        severity: Severity::Warning,
        pending_for: Duration::from_secs(15 * MINUTE),
    },
    BurnTier {
        factor: 1.0,
        long: Duration::from_secs(3 * DAY),
        short: Duration::from_secs(6 * HOUR),
        severity: Severity::Warning,
        pending_for: Duration::from_secs(15 * MINUTE),
    },
];

/// The windows the SLI error ratio is recorded over (the SLO's own window comes on top).
pub const SLI_WINDOWS: [Duration; 7] = [
    Duration::from_secs(5 * MINUTE),
    Duration::from_secs(30 * MINUTE),
    Duration::from_secs(HOUR),
    Duration::from_secs(2 * HOUR),
    Duration::from_secs(6 * HOUR),
    Duration::from_secs(DAY),
    Duration::from_secs(3 * DAY),
];

/// Rules (and their promtool tests) for one SLO.
#[derive(Debug, Clone)]
#[must_use]
pub struct SloRules<'a> {
    slo: &'a Slo,
    tiers: Vec<BurnTier>,
    min_event_rate: f64,
    team: Team,
}

impl<'a> SloRules<'a> {
    /// The default tiers, a minimum traffic of 0.1 events/s, owned by SRE.
    pub fn new(slo: &'a Slo) -> Self {
        Self {
            slo,
            tiers: DEFAULT_TIERS.to_vec(),
            min_event_rate: 0.1,
            team: Team::Sre,
        }
    }

    /// Burn-rate alerts need at least this many events per second over their long window, so
    /// that a handful of failures on a quiet service does not page.
    pub fn min_event_rate(mut self, events_per_second: f64) -> Self {
        self.min_event_rate = events_per_second;
        self
    }

    /// Replaces the burn-rate tiers.
    pub fn tiers(mut self, tiers: impl IntoIterator<Item = BurnTier>) -> Self {
        self.tiers = tiers.into_iter().collect();
        self
    }

    /// The team the alerts go to.
    pub fn team(mut self, team: Team) -> Self {
        self.team = team;
        self
    }

    fn name(&self) -> &str {
        self.slo.name()
    }

    fn budget(&self) -> String {
        prom_number(self.slo.error_budget())
    }

    fn events(&self, result: Option<&str>) -> String {
        match result {
            Some(r) => format!(
                "{}{{slo=\"{}\", result=\"{r}\"}}",
                m::EVENTS.name,
                self.name()
            ),
            None => format!("{}{{slo=\"{}\"}}", m::EVENTS.name, self.name()),
        }
    }

    fn ratio(&self, window: Duration) -> String {
        format!("{}{{slo=\"{}\"}}", error_ratio_record(window), self.name())
    }

    /// Every window the error ratio is recorded over, shortest first.
    fn windows(&self) -> Vec<Duration> {
        let mut windows = SLI_WINDOWS.to_vec();
        for tier in &self.tiers {
            windows.extend([tier.long, tier.short]);
        }
        windows.push(self.slo.window());
        windows.sort();
        windows.dedup();
        windows
    }

    /// The recording rule of the error ratio over `window`.
    #[must_use]
    pub fn error_ratio(&self, window: Duration) -> RecordingRule {
        let w = prom_duration(window);
        RecordingRule::new(
            error_ratio_record(window),
            format!(
                "sum by ({SLO_AGGREGATION}) (rate({bad}[{w}]))\n/\nsum by ({SLO_AGGREGATION}) (rate({all}[{w}]))",
                bad = self.events(Some("bad")),
                all = self.events(None),
            ),
        )
        .label("slo", self.name())
    }

    /// The burn-rate alert of one tier.
    #[must_use]
    pub fn burn_alert(&self, tier: &BurnTier) -> AlertingRule {
        let threshold = format!("({} * {})", prom_number(tier.factor), self.budget());
        let long = prom_duration(tier.long);
        let short = prom_duration(tier.short);
        let expr = format!(
            "(\n  {lr} > {threshold}\nand\n  {sr} > {threshold}\n)\nand on ({SLO_AGGREGATION})\n  sum by ({SLO_AGGREGATION}) (rate({all}[{long}])) > {min}",
            lr = self.ratio(tier.long),
            sr = self.ratio(tier.short),
            all = self.events(None),
            min = prom_number(self.min_event_rate),
        );
        let what = if tier.severity == Severity::Critical {
            "page"
        } else {
            "ticket"
        };
        AlertingRule::new(BURN_ALERT, expr, tier.severity, self.team, Category::Slo)
            .pending_for(tier.pending_for)
            .label("slo", self.name())
            .label("burn_window", tier.label())
            .summary(format!(
                "SLO {{{{ $labels.slo }}}} of {{{{ $labels.service }}}} is burning its error budget {}x too fast ({long}/{short})",
                prom_number(tier.factor)
            ))
            .description(format!(
                "Over both the last {long} and the last {short}, {{{{ $labels.service }}}} ({{{{ $labels.environment }}}}) spent the error budget of SLO {{{{ $labels.slo }}}} (objective {}, window {}) at more than {}x the sustainable rate. This tier is a {what}; faster tiers inhibit it while they fire.",
                prom_number(self.slo.objective()),
                prom_duration(self.slo.window()),
                prom_number(tier.factor),
            ))
    }

    /// The alert fired while the SLO is not met over its whole window: availability SLA
    /// violation, latency SLA breach, or SLO violation for custom SLIs.
    #[must_use]
    pub fn violation_alert(&self) -> AlertingRule {
        let (alert, what) = violation_name(self.slo.sli());
        let window = prom_duration(self.slo.window());
        AlertingRule::new(
            alert,
            format!(
                "{} > {}",
                self.ratio(self.slo.window()),
                self.budget()
            ),
            Severity::Critical,
            self.team,
            Category::Slo,
        )
        .pending_for(Duration::from_secs(5 * MINUTE))
        .label("slo", self.name())
        .summary(format!(
            "{what} SLA of {{{{ $labels.service }}}} violated: SLO {{{{ $labels.slo }}}} is below {} over {window}",
            prom_number(self.slo.objective())
        ))
        .description(format!(
            "The error budget of SLO {{{{ $labels.slo }}}} ({{{{ $labels.service }}}}, {{{{ $labels.environment }}}}) for the last {window} is spent: fewer than {} of events were good.",
            prom_number(self.slo.objective())
        ))
    }

    /// The rule groups: the long windows, error budget and violation alert in a group
    /// evaluated every minute, then the short windows and the burn-rate alerts.
    #[must_use]
    pub fn groups(&self) -> Vec<RuleGroup> {
        let (long, short): (Vec<Duration>, Vec<Duration>) = self
            .windows()
            .into_iter()
            .partition(|w| *w >= Duration::from_secs(DAY));
        let mut slow = RuleGroup::new(format!("slo:{}:long", self.name()))
            .interval(Duration::from_secs(MINUTE));
        for w in long {
            slow = slow.record(self.error_ratio(w));
        }
        slow = slow
            .record(
                RecordingRule::new(
                    ERROR_BUDGET_REMAINING,
                    format!("1 - {} / {}", self.ratio(self.slo.window()), self.budget()),
                )
                .label("slo", self.name()),
            )
            .alert(self.violation_alert());
        let mut fast = RuleGroup::new(format!("slo:{}", self.name()));
        for w in short {
            fast = fast.record(self.error_ratio(w));
        }
        for tier in &self.tiers {
            fast = fast.alert(self.burn_alert(tier));
        }
        vec![slow, fast]
    }

    /// `promtool test rules` groups proving the alerts: fast burn (every tier), a burst that
    /// has stopped (the 5m window resets the page), sustained 4× and 2× burns (tickets only),
    /// a burn within budget, and a quiet service (traffic guard).
    ///
    /// The scenarios assume the default tiers, and a budget of at most 5 % (objective ≥ 0.95).
    #[must_use]
    pub fn test_groups(&self) -> Vec<TestGroup> {
        const PER_MINUTE: f64 = 6_000.0;
        let bad_at = |factor: f64| (factor * self.slo.error_budget() * PER_MINUTE).round();
        let tier = |label: &str| {
            self.tiers
                .iter()
                .find(|t| t.label() == label)
                .map(|t| self.burn_alert(t))
        };
        let all = ["1h_5m", "6h_30m", "1d_2h", "3d_6h"];
        let scenarios = [
            BurnScenario {
                name: "fast burn fires every tier",
                phases: vec![(60, 18.0)],
                per_minute: PER_MINUTE,
                firing: &all,
                violated: Some(true),
            },
            BurnScenario {
                name: "burst stopped 12m ago: the 5m window silences the 1h page",
                phases: vec![(50, 18.0), (12, 0.0)],
                per_minute: PER_MINUTE,
                firing: &all[1..],
                violated: Some(true),
            },
            BurnScenario {
                name: "sustained 4x burn opens tickets only",
                phases: vec![(60, 4.0)],
                per_minute: PER_MINUTE,
                firing: &all[2..],
                violated: Some(true),
            },
            BurnScenario {
                name: "sustained 2x burn opens the 3d ticket only",
                phases: vec![(60, 2.0)],
                per_minute: PER_MINUTE,
                firing: &all[3..],
                violated: Some(true),
            },
            BurnScenario {
                name: "half the budget: silent",
                phases: vec![(60, 0.5)],
                per_minute: PER_MINUTE,
                firing: &[],
                violated: Some(false),
            },
            BurnScenario {
                name: "quiet service below the traffic guard: silent",
                phases: vec![(60, 0.0)],
                per_minute: 2.0,
                firing: &[],
                violated: None,
            },
        ];
        let labels = [
            ("environment", "test"),
            ("service", "detector"),
            ("slo", self.name()),
        ];
        let mut groups = Vec::new();
        for BurnScenario {
            name,
            phases,
            per_minute,
            firing,
            violated,
        } in scenarios
        {
            let minutes: u64 = phases.iter().map(|p| p.0).sum();
            let (good, bad) = if per_minute < PER_MINUTE {
                // Half of a trickle fails.
                let half = per_minute / 2.0;
                (piecewise(&[(minutes, half)]), piecewise(&[(minutes, half)]))
            } else {
                let bad: Vec<(u64, f64)> = phases.iter().map(|&(n, f)| (n, bad_at(f))).collect();
                let good: Vec<(u64, f64)> = bad.iter().map(|&(n, b)| (n, per_minute - b)).collect();
                (piecewise(&good), piecewise(&bad))
            };
            let series = |result: &str, values: String| InputSeries {
                series: format!(
                    "{}{{environment=\"test\", service=\"detector\", slo=\"{}\", result=\"{result}\"}}",
                    m::EVENTS.name,
                    self.name()
                ),
                values,
            };
            let eval_time = prom_duration(Duration::from_secs(minutes * MINUTE));
            let mut cases = vec![AlertTestCase {
                eval_time: eval_time.clone(),
                alertname: BURN_ALERT.to_owned(),
                exp_alerts: firing
                    .iter()
                    .filter_map(|label| tier(label))
                    .map(|rule| ExpectedAlert::for_rule(&rule, &labels))
                    .collect(),
            }];
            if let Some(violated) = violated {
                let rule = self.violation_alert();
                cases.push(AlertTestCase {
                    eval_time,
                    alertname: rule.alert.clone(),
                    exp_alerts: if violated {
                        vec![ExpectedAlert::for_rule(&rule, &labels)]
                    } else {
                        Vec::new()
                    },
                });
            }
            groups.push(TestGroup {
                name: format!("SLO {}: {name}", self.name()),
                interval: "1m".to_owned(),
                input_series: vec![series("good", good), series("bad", bad)],
                alert_rule_tests: cases,
                promql_expr_tests: Vec::new(),
            });
        }
        groups
    }
}

/// One synthetic history of SLO events for the promtool suite.
struct BurnScenario<'a> {
    name: &'a str,
    /// (minutes, burn factor) one after the other.
    phases: Vec<(u64, f64)>,
    /// Events per minute.
    per_minute: f64,
    /// The `burn_window`s that must fire at the end.
    firing: &'a [&'a str],
    /// Whether the SLA-violation alert must fire; `None`: not checked.
    violated: Option<bool>,
}

fn violation_name(sli: &Sli) -> (&'static str, &'static str) {
    match sli {
        Sli::Availability => ("AvailabilitySLAViolation", "Availability"),
        Sli::Latency { .. } => ("LatencySLABreach", "Latency"),
        _ => ("SLOViolation", "Service level"),
    }
}
