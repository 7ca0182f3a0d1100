//! `cargo run --release -p example-inference-service`: the example service with 1000 simulated
//! cameras at 5 fps; metrics on :9464 (and on the API's /metrics), traces when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and log records over OTLP as well with
//! `OTEL_LOGS_EXPORTER=otlp`. `--help` lists the flags and fault knobs.

use std::process::ExitCode;
use std::sync::Arc;

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
        tracing::info!(api = %service.addr(), metrics = %addr, "serving");
    }

    let stop = async {
        match options.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = stop => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate() => {}
    }
    tracing::info!("shutting down: draining the batcher and flushing telemetry");
    service.shutdown().await;
    telemetry.shutdown()?;
    Ok(())
}

#[cfg(unix)]
async fn terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut signal) => {
            signal.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending().await
}
