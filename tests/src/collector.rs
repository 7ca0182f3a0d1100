//! The real OpenTelemetry Collector (`otelcol-its`, built from `tools/otelcol` by
//! `scripts/build-otelcol.sh`) running the shipped `monitoring/opentelemetry/otel-collector.yaml`
//! on free loopback ports, for end-to-end tests: [`Collector::start`] spawns it with the
//! `ITS_OTELCOL_*` addresses set, waits for its health check, and kills it when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::daemon::{Daemon, TempDir, free_loopback_addr};

/// The shipped collector configuration, relative to the workspace.
pub const CONFIG: &str = "monitoring/opentelemetry/otel-collector.yaml";

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `ITS_OTELCOL_BIN`, else `<workspace>/target/otelcol/otelcol-its`.
///
/// # Panics
/// With how to build or point at one when there is none.
pub fn binary() -> PathBuf {
    let bin = std::env::var_os("ITS_OTELCOL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/otelcol/otelcol-its"));
    assert!(
        bin.is_file(),
        "no OpenTelemetry Collector at {}: run `scripts/build-otelcol.sh` first (builds \
         tools/otelcol with Go into target/otelcol/otelcol-its), \
         or set ITS_OTELCOL_BIN to an otelcol-its binary",
        bin.display()
    );
    bin
}

/// A command running `otelcol-its` with no `ITS_OTELCOL_*` variable inherited from the test's
/// environment but `ITS_OTELCOL_BIN`'s choice of binary.
pub fn command() -> Command {
    let mut cmd = Command::new(binary());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ITS_OTELCOL_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// A running collector with the shipped configuration; killed when dropped.
#[derive(Debug)]
pub struct Collector {
    env: Vec<(String, String)>,
    otlp_grpc: SocketAddr,
    otlp_http: SocketAddr,
    health: SocketAddr,
    dir: TempDir,
    daemon: Option<Daemon>,
}

impl Collector {
    /// Starts the collector on free loopback ports: OTLP gRPC and HTTP receivers, the
    /// Prometheus exporter and the health check, with Jaeger and Loki pointed at closed ports
    /// unless `env` says otherwise (`ITS_OTELCOL_LOKI_ENDPOINT=http://127.0.0.1:PORT/otlp`
    /// to receive its logs). `env` wins over the defaults. Waits until the health check
    /// answers.
    ///
    /// # Panics
    /// When the binary is missing, or the collector exits or is not healthy within 30 s (with
    /// the tail of its log).
    pub fn start(env: &[(&str, &str)]) -> Self {
        let otlp_grpc = free_loopback_addr();
        let otlp_http = free_loopback_addr();
        let health = free_loopback_addr();
        let closed = free_loopback_addr();
        let mut all: Vec<(String, String)> = vec![
            ("ITS_OTELCOL_OTLP_GRPC_LISTEN".into(), otlp_grpc.to_string()),
            ("ITS_OTELCOL_OTLP_HTTP_LISTEN".into(), otlp_http.to_string()),
            (
                "ITS_OTELCOL_PROMETHEUS_LISTEN".into(),
                free_loopback_addr().to_string(),
            ),
            ("ITS_OTELCOL_HEALTH_LISTEN".into(), health.to_string()),
            ("ITS_OTELCOL_JAEGER_ENDPOINT".into(), closed.to_string()),
            (
                "ITS_OTELCOL_LOKI_ENDPOINT".into(),
                format!("http://{closed}/otlp"),
            ),
        ];
        for (name, value) in env {
            all.retain(|(n, _)| n != name);
            all.push(((*name).to_owned(), (*value).to_owned()));
        }
        let mut collector = Self {
            env: all,
            otlp_grpc,
            otlp_http,
            health,
            dir: TempDir::new("its-otelcol").expect("collector temp dir"),
            daemon: None,
        };
        collector.spawn();
        collector
    }

    fn spawn(&mut self) {
        let config = workspace().join(CONFIG);
        let mut cmd = command();
        cmd.arg("--config").arg(&config);
        // The collector's own metrics listen on localhost:8888 unless the configuration makes
        // that address a variable: two collectors (parallel test processes, a developer's
        // own) would collide, so without such a variable they are turned off here, on the
        // command line; the shipped file is used as it is.
        let shipped = std::fs::read_to_string(&config).unwrap_or_default();
        if !shipped.contains("ITS_OTELCOL_TELEMETRY_") {
            cmd.arg("--set=service.telemetry.metrics.level=none");
        }
        cmd.envs(self.env.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let mut daemon = Daemon::spawn_command(
            "otelcol-its",
            cmd,
            self.dir.path().join("otelcol.log"),
            self.health,
            "cannot start otelcol-its: run scripts/build-otelcol.sh or set ITS_OTELCOL_BIN",
        );
        daemon.wait_ready("/", Duration::from_secs(30));
        self.daemon = Some(daemon);
    }

    /// `http://127.0.0.1:PORT` of the OTLP/gRPC receiver.
    pub fn otlp_grpc_endpoint(&self) -> String {
        format!("http://{}", self.otlp_grpc)
    }

    /// `http://127.0.0.1:PORT` of the OTLP/HTTP receiver (the SDK appends `/v1/…`).
    pub fn otlp_http_endpoint(&self) -> String {
        format!("http://{}", self.otlp_http)
    }

    /// The tail of the collector's log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        self.daemon
            .as_ref()
            .map_or_else(|| "(stopped)".to_owned(), |d| d.log_tail(lines))
    }

    /// Kills the collector (no flush: what it holds is lost, as in a crash); the ports stay
    /// reserved for [`restart`](Self::restart).
    pub fn kill(&mut self) {
        self.daemon = None;
    }

    /// Stops the collector; the same as [`kill`](Self::kill) for now (the test harness has no
    /// graceful signal without a dependency).
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Starts it again on the same ports and waits until it is healthy.
    ///
    /// # Panics
    /// As [`start`](Self::start).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}
