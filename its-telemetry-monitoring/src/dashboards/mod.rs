//! Grafana dashboards generated from the catalog: the ITS camera-AI overview, the ML pipeline,
//! business analytics and GPUs. Every query is built from catalog names, so a panel can never
//! ask for a series the SDK does not emit; `tests/tests/monitoring_e2e.rs` proves each one returns
//! data against a real Prometheus.
//!
//! This module holds the small DSL the dashboards are written in (queries, panels, layout and
//! the Grafana JSON); each dashboard lives in its own file.

use serde_json::{Value, json};

use its_telemetry::catalog::{MetricDescriptor, camera, sdk};

mod business;
mod gpu;
mod ml_pipeline;
mod overview;

pub use business::business_analytics;
pub use gpu::gpus;
pub use ml_pipeline::ml_pipeline;
pub use overview::overview;

/// Series selector of the template variables, added to every query.
const SCOPE: &str = r#"environment=~"$environment",service=~"$service""#;

/// One query of a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// PromQL.
    pub expr: String,
    /// Legend template (`{{label}}`).
    pub legend: String,
}

/// How a panel draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelKind {
    /// Lines over time.
    TimeSeries,
    /// One big number.
    Stat,
    /// A dial with thresholds.
    Gauge,
}

/// One panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Title.
    pub title: &'static str,
    /// What it shows and when to worry.
    pub description: &'static str,
    /// Drawing.
    pub kind: PanelKind,
    /// Grafana unit id (`s`, `percentunit`, `short`, `bytes`, …).
    pub unit: &'static str,
    /// Queries.
    pub queries: Vec<Query>,
    /// Show exemplars (trace links) where the data source has them.
    pub exemplars: bool,
}

/// One dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// Stable uid (links keep working across regenerations).
    pub uid: &'static str,
    /// File name under `monitoring/grafana/dashboards/`.
    pub file: &'static str,
    /// Title.
    pub title: &'static str,
    /// Panels, laid out two per row.
    pub panels: Vec<Panel>,
    /// Whether the `camera` template variable is offered.
    pub per_camera: bool,
}

fn q(expr: impl Into<String>, legend: &str) -> Query {
    Query {
        expr: expr.into(),
        legend: legend.to_owned(),
    }
}

/// `name{scope,extra}`.
fn s(m: &MetricDescriptor, extra: &str) -> String {
    series(m.name, extra)
}

fn series(name: &str, extra: &str) -> String {
    if extra.is_empty() {
        format!("{name}{{{SCOPE}}}")
    } else {
        format!("{name}{{{SCOPE},{extra}}}")
    }
}

/// `histogram_quantile(q, sum by (le, by) (rate(name_bucket{…}[5m])))`.
fn quantile(qt: f64, m: &MetricDescriptor, by: &str, extra: &str) -> String {
    let bucket = format!("{}_bucket", m.name);
    let by = if by.is_empty() {
        "le".to_owned()
    } else {
        format!("le, {by}")
    };
    format!(
        "histogram_quantile({qt}, sum by ({by}) (rate({}[5m])))",
        series(&bucket, extra)
    )
}

/// Rate of a counter, summed `by` the given labels.
fn rate(m: &MetricDescriptor, by: &str, extra: &str) -> String {
    if by.is_empty() {
        format!("sum(rate({}[5m]))", s(m, extra))
    } else {
        format!("sum by ({by}) (rate({}[5m]))", s(m, extra))
    }
}

/// Mean of a histogram over 5 minutes.
fn mean(m: &MetricDescriptor, by: &str) -> String {
    let sum = series(&format!("{}_sum", m.name), "");
    let count = series(&format!("{}_count", m.name), "");
    if by.is_empty() {
        format!("sum(rate({sum}[5m])) / sum(rate({count}[5m]))")
    } else {
        format!("sum by ({by}) (rate({sum}[5m])) / sum by ({by}) (rate({count}[5m]))")
    }
}

fn panel(
    title: &'static str,
    description: &'static str,
    kind: PanelKind,
    unit: &'static str,
    queries: Vec<Query>,
) -> Panel {
    Panel {
        title,
        description,
        kind,
        unit,
        queries,
        exemplars: false,
    }
}

fn with_exemplars(mut p: Panel) -> Panel {
    p.exemplars = true;
    p
}

/// Every generated dashboard.
#[must_use]
pub fn all() -> Vec<Dashboard> {
    vec![overview(), ml_pipeline(), business_analytics(), gpus()]
}

impl Dashboard {
    /// The Grafana dashboard JSON (schema 39), pretty-printed with a trailing newline.
    #[must_use]
    pub fn to_json(&self) -> String {
        let panels: Vec<Value> = self
            .panels
            .iter()
            .enumerate()
            .map(|(i, p)| p.to_json(i))
            .collect();
        let mut variables = vec![
            variable(
                "environment",
                &format!("label_values({}, environment)", sdk::BUILD_INFO.name),
            ),
            variable(
                "service",
                &format!(
                    r#"label_values({}{{environment=~"$environment"}}, service)"#,
                    sdk::BUILD_INFO.name
                ),
            ),
        ];
        if self.per_camera {
            variables.push(variable(
                "camera",
                &format!(
                    "label_values({}{{{SCOPE}}}, camera_id)",
                    camera::CONNECTED.name
                ),
            ));
        }
        let dashboard = json!({
            "uid": self.uid,
            "title": self.title,
            "tags": ["its", "generated"],
            "timezone": "browser",
            "schemaVersion": 39,
            "version": 1,
            "editable": false,
            "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": variables},
            "links": [{"title": "ITS dashboards", "type": "dashboards", "tags": ["its"], "asDropdown": true}],
            "panels": panels,
        });
        let mut text = serde_json::to_string_pretty(&dashboard).unwrap_or_default();
        text.push('\n');
        text
    }
}

impl Panel {
    fn to_json(&self, index: usize) -> Value {
        let (kind, width) = match self.kind {
            PanelKind::TimeSeries => ("timeseries", 12),
            PanelKind::Stat => ("stat", 6),
            PanelKind::Gauge => ("gauge", 6),
        };
        let targets: Vec<Value> = self
            .queries
            .iter()
            .enumerate()
            .map(|(i, query)| {
                json!({
                    "refId": char::from(b'A' + u8::try_from(i % 26).unwrap_or(0)).to_string(),
                    "datasource": {"type": "prometheus", "uid": "prometheus"},
                    "expr": query.expr,
                    "legendFormat": query.legend,
                    "exemplar": self.exemplars,
                })
            })
            .collect();
        let row = u32::try_from(index / 2).unwrap_or(0);
        let column = u32::try_from(index % 2).unwrap_or(0);
        json!({
            "id": index + 1,
            "type": kind,
            "title": self.title,
            "description": self.description,
            "datasource": {"type": "prometheus", "uid": "prometheus"},
            "gridPos": {"h": 8, "w": width, "x": column * 12, "y": row * 8},
            "fieldConfig": {"defaults": {"unit": self.unit}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
            "targets": targets,
        })
    }
}

fn variable(name: &str, query: &str) -> Value {
    json!({
        "name": name,
        "label": name,
        "type": "query",
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "query": {"query": query, "refId": name},
        "definition": query,
        "refresh": 2,
        "includeAll": true,
        "multi": true,
        "allValue": ".*",
        "current": {"selected": true, "text": ["All"], "value": ["$__all"]},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use its_telemetry::catalog;

    #[test]
    fn every_query_names_only_catalog_metrics() {
        let known: Vec<&str> = catalog::all().map(|m| m.name).collect();
        let mut checked = 0;
        let metric = regex::Regex::new(r"\b((?:its|http)_[a-z0-9_]+)\{").expect("regex");
        for dashboard in all() {
            for panel in &dashboard.panels {
                for query in &panel.queries {
                    for found in metric.captures_iter(&query.expr) {
                        let name = &found[1];
                        let base = ["_bucket", "_sum", "_count"]
                            .iter()
                            .find_map(|s| name.strip_suffix(s))
                            .filter(|b| known.contains(b))
                            .unwrap_or(name);
                        assert!(
                            known.contains(&base),
                            "{}: {} queries unknown {name}",
                            dashboard.file,
                            panel.title
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 60, "only {checked} metric references found");
    }

    #[test]
    fn json_is_valid_with_unique_ids_and_variables() {
        for dashboard in all() {
            let value: Value = serde_json::from_str(&dashboard.to_json()).expect("valid JSON");
            let ids: Vec<u64> = value["panels"]
                .as_array()
                .expect("panels")
                .iter()
                .filter_map(|p| p["id"].as_u64())
                .collect();
            let mut unique = ids.clone();
            unique.dedup();
            assert_eq!(ids, unique, "{}", dashboard.file);
            let names: Vec<&str> = value["templating"]["list"]
                .as_array()
                .expect("variables")
                .iter()
                .filter_map(|v| v["name"].as_str())
                .collect();
            assert!(names.starts_with(&["environment", "service"]), "{names:?}");
        }
    }
}
