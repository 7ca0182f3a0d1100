//! `prometheus-production.yml`: scrape jobs per concern, rule files, Alertmanager, and a
//! documented `remote_write` for fleets larger than one Prometheus.
//!
//! The same `/metrics` endpoint is scraped by four jobs at the intervals the SLA needs —
//! camera and inference every 5 s, business every 10 s, infrastructure every 15 s — each
//! keeping only its own metrics (`metric_relabel_configs` built from the catalog's domains), so
//! no series is stored twice. The infrastructure job keeps everything the others do not
//! (GPU, SDK health, and any metric of the service's own).
//!
//! Two more jobs scrape the OpenTelemetry Collector: `otel-collector` its own telemetry
//! (`otelcol_*` on `:8888`, which the `otel-collector` alert group reads) and
//! `otel-collector-exporter` its `prometheus` exporter (`:8889`: metrics services sent over
//! OTLP, with `honor_labels` so their own `job`/`instance` survive).
//!
//! ```
//! use its_telemetry_monitoring::prometheus::PrometheusConfig;
//!
//! let yaml = PrometheusConfig::default().render();
//! assert!(yaml.contains("job_name: its-camera"));
//! assert!(yaml.contains("alertmanager:9093"));
//! assert!(yaml.contains("otel-collector:8888"));
//! ```

use std::time::Duration;

use serde::Serialize;

use super::otelcol;
use super::rules::prom_duration;
use its_telemetry::catalog::{Domain, MetricKind};

/// A scrape job: which catalog domains it keeps, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeJob {
    /// `job_name`.
    pub name: &'static str,
    /// `scrape_interval`.
    pub interval: Duration,
    /// The domains whose metrics this job keeps; empty: everything no other job keeps.
    pub domains: &'static [Domain],
}

impl ScrapeJob {
    /// The `metric_relabel_configs` action and `__name__` regex of this job: `keep` its
    /// domains' metrics, or, for the job without domains, `drop` every other job's.
    #[must_use]
    pub fn metric_filter(&self) -> (&'static str, String) {
        if self.domains.is_empty() {
            let others: Vec<Domain> = SCRAPE_JOBS
                .iter()
                .flat_map(|j| j.domains.iter().copied())
                .collect();
            ("drop", name_regex(&others))
        } else {
            ("keep", name_regex(self.domains))
        }
    }

    /// The scrape timeout: a scrape must finish before the next one starts.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.interval.mul_f64(0.8)
    }
}

/// The four jobs, with the intervals of the seed.
pub const SCRAPE_JOBS: [ScrapeJob; 4] = [
    ScrapeJob {
        name: "its-camera",
        interval: Duration::from_secs(5),
        domains: &[Domain::Camera],
    },
    ScrapeJob {
        name: "its-inference",
        interval: Duration::from_secs(5),
        domains: &[Domain::Inference, Domain::Sla, Domain::Http],
    },
    ScrapeJob {
        name: "its-business",
        interval: Duration::from_secs(10),
        domains: &[Domain::Business],
    },
    ScrapeJob {
        name: "its-infrastructure",
        interval: Duration::from_secs(15),
        domains: &[],
    },
];

/// The rule files, relative to the configuration file.
pub const RULE_FILES: [&str; 8] = [
    "rules.yaml",
    "slo-rules.yaml",
    "ml-pipeline-rules.yaml",
    "business-rules.yaml",
    "recording-rules.yaml",
    "fleet-rules.yaml",
    "anomaly-rules.yaml",
    "capacity-rules.yaml",
];

/// What varies between deployments.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PrometheusConfig {
    /// `host:port` of every service's metrics endpoint.
    pub targets: Vec<String>,
    /// `host:port` of every Alertmanager.
    pub alertmanagers: Vec<String>,
    /// Rule files, relative to the configuration file.
    pub rule_files: Vec<String>,
    /// The `cluster` external label, which tells Prometheus replicas apart in Thanos/Mimir.
    pub cluster: String,
    /// Global rule evaluation interval.
    pub evaluation_interval: Duration,
    /// `host:port` of every collector's own telemetry (job `otel-collector`).
    pub collector_telemetry: Vec<String>,
    /// `host:port` of every collector's `prometheus` exporter (job `otel-collector-exporter`).
    pub collector_exporter: Vec<String>,
    /// A file holding the bearer token the services' metrics endpoints require
    /// (`metrics.bearer_token_file` of the SDK): the service jobs send it as
    /// `authorization.credentials_file`. `None`: the endpoints are open.
    pub metrics_token_file: Option<String>,
}

impl Default for PrometheusConfig {
    /// The example service (`inference-service:9464`), `alertmanager:9093` and the collector
    /// (`otel-collector:8888` and `:8889`), as in the docker-compose stack.
    fn default() -> Self {
        Self {
            targets: vec!["inference-service:9464".to_owned()],
            alertmanagers: vec!["alertmanager:9093".to_owned()],
            rule_files: RULE_FILES.iter().map(|f| (*f).to_owned()).collect(),
            cluster: "its-production".to_owned(),
            evaluation_interval: Duration::from_secs(15),
            collector_telemetry: vec![otelcol::TELEMETRY_TARGET.to_owned()],
            collector_exporter: vec![otelcol::EXPORTER_TARGET.to_owned()],
            metrics_token_file: None,
        }
    }
}

impl PrometheusConfig {
    /// Sets the scrape targets.
    #[must_use]
    pub fn targets(mut self, targets: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.targets = targets.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the Alertmanagers.
    #[must_use]
    pub fn alertmanagers(mut self, targets: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.alertmanagers = targets.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the collector's targets: its own telemetry and its `prometheus` exporter.
    #[must_use]
    pub fn collector(
        mut self,
        telemetry: impl IntoIterator<Item = impl Into<String>>,
        exporter: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.collector_telemetry = telemetry.into_iter().map(Into::into).collect();
        self.collector_exporter = exporter.into_iter().map(Into::into).collect();
        self
    }

    /// Scrapes the services with the bearer token in `path` (a path on the Prometheus host or
    /// in its container), for endpoints started with `metrics.bearer_token_file`.
    #[must_use]
    pub fn metrics_token_file(mut self, path: impl Into<String>) -> Self {
        self.metrics_token_file = Some(path.into());
        self
    }

    /// Sets the evaluation interval.
    #[must_use]
    pub fn evaluation_interval(mut self, interval: Duration) -> Self {
        self.evaluation_interval = interval;
        self
    }

    /// The configuration file.
    ///
    /// # Panics
    /// Never: the model holds only strings and lists.
    #[must_use]
    pub fn render(&self) -> String {
        let scrape_configs = SCRAPE_JOBS
            .iter()
            .map(|job| {
                let (action, regex) = job.metric_filter();
                ScrapeConfig {
                    job_name: job.name.to_owned(),
                    scrape_interval: prom_duration(job.interval),
                    scrape_timeout: prom_duration(job.timeout()),
                    metrics_path: "/metrics".to_owned(),
                    static_configs: vec![StaticConfig {
                        targets: self.targets.clone(),
                    }],
                    honor_labels: false,
                    authorization: self
                        .metrics_token_file
                        .clone()
                        .map(|credentials_file| Authorization { credentials_file }),
                    metric_relabel_configs: vec![Relabel {
                        source_labels: vec!["__name__".to_owned()],
                        regex,
                        action: action.to_owned(),
                    }],
                }
            })
            .chain([
                plain_job(otelcol::TELEMETRY_JOB, &self.collector_telemetry, false),
                plain_job(otelcol::EXPORTER_JOB, &self.collector_exporter, true),
                plain_job("prometheus", &["localhost:9090".to_owned()], false),
            ])
            .filter(|job| !job.static_configs[0].targets.is_empty())
            .collect();
        let file = File {
            global: Global {
                scrape_interval: "15s".to_owned(),
                scrape_timeout: "10s".to_owned(),
                evaluation_interval: prom_duration(self.evaluation_interval),
                external_labels: ExternalLabels {
                    cluster: self.cluster.clone(),
                },
            },
            rule_files: self.rule_files.clone(),
            alerting: Alerting {
                alertmanagers: vec![AlertmanagerConfig {
                    static_configs: vec![StaticConfig {
                        targets: self.alertmanagers.clone(),
                    }],
                }],
            },
            scrape_configs,
        };
        let body = serde_norway::to_string(&file).expect("the config always serializes");
        format!("{HEADER}{body}{REMOTE_WRITE}")
    }
}

/// A 15 s job that keeps everything it scrapes.
fn plain_job(name: &str, targets: &[String], honor_labels: bool) -> ScrapeConfig {
    ScrapeConfig {
        job_name: name.to_owned(),
        scrape_interval: "15s".to_owned(),
        scrape_timeout: "10s".to_owned(),
        metrics_path: "/metrics".to_owned(),
        honor_labels,
        authorization: None,
        static_configs: vec![StaticConfig {
            targets: targets.to_vec(),
        }],
        metric_relabel_configs: Vec::new(),
    }
}

/// An anchored RE2 alternation of every metric name of `domains`, histograms with their
/// `_bucket`, `_sum` and `_count` series.
#[must_use]
pub fn name_regex(domains: &[Domain]) -> String {
    let names: Vec<String> = domains
        .iter()
        .flat_map(|d| d.metrics().iter())
        .map(|m| match m.kind {
            MetricKind::Histogram => format!("{}_(?:bucket|sum|count)", m.name),
            MetricKind::Counter | MetricKind::Gauge => m.name.to_owned(),
        })
        .collect();
    names.join("|")
}

const HEADER: &str = "\
# Prometheus for an ITS camera-AI fleet.
# Generated by its-telemetry (`cargo run -p its-telemetry-monitoring -- generate --out monitoring/`)
# from the metric catalog: do not edit by hand.
#
# One /metrics endpoint per service, scraped by one job per concern at the interval it needs:
# camera and inference every 5s, business every 10s, infrastructure (GPU, SDK health and
# anything else) every 15s. Each job keeps only its own metrics, so nothing is stored twice.
# The OpenTelemetry Collector: job otel-collector reads its own telemetry (otelcol_*, :8888),
# job otel-collector-exporter the metrics services send it over OTLP (:8889, honor_labels keeps
# their job/instance).
# For a fleet, replace static_configs with kubernetes_sd_configs or file_sd_configs.
";

const REMOTE_WRITE: &str = "
# Long-term storage and fleets beyond one Prometheus: send every sample to Thanos Receive or
# Grafana Mimir. Run two Prometheus replicas per site with the same config and distinct
# `replica` external labels; Thanos/Mimir deduplicate on `replica` and keep `cluster`.
# Queries for 30-day SLO windows then run against Thanos Query / Mimir, not this Prometheus.
#
# remote_write:
#   - url: http://mimir-distributor:8080/api/v1/push       # Mimir
#   # url: http://thanos-receive:19291/api/v1/receive      # Thanos Receive
#     headers:
#       X-Scope-OrgID: its-production                      # Mimir tenant
#     basic_auth:
#       username: its
#       password_file: /etc/prometheus/secrets/remote-write-password
#     queue_config:
#       capacity: 20000
#       max_samples_per_send: 5000
#       max_shards: 50
#     write_relabel_configs:
#       - source_labels: [__name__]
#         regex: 'go_.*|process_.*'
#         action: drop
";

#[derive(Serialize)]
struct File {
    global: Global,
    rule_files: Vec<String>,
    alerting: Alerting,
    scrape_configs: Vec<ScrapeConfig>,
}

#[derive(Serialize)]
struct Global {
    scrape_interval: String,
    scrape_timeout: String,
    evaluation_interval: String,
    external_labels: ExternalLabels,
}

#[derive(Serialize)]
struct ExternalLabels {
    cluster: String,
}

#[derive(Serialize)]
struct Alerting {
    alertmanagers: Vec<AlertmanagerConfig>,
}

#[derive(Serialize)]
struct AlertmanagerConfig {
    static_configs: Vec<StaticConfig>,
}

#[derive(Serialize)]
struct StaticConfig {
    targets: Vec<String>,
}

#[derive(Serialize)]
struct ScrapeConfig {
    job_name: String,
    scrape_interval: String,
    scrape_timeout: String,
    metrics_path: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    honor_labels: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization: Option<Authorization>,
    static_configs: Vec<StaticConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metric_relabel_configs: Vec<Relabel>,
}

/// `authorization` of a scrape job: the `Bearer` type is Prometheus' default.
#[derive(Serialize)]
struct Authorization {
    credentials_file: String,
}

#[derive(Serialize)]
struct Relabel {
    source_labels: Vec<String>,
    regex: String,
    action: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use its_telemetry::catalog;

    #[test]
    fn every_catalog_metric_is_kept_by_exactly_one_job() {
        let kept: Vec<&Domain> = SCRAPE_JOBS.iter().flat_map(|j| j.domains).collect();
        for d in Domain::ALL {
            let n = kept.iter().filter(|k| ***k == d).count();
            let infra = matches!(d, Domain::Gpu | Domain::Sdk);
            assert_eq!(n, usize::from(!infra), "{d:?}");
        }
        assert!(catalog::all().count() > 0);
    }

    #[test]
    fn the_token_goes_to_the_service_jobs_only() {
        let yaml = PrometheusConfig::default()
            .metrics_token_file("/etc/prometheus/secrets/metrics-token")
            .render();
        let file: serde_norway::Value = serde_norway::from_str(&yaml).expect("YAML");
        let jobs = file["scrape_configs"]
            .as_sequence()
            .expect("scrape_configs");
        for job in jobs {
            let name = job["job_name"].as_str().expect("job_name");
            let file = job["authorization"]["credentials_file"].as_str();
            if SCRAPE_JOBS.iter().any(|j| j.name == name) {
                assert_eq!(
                    file,
                    Some("/etc/prometheus/secrets/metrics-token"),
                    "{name}"
                );
            } else {
                assert!(job.get("authorization").is_none(), "{name}");
            }
        }
        assert!(
            !PrometheusConfig::default()
                .render()
                .contains("authorization")
        );
    }

    #[test]
    fn the_collector_is_scraped_by_its_two_jobs() {
        let yaml = PrometheusConfig::default().render();
        let file: serde_norway::Value = serde_norway::from_str(&yaml).expect("YAML");
        let jobs = file["scrape_configs"]
            .as_sequence()
            .expect("scrape_configs");
        let job = |name: &str| {
            jobs.iter()
                .find(|j| j["job_name"].as_str() == Some(name))
                .unwrap_or_else(|| panic!("no job {name}"))
        };
        let telemetry = job(otelcol::TELEMETRY_JOB);
        assert_eq!(
            telemetry["static_configs"][0]["targets"][0].as_str(),
            Some("otel-collector:8888")
        );
        assert!(telemetry.get("metric_relabel_configs").is_none());
        let exporter = job(otelcol::EXPORTER_JOB);
        assert_eq!(
            exporter["static_configs"][0]["targets"][0].as_str(),
            Some("otel-collector:8889")
        );
        assert_eq!(exporter["honor_labels"].as_bool(), Some(true));

        let none =
            PrometheusConfig::default().collector(Vec::<String>::new(), Vec::<String>::new());
        assert!(!none.render().contains("job_name: otel-collector"));
    }
}
