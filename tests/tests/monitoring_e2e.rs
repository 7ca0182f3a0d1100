//! Monitoring as code, end to end, against the real Debian `prometheus` (2.42) and
//! `prometheus-alertmanager` (0.25) on loopback.
//!
//! The example inference service runs in-process (simulator on, 20 cameras, GPU readings from
//! two simulated GPUs, `--simulated-gpus 2`, as the compose demo runs it), scraped by a real Prometheus that runs the generated `prometheus-production.yml`
//! (rendered for loopback, evaluation every 5 s) and the committed rule files. Then:
//! 1. every query of every panel of every generated dashboard returns data (a value that is not
//!    NaN), and every recording rule of every rule file has a value; whatever does not is listed
//!    with its dashboard, panel and query, or its file and rule;
//!    The HTTP server and inference latency histograms' exemplars (spans go to an OTLP
//!    receiver of the test's, so they are sampled) are stored by Prometheus, which runs with
//!    exemplar storage as in the compose file;
//! 2. with the error-rate fault on, the fast burn-rate alert (`ErrorBudgetBurn`,
//!    `burn_window="1h_5m"`, `slo="detection_availability"`) goes pending and then firing in
//!    Prometheus, and a real Alertmanager running the production routing tree (receivers
//!    swapped for webhooks into this test) delivers it to exactly the receivers the tree names
//!    for a critical SLO alert owned by SRE.
//!
//! The burn alert waits `for: 2m` and Alertmanager only hears of firing alerts, so the whole
//! test takes about four minutes.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use example_inference_service::faults::Faults;
use example_inference_service::options::Options;
use its_telemetry::TelemetryConfig;
use its_telemetry::catalog::http::SERVER_REQUEST_DURATION;
use its_telemetry::catalog::inference::REQUEST_DURATION;
use its_telemetry_monitoring::dashboards;
use its_telemetry_monitoring::prometheus::{PrometheusConfig, RULE_FILES};
use its_telemetry_monitoring::rules::RuleFile;
use its_telemetry_monitoring::slo::BURN_ALERT;
use its_telemetry_tests::alertmanager_server::{self, Alertmanager};
use its_telemetry_tests::daemon::free_loopback_addr;
use its_telemetry_tests::http_sink::{HttpSink, Received};
use its_telemetry_tests::logs::CapturedLogs;
use its_telemetry_tests::otlp::OtlpReceiver;
use its_telemetry_tests::prometheus_server::Prometheus;

/// The SLO and tier the error-rate fault must page for.
const SLO: &str = "detection_availability";
const FAST_BURN_WINDOW: &str = "1h_5m";

/// Where the production routing tree sends a critical SLO alert owned by SRE
/// (`tests/tests/alertmanager_config.rs`, "SLA violation (fast burn, page)"): the critical route
/// pages and tells the executive channel, the SLA route tells the product owner and SRE's Slack.
const EXPECTED_RECEIVERS: [&str; 4] = [
    "pagerduty-critical",
    "slack-executive",
    "product-owner",
    "sre-slack",
];

/// The dashboards' template variables, all set to "everything" as Grafana's "All" would.
const TEMPLATE_VARIABLES: [&str; 3] = ["$environment", "$service", "$camera"];

/// How long dashboards and recording rules get to show data: rates over 5m need two scrapes
/// (the infrastructure job scrapes every 15 s), and the SLO's long-window group runs every
/// minute.
const DATA_DEADLINE: Duration = Duration::from_secs(180);
/// From the fault to the webhook: `for: 2m`, then evaluation, notification and group_wait.
const ALERT_DEADLINE: Duration = Duration::from_secs(240);
const POLL: Duration = Duration::from_secs(5);

fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// One PromQL query that must return data, and what it stands for.
#[derive(Debug, Clone)]
struct Check {
    what: String,
    expr: String,
}

/// Every query of every panel of every generated dashboard, template variables set to `.*`.
fn dashboard_checks() -> Vec<Check> {
    let mut checks = Vec::new();
    for dashboard in dashboards::all() {
        for panel in &dashboard.panels {
            let n = panel.queries.len();
            for (i, query) in panel.queries.iter().enumerate() {
                let expr = TEMPLATE_VARIABLES
                    .iter()
                    .fold(query.expr.clone(), |e, var| e.replace(var, ".*"));
                checks.push(Check {
                    what: format!(
                        "dashboard {:?} ({}), panel {:?}, query {}/{n}",
                        dashboard.title,
                        dashboard.file,
                        panel.title,
                        i + 1
                    ),
                    expr,
                });
            }
        }
    }
    checks
}

/// The rule files Prometheus loads, as `(name, text)`.
fn rule_files() -> Vec<(String, String)> {
    RULE_FILES
        .iter()
        .map(|name| {
            let path = repo_path(&format!("monitoring/prometheus/{name}"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            ((*name).to_owned(), text)
        })
        .collect()
}

/// One check per recording rule: its name and static labels as a selector.
fn recording_checks(files: &[(String, String)]) -> Vec<Check> {
    let mut checks = Vec::new();
    // A day-old baseline's z-score and a "days until full" of a growing trend cannot have data
    // in a run of minutes; the promtool suites prove those rules with synthetic history.
    let needs_history = its_telemetry_monitoring::history_dependent_records();
    for (name, text) in files {
        let file = RuleFile::from_yaml(text).unwrap_or_else(|e| panic!("parse {name}: {e}"));
        for rule in file.recordings() {
            if needs_history.contains(&rule.record) {
                continue;
            }
            let labels: Vec<String> = rule
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect();
            let expr = format!("{}{{{}}}", rule.record, labels.join(","));
            checks.push(Check {
                what: format!("recording rule in {name}: {expr}"),
                expr,
            });
        }
    }
    checks
}

/// The checks without data, each with its query and why.
fn without_data(prometheus: &Prometheus, checks: &[Check]) -> Vec<String> {
    checks
        .iter()
        .filter_map(|check| {
            let why = match prometheus.query(&check.expr) {
                Ok(samples) if samples.iter().any(|s| !s.value.is_nan()) => return None,
                Ok(samples) if samples.is_empty() => "no series".to_owned(),
                Ok(samples) => format!("{} series, all NaN", samples.len()),
                Err(e) => format!("query failed: {e}"),
            };
            Some(format!(
                "  {}\n    {}\n    -> {why}",
                check.what, check.expr
            ))
        })
        .collect()
}

/// Rules Prometheus reports as failing to evaluate.
fn unhealthy_rules(prometheus: &Prometheus) -> Vec<String> {
    match prometheus.rules() {
        Ok(rules) => rules
            .iter()
            .filter(|(_, r)| r["health"] == "err")
            .map(|(group, r)| {
                let name = r["name"].as_str().unwrap_or_default();
                format!("  {group}/{name}: {}", r["lastError"])
            })
            .collect(),
        Err(e) => vec![format!("  /api/v1/rules failed: {e}")],
    }
}

/// Whether a Prometheus or webhook alert object is the fast burn of the availability SLO.
fn is_fast_burn(labels: &serde_json::Value) -> bool {
    labels["alertname"] == BURN_ALERT
        && labels["burn_window"] == FAST_BURN_WINDOW
        && labels["slo"] == SLO
}

/// The receivers (path of the webhook) that got a firing fast-burn notification.
fn receivers_of_fast_burn(received: &[Received]) -> BTreeSet<String> {
    received
        .iter()
        .filter(|r| r.method == "POST")
        .filter_map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).ok()?;
            let receiver = r.path.trim_start_matches('/');
            let delivered = body["receiver"] == receiver
                && body["alerts"].as_array().is_some_and(|alerts| {
                    alerts.iter().any(|a| {
                        a["status"] == "firing"
                            && is_fast_burn(&a["labels"])
                            && a["labels"]["team"] == "sre"
                            && a["labels"]["severity"] == "critical"
                    })
                });
            delivered.then(|| receiver.to_owned())
        })
        .collect()
}

fn describe_received(received: &[Received]) -> String {
    received
        .iter()
        .map(|r| {
            let body: serde_json::Value =
                serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null);
            let alerts: Vec<String> = body["alerts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    format!(
                        "{}{{burn_window={}, slo={}, team={}, severity={}}} {}",
                        a["labels"]["alertname"],
                        a["labels"]["burn_window"],
                        a["labels"]["slo"],
                        a["labels"]["team"],
                        a["labels"]["severity"],
                        a["status"]
                    )
                })
                .collect();
            format!("  {} {}: {}", r.method, r.path, alerts.join("; "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs a blocking call against the daemons off the async workers.
async fn blocking<T: Send + 'static>(
    prometheus: &Arc<Prometheus>,
    f: impl FnOnce(&Prometheus) -> T + Send + 'static,
) -> T {
    let prometheus = Arc::clone(prometheus);
    tokio::task::spawn_blocking(move || f(&prometheus))
        .await
        .expect("blocking task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_rules_and_fast_burn_page_against_real_prometheus_and_alertmanager() {
    let started = Instant::now();

    // The service, scraped on its own metrics listener, with two simulated GPUs.
    // Spans go to a receiver of the test's own, so requests and batches are sampled and their
    // latency buckets carry exemplars.
    let receiver = OtlpReceiver::grpc().await.expect("OTLP receiver");
    let config = TelemetryConfig::builder("inference-service")
        .environment("e2e")
        .otlp_endpoint(receiver.endpoint())
        .metrics_listen("127.0.0.1:0".parse().expect("addr"))
        // The filter also decides which `tracing` spans exist: the batch spans are INFO.
        .log_filter("error,its_telemetry::inference=info")
        .build()
        .expect("valid config");
    let telemetry =
        its_telemetry::try_init_with_log_writer(config, CapturedLogs::default()).expect("init");
    let metrics_addr = telemetry.metrics_addr().expect("metrics endpoint bound");
    let handle = telemetry.prometheus_handle().expect("metrics enabled");
    let options = Options {
        listen: "127.0.0.1:0".parse().expect("addr"),
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        cameras: 20,
        cameras_per_gateway: 2,
        fps: 5,
        drift_window: 100,
        summary_every: Duration::ZERO,
        // The GPU dashboard's panels get data from simulated GPUs, as in the compose demo (a
        // machine with working NVML reports its real GPUs instead).
        simulated_gpus: 2,
        ..Options::default()
    };
    let gpu = example_inference_service::start_gpu_metrics(&options).expect("GPU poller");
    assert!(gpu.is_polling(), "simulated or real GPUs are polled");
    let service =
        example_inference_service::start(&options, Arc::new(move || Some(handle.render())))
            .await
            .expect("service");

    // Alertmanager with the production routing tree, every receiver a webhook into `sink`.
    let sink = HttpSink::start().await.expect("webhook sink");
    let production = std::fs::read_to_string(repo_path("monitoring/alertmanager/alertmanager.yml"))
        .expect("read monitoring/alertmanager/alertmanager.yml");
    let am_config = alertmanager_server::test_config(&production, &sink.endpoint());
    let alertmanager =
        tokio::task::spawn_blocking(move || Alertmanager::start(free_loopback_addr(), &am_config))
            .await
            .expect("alertmanager start");

    // Prometheus with the generated config, rendered for loopback, and the committed rules.
    let prometheus_addr = free_loopback_addr();
    let prometheus_config = PrometheusConfig::default()
        .targets([metrics_addr.to_string()])
        .alertmanagers([alertmanager.addr().to_string()])
        // No collector runs here (otel_collector_telemetry.rs scrapes one).
        .collector(Vec::<String>::new(), Vec::<String>::new())
        .evaluation_interval(Duration::from_secs(5))
        .render()
        // The self-scrape job names the default port; point it at this Prometheus.
        .replace("localhost:9090", &prometheus_addr.to_string());
    let files = rule_files();
    let recordings = recording_checks(&files);
    let panels = dashboard_checks();
    assert!(
        !recordings.is_empty() && !panels.is_empty(),
        "nothing to check"
    );
    let prometheus = Arc::new(
        tokio::task::spawn_blocking(move || {
            Prometheus::start_with_flags(
                prometheus_addr,
                &prometheus_config,
                &files,
                // As the compose file runs it.
                &["--enable-feature=exemplar-storage"],
            )
        })
        .await
        .expect("prometheus start"),
    );
    eprintln!(
        "prometheus on {}, alertmanager on {}, service metrics on {metrics_addr}; \
         checking {} panel queries and {} recording rules",
        prometheus.addr(),
        alertmanager.addr(),
        panels.len(),
        recordings.len()
    );

    // 1. Every panel query and every recording rule has data.
    let checks: Arc<Vec<Check>> = Arc::new(panels.into_iter().chain(recordings).collect());
    let deadline = Instant::now() + DATA_DEADLINE;
    loop {
        let round = Arc::clone(&checks);
        let (missing, broken) = blocking(&prometheus, move |p| {
            (without_data(p, &round), unhealthy_rules(p))
        })
        .await;
        if missing.is_empty() && broken.is_empty() {
            eprintln!(
                "every panel query and recording rule has data after {:?}",
                started.elapsed()
            );
            break;
        }
        if Instant::now() >= deadline {
            let (targets, log) =
                blocking(&prometheus, |p| (p.targets_summary(), p.log_tail(20))).await;
            panic!(
                "after {DATA_DEADLINE:?}, {} of {} checks have no data:\n{}\n\
                 rules failing to evaluate:\n{}\nscrape targets:\n{targets}\n\
                 prometheus log:\n{log}",
                missing.len(),
                checks.len(),
                missing.join("\n"),
                broken.join("\n"),
            );
        }
        tokio::time::sleep(POLL).await;
    }

    // 1b. The latency panels' exemplars are there: HTTP server and inference histograms.
    let with_exemplars = [SERVER_REQUEST_DURATION.name, REQUEST_DURATION.name];
    let exemplars = blocking(&prometheus, move |p| {
        with_exemplars.map(|metric| (metric, p.exemplars(metric)))
    })
    .await;
    for (metric, found) in exemplars {
        let found = found.unwrap_or_else(|e| panic!("query_exemplars for {metric}: {e}"));
        assert!(!found.is_empty(), "no exemplars stored for {metric}");
        for exemplar in &found {
            assert!(
                exemplar.trace_id.len() == 32
                    && exemplar.trace_id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{metric}: {exemplar:?}"
            );
        }
        eprintln!("{metric}: {} exemplars stored", found.len());
    }

    // 2. The error-rate fault: the fast burn goes pending/firing, Alertmanager pages.
    service.faults().set(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let fault_at = Instant::now();
    let deadline = fault_at + ALERT_DEADLINE;
    let mut state = String::new();
    let received = loop {
        let alerts = blocking(&prometheus, |p| p.alerts()).await;
        let now = alerts
            .as_ref()
            .ok()
            .and_then(|all| {
                all.iter()
                    .filter(|a| is_fast_burn(&a["labels"]))
                    .filter_map(|a| a["state"].as_str())
                    .max_by_key(|s| *s == "firing")
            })
            .unwrap_or("inactive")
            .to_owned();
        if now != state {
            eprintln!(
                "{BURN_ALERT}{{burn_window={FAST_BURN_WINDOW:?}, slo={SLO:?}}}: {now} \
                 {:?} after the fault",
                fault_at.elapsed()
            );
            state = now;
        }
        let received = sink.received();
        let delivered = receivers_of_fast_burn(&received);
        if EXPECTED_RECEIVERS.iter().all(|r| delivered.contains(*r)) {
            break received;
        }
        if Instant::now() >= deadline {
            let (targets, log) =
                blocking(&prometheus, |p| (p.targets_summary(), p.log_tail(20))).await;
            let held: Vec<String> = alerts
                .unwrap_or_default()
                .iter()
                .map(|a| format!("  {} {}", a["labels"], a["state"]))
                .collect();
            panic!(
                "{:?} after the error-rate fault, the fast burn (state in Prometheus: {state}) \
                 reached {delivered:?}, expected {EXPECTED_RECEIVERS:?}.\n\
                 alerts in Prometheus:\n{}\nwebhooks received:\n{}\nscrape targets:\n{targets}\n\
                 prometheus log:\n{log}\nalertmanager log:\n{}",
                fault_at.elapsed(),
                held.join("\n"),
                describe_received(&received),
                alertmanager.log_tail(20)
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert!(
        state == "pending" || state == "firing",
        "Alertmanager delivered the fast burn but Prometheus shows it {state}"
    );
    let delivered = receivers_of_fast_burn(&received);
    let expected: BTreeSet<String> = EXPECTED_RECEIVERS.iter().map(|r| (*r).to_owned()).collect();
    assert_eq!(
        delivered,
        expected,
        "the fast burn reached receivers outside the SRE/critical routes:\n{}",
        describe_received(&received)
    );
    eprintln!(
        "fast burn delivered to {delivered:?} {:?} after the fault ({:?} in all)",
        fault_at.elapsed(),
        started.elapsed()
    );

    service.faults().set(Faults::default());
    service.shutdown().await;
    drop(gpu);
    drop(prometheus);
    drop(alertmanager);
    telemetry.shutdown().expect("telemetry flushed");
}
