//! `cargo run --release -p example-inference-service`: the example service with 1000 simulated
//! cameras at 5 fps; metrics on :9464 (and on the API's /metrics), traces when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and log records over OTLP as well with
//! `OTEL_LOGS_EXPORTER=otlp`. `--help` lists the flags and fault knobs.
//!
//! Shutdown: Ctrl-C or SIGTERM drains the batcher and flushes telemetry; if that takes longer
//! than `--shutdown-timeout-secs`, or a second signal arrives, the process says so on stderr and
//! exits with status 1 whatever is still in flight.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use example_inference_service::options::Options;
use its_telemetry::TelemetryConfig;

#[tokio::main]
async fn main() -> ExitCode {
    // `--help` and invalid flags or variables end here (exit 0 and 2).
    let options = Options::from_args();
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("example-inference-service: error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = TelemetryConfig::from_env()?;
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        config.service_name = "inference-service".into();
    }
    let telemetry = its_telemetry::try_init(config)?;
    let _gpu = its_telemetry::gpu::start_default(its_telemetry::gpu::DEFAULT_INTERVAL)?;
    let handle = telemetry.prometheus_handle();
    let metrics: example_inference_service::MetricsRenderer =
        Arc::new(move || handle.as_ref().map(|h| h.render()));
    let service = example_inference_service::start(&options, metrics).await?;
    if let Some(addr) = telemetry.metrics_addr() {
        tracing::info!(api = %service.addr(), admin = %service.admin_addr(), metrics = %addr, "serving");
    }

    let stop = async {
        match options.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    // Registered once, before anything can hang: from here on SIGINT and SIGTERM never get
    // their default action back, so every one of them must be answered below.
    let mut signals = Signals::new();
    tokio::select! {
        () = stop => {}
        () = signals.recv() => {}
    }
    let deadline = options.shutdown_timeout;
    tracing::info!(
        timeout_s = deadline.as_secs(),
        "shutting down: draining the batcher and flushing telemetry"
    );
    // A plain thread, so the deadline holds even if the runtime is wedged.
    exit_after(deadline);
    let drain = async {
        service.shutdown().await;
        // The exporters block while they flush: off the runtime's threads (STACK.md trap 2).
        tokio::task::spawn_blocking(move || telemetry.shutdown()).await
    };
    tokio::select! {
        flushed = drain => flushed??,
        () = signals.recv() => {
            eprintln!(
                "example-inference-service: second signal: exiting now without waiting for \
                 requests and batches in flight"
            );
            std::process::exit(1);
        }
    }
    Ok(())
}

/// Ends the process with status 1 once `deadline` has passed, whatever is in flight.
fn exit_after(deadline: Duration) {
    let spawned = std::thread::Builder::new()
        .name("shutdown-deadline".into())
        .spawn(move || {
            std::thread::sleep(deadline);
            eprintln!(
                "example-inference-service: shutdown did not finish within {} s \
                 (--shutdown-timeout-secs): exiting with requests or batches still in flight",
                deadline.as_secs()
            );
            std::process::exit(1);
        });
    if let Err(e) = spawned {
        eprintln!(
            "example-inference-service: cannot start the shutdown deadline ({e}): exiting now"
        );
        std::process::exit(1);
    }
}

/// Ctrl-C (SIGINT) and SIGTERM.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// The next signal.
    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            async fn next(signal: Option<&mut tokio::signal::unix::Signal>) {
                match signal {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = next(self.interrupt.as_mut()) => {}
                () = next(self.terminate.as_mut()) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
