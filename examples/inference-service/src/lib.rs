//! A miniature ITS detection service, instrumented with its-telemetry end to end: an axum API
//! with a dynamic batcher in front of a simulated GPU detector, and a camera simulator that
//! drives it over HTTP. `main.rs` wires it to the process; tests start it in-process.

pub mod api;
pub mod batcher;
pub mod detector;
pub mod faults;
pub mod options;
pub mod rng;
pub mod simulator;
mod summary;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::sync::watch;

use crate::batcher::{BatchStats, Batcher};
use crate::detector::Detector;
use crate::faults::FaultSwitch;
use crate::options::Options;
use crate::simulator::SimStats;

/// Renders the Prometheus exposition for the API's own `/metrics`.
pub type MetricsRenderer = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// A started service: API listening, batcher and (if cameras > 0) simulator running.
#[derive(Debug)]
pub struct RunningService {
    addr: SocketAddr,
    faults: FaultSwitch,
    ready: Arc<AtomicBool>,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    simulator: Option<tokio::task::JoinHandle<()>>,
    summary: Option<tokio::task::JoinHandle<()>>,
    drain: batcher::Drain,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The API's address is in use, not local, or needs privileges.
    #[error(
        "the detection API cannot listen on {addr}: {source}; choose another address with \
         --listen or ITS_EXAMPLE_LISTEN (e.g. --listen 0.0.0.0:8081)"
    )]
    Listen {
        /// The address from `--listen` / `ITS_EXAMPLE_LISTEN`.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// Binds the API and starts everything.
///
/// # Errors
/// [`StartError::Listen`] when the listen address cannot be bound.
pub async fn start(
    options: &Options,
    metrics: MetricsRenderer,
) -> Result<RunningService, StartError> {
    let faults = FaultSwitch::new(options.faults.clone());
    let detector = Arc::new(Detector::new(
        options.gpu_streams,
        options.drift_window,
        faults.clone(),
    ));
    let batch_stats = Arc::new(BatchStats::default());
    let (batcher, drain) = Batcher::start(
        detector,
        options.max_batch,
        options.max_wait,
        Arc::clone(&batch_stats),
    );
    let ready = Arc::new(AtomicBool::new(true));
    let state = api::AppState {
        batcher,
        cameras: Arc::new(
            simulator::camera_ids(options.cameras.max(1))
                .into_iter()
                .collect::<HashSet<_>>(),
        ),
        max_request_frames: options.max_request_frames,
        faults: faults.clone(),
        metrics,
        ready: Arc::clone(&ready),
    };
    let listen_error = |source| StartError::Listen {
        addr: options.listen,
        source,
    };
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(listen_error)?;
    let addr = listener.local_addr().map_err(listen_error)?;
    let (stop, stopped) = watch::channel(false);
    let mut server_stop = stopped.clone();
    let app = api::router(state);
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = server_stop.wait_for(|s| *s).await;
            })
            .await
    });
    let sim_stats = Arc::new(SimStats::default());
    let simulator = (options.cameras > 0).then(|| {
        tokio::spawn(simulator::run(
            options.cameras,
            options.fps,
            options.cameras_per_gateway,
            addr,
            faults.clone(),
            Arc::clone(&sim_stats),
            stopped.clone(),
        ))
    });
    let summary = (!options.summary_every.is_zero()).then(|| {
        tokio::spawn(summary::run(
            options.summary_every,
            Arc::clone(&sim_stats),
            batch_stats,
            stopped,
        ))
    });
    tracing::info!(%addr, cameras = options.cameras, fps = options.fps, "inference service started");
    Ok(RunningService {
        addr,
        faults,
        ready,
        stop,
        server,
        simulator,
        summary,
        drain,
    })
}

impl RunningService {
    /// Where the API listens.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The fault knobs, to change them in-process.
    #[must_use]
    pub fn faults(&self) -> &FaultSwitch {
        &self.faults
    }

    /// Stops the simulator, stops accepting requests, finishes queued batches.
    pub async fn shutdown(self) {
        self.ready
            .store(false, std::sync::atomic::Ordering::Release);
        let _ = self.stop.send(true);
        if let Some(simulator) = self.simulator {
            let _ = simulator.await;
        }
        if let Some(summary) = self.summary {
            let _ = summary.await;
        }
        // The server's graceful shutdown drops the router and with it the last batcher handle,
        // which lets the batching loop drain and end.
        let _ = self.server.await;
        let _ = self.drain.await;
        tracing::info!("inference service stopped");
    }
}
