//! A real Prometheus (Debian's `prometheus` package) on loopback, with its HTTP API: instant
//! queries, alerts and rules.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;

use crate::daemon::{Daemon, TempDir, http_get, percent_encode};

/// How to get Prometheus, for the failure message.
pub const INSTALL_HINT: &str = "prometheus not found: install it with \
     `apt-get update && apt-get install -y --no-install-recommends prometheus prometheus-alertmanager`, \
     or put prometheus on PATH";

/// One exemplar of a histogram bucket, as `query_exemplars` returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    /// The `trace_id` label.
    pub trace_id: String,
    /// The sample's value.
    pub value: f64,
    /// The upper bound of its bucket.
    pub le: f64,
}

/// One sample of an instant-query result.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The series labels.
    pub labels: serde_json::Map<String, Value>,
    /// The value; `NaN` where PromQL gave NaN.
    pub value: f64,
}

/// A running Prometheus; killed, and its TSDB removed, when dropped.
#[derive(Debug)]
pub struct Prometheus {
    // Field order: the process dies before its directory goes.
    daemon: Daemon,
    dir: TempDir,
}

impl Prometheus {
    /// Writes `config` (as `prometheus.yml`) and `files` (`(name, text)`, e.g. the rule files
    /// it names relative to itself) into a scratch directory and starts Prometheus listening on
    /// `listen`, with its TSDB in the same directory; waits until it is ready.
    ///
    /// # Panics
    /// With [`INSTALL_HINT`] when prometheus is not installed; with its log when it does not
    /// become ready within 30 s.
    pub fn start(listen: SocketAddr, config: &str, files: &[(String, String)]) -> Self {
        Self::start_with_flags(listen, config, files, &[])
    }

    /// [`start`](Self::start) with more command-line flags (e.g.
    /// `--enable-feature=exemplar-storage`).
    ///
    /// # Panics
    /// As [`start`](Self::start).
    pub fn start_with_flags(
        listen: SocketAddr,
        config: &str,
        files: &[(String, String)],
        flags: &[&str],
    ) -> Self {
        let dir = TempDir::new("its-prometheus").expect("scratch dir");
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write prometheus.yml");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write rule file");
        }
        let args = vec![
            format!("--config.file={}", config_path.display()),
            format!("--storage.tsdb.path={}", dir.path().join("data").display()),
            format!("--web.listen-address={listen}"),
            "--log.level=info".to_owned(),
        ]
        .into_iter()
        .chain(flags.iter().map(|f| (*f).to_owned()))
        .collect::<Vec<_>>();
        let mut daemon = Daemon::spawn(
            "prometheus",
            "prometheus",
            &args,
            dir.path().join("prometheus.log"),
            listen,
            INSTALL_HINT,
        );
        daemon.wait_ready("/-/ready", Duration::from_secs(30));
        Self { daemon, dir }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.daemon.addr()
    }

    /// The scratch directory (config, rule files, TSDB, log).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        self.daemon.log_tail(lines)
    }

    /// `GET /api/v1/<path>`: the `data` field of a successful answer.
    ///
    /// # Errors
    /// When Prometheus cannot be reached or answers an error (its `error` message).
    pub fn api(&self, path_and_query: &str) -> Result<Value, String> {
        let response = http_get(self.addr(), &format!("/api/v1/{path_and_query}"))?;
        let json: Value = serde_json::from_str(&response.body).map_err(|e| {
            format!(
                "HTTP {}: not JSON ({e}): {}",
                response.status, response.body
            )
        })?;
        if json["status"] == "success" {
            Ok(json["data"].clone())
        } else {
            Err(format!(
                "HTTP {}: {} {}",
                response.status, json["errorType"], json["error"]
            ))
        }
    }

    /// An instant query at the current time.
    ///
    /// # Errors
    /// When the query is rejected (its parse or evaluation error) or Prometheus cannot be
    /// reached.
    pub fn query(&self, expr: &str) -> Result<Vec<Sample>, String> {
        let data = self.api(&format!("query?query={}", percent_encode(expr)))?;
        let value = |v: &Value| {
            v.get(1)
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        match data["resultType"].as_str() {
            Some("vector") => Ok(data["result"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| Sample {
                            labels: r["metric"].as_object().cloned().unwrap_or_default(),
                            value: value(&r["value"]),
                        })
                        .collect()
                })
                .unwrap_or_default()),
            Some("scalar") => Ok(vec![Sample {
                labels: serde_json::Map::new(),
                value: value(&data["result"]),
            }]),
            other => Err(format!("unexpected result type {other:?}: {data}")),
        }
    }

    /// Every alert Prometheus holds (pending and firing): `/api/v1/alerts`.
    ///
    /// # Errors
    /// When Prometheus cannot be reached.
    pub fn alerts(&self) -> Result<Vec<Value>, String> {
        Ok(self.api("alerts")?["alerts"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// Every loaded rule with its group: `/api/v1/rules`, flattened to `(group, rule)`.
    ///
    /// # Errors
    /// When Prometheus cannot be reached.
    pub fn rules(&self) -> Result<Vec<(String, Value)>, String> {
        let data = self.api("rules")?;
        let mut out = Vec::new();
        for group in data["groups"].as_array().into_iter().flatten() {
            let name = group["name"].as_str().unwrap_or_default().to_owned();
            for rule in group["rules"].as_array().into_iter().flatten() {
                out.push((name.clone(), rule.clone()));
            }
        }
        Ok(out)
    }

    /// The exemplars Prometheus stored in the last ten minutes for the buckets of histogram
    /// `metric` (exemplar storage must be on: `--enable-feature=exemplar-storage`).
    ///
    /// # Errors
    /// When the API refuses the query or answers something that is not exemplars.
    pub fn exemplars(&self, metric: &str) -> Result<Vec<Exemplar>, String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let data = self.api(&format!(
            "query_exemplars?query={metric}_bucket&start={}&end={}",
            now - 600,
            now + 60
        ))?;
        let mut out = Vec::new();
        for series in data.as_array().ok_or("query_exemplars: not an array")? {
            let le = series["seriesLabels"]["le"]
                .as_str()
                .ok_or("bucket without le")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse::<f64>().map_err(|e| format!("le {le}: {e}"))?
            };
            for exemplar in series["exemplars"].as_array().ok_or("no exemplars")? {
                let trace_id = exemplar["labels"]["trace_id"]
                    .as_str()
                    .ok_or_else(|| format!("exemplar without trace_id: {exemplar}"))?
                    .to_owned();
                let value = exemplar["value"]
                    .as_str()
                    .and_then(|v| v.parse::<f64>().ok())
                    .ok_or_else(|| format!("exemplar value: {exemplar}"))?;
                out.push(Exemplar {
                    trace_id,
                    value,
                    le,
                });
            }
        }
        Ok(out)
    }

    /// Scrape targets and their health, one line each, for failure messages.
    pub fn targets_summary(&self) -> String {
        match self.api("targets") {
            Ok(data) => data["activeTargets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    format!(
                        "  {} {} {} {}",
                        t["labels"]["job"].as_str().unwrap_or_default(),
                        t["scrapeUrl"].as_str().unwrap_or_default(),
                        t["health"].as_str().unwrap_or_default(),
                        t["lastError"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => format!("  (targets unavailable: {e})"),
        }
    }
}
