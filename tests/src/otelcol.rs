//! The project's OpenTelemetry Collector distribution (`otelcol-its`, built from `tools/otelcol`
//! by `scripts/build-otelcol.sh`): where the binary is, and a running collector with the
//! shipped config on free loopback ports (the `ITS_OTELCOL_*` variables the config reads).

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::daemon::{Daemon, TempDir, free_loopback_addr};

/// The shipped config, relative to the workspace.
pub const CONFIG: &str = "monitoring/opentelemetry/otel-collector.yaml";

/// The workspace root.
#[must_use]
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shipped config's path.
#[must_use]
pub fn shipped_config() -> PathBuf {
    workspace().join(CONFIG)
}

/// `ITS_OTELCOL_BIN`, else `<workspace>/target/otelcol/otelcol-its`.
///
/// # Panics
/// When there is none, saying how to build or point at one.
#[must_use]
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

/// A command running the collector binary with no `ITS_OTELCOL_*` variable inherited from the
/// test's environment, so the shipped defaults apply unless the caller sets one.
///
/// # Panics
/// As [`binary`].
#[must_use]
pub fn command() -> std::process::Command {
    let mut cmd = std::process::Command::new(binary());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ITS_OTELCOL_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Where the collector sends what it receives.
#[derive(Debug, Clone)]
pub struct Backends {
    /// `ITS_OTELCOL_JAEGER_ENDPOINT` (OTLP/gRPC, `host:port`).
    pub jaeger: String,
    /// `ITS_OTELCOL_LOKI_ENDPOINT` (OTLP/HTTP base URL).
    pub loki: String,
}

/// A running collector with the shipped config (plus any overlay files, merged by the
/// collector in order), every listener on a free loopback port; killed when dropped. It can be
/// killed and restarted on the same ports, as an outage.
#[derive(Debug)]
pub struct Collector {
    // Field order: the process dies before its directory goes.
    daemon: Option<Daemon>,
    dir: TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// OTLP/gRPC receiver.
    pub otlp_grpc: SocketAddr,
    /// The collector's own telemetry (`service.telemetry.metrics`, `otelcol_*`).
    pub telemetry: SocketAddr,
    /// Its `prometheus` exporter.
    pub prometheus_exporter: SocketAddr,
}

impl Collector {
    /// Starts the collector and waits until its telemetry endpoint answers.
    ///
    /// # Panics
    /// When the binary is missing (see [`binary`]) or the collector does not come up within
    /// 30 s (with its log).
    pub fn start(backends: &Backends, overlays: &[(&str, String)]) -> Self {
        let dir = TempDir::new("its-otelcol").expect("scratch dir");
        let mut args = vec![format!("--config={}", shipped_config().display())];
        for (name, text) in overlays {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write overlay config");
            args.push(format!("--config={}", path.display()));
        }
        let otlp_grpc = free_loopback_addr();
        let telemetry = free_loopback_addr();
        let prometheus_exporter = free_loopback_addr();
        let env: Vec<(String, String)> = [
            ("ITS_OTELCOL_OTLP_GRPC_LISTEN", otlp_grpc.to_string()),
            (
                "ITS_OTELCOL_OTLP_HTTP_LISTEN",
                free_loopback_addr().to_string(),
            ),
            (
                "ITS_OTELCOL_HEALTH_LISTEN",
                free_loopback_addr().to_string(),
            ),
            (
                "ITS_OTELCOL_PROMETHEUS_LISTEN",
                prometheus_exporter.to_string(),
            ),
            ("ITS_OTELCOL_TELEMETRY_HOST", telemetry.ip().to_string()),
            ("ITS_OTELCOL_TELEMETRY_PORT", telemetry.port().to_string()),
            ("ITS_OTELCOL_JAEGER_ENDPOINT", backends.jaeger.clone()),
            ("ITS_OTELCOL_LOKI_ENDPOINT", backends.loki.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut collector = Self {
            daemon: None,
            dir,
            args,
            env,
            otlp_grpc,
            telemetry,
            prometheus_exporter,
        };
        collector.restart();
        collector
    }

    /// Kills the process (an outage); [`restart`](Self::restart) brings it back.
    pub fn kill(&mut self) {
        self.daemon = None;
    }

    /// Starts the process (again) on the same ports and waits until it answers; the log keeps
    /// the earlier runs' lines.
    ///
    /// # Panics
    /// As [`start`](Self::start).
    pub fn restart(&mut self) {
        self.daemon = None;
        let bin = binary();
        let program = bin.to_str().expect("UTF-8 path to otelcol-its");
        let mut daemon = Daemon::spawn_with_env(
            "otelcol-its",
            program,
            &self.args,
            &self.env,
            self.dir.path().join("otelcol.log"),
            self.telemetry,
            "run `scripts/build-otelcol.sh` or set ITS_OTELCOL_BIN",
        );
        daemon.wait_ready("/metrics", Duration::from_secs(30));
        // The collector serves its own telemetry before its pipelines start: wait for the OTLP
        // receiver too, or a test's first export can be refused.
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&self.otlp_grpc, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the collector's OTLP/gRPC receiver on {} did not listen within 30 s; log:\n{}",
                self.otlp_grpc,
                daemon.log_tail(30)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        self.daemon = Some(daemon);
    }

    /// The scratch directory (overlays, log).
    #[must_use]
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last `lines` lines of its log.
    #[must_use]
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("otelcol.log")).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}
