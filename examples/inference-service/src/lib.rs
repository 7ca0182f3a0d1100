//! A miniature ITS detection service, instrumented with its-telemetry end to end: an axum API
//! with a dynamic batcher in front of a simulated GPU detector, and a camera simulator that
//! drives it over HTTP. `main.rs` wires it to the process; tests start it in-process.
//!
//! The fault knobs (`/admin/faults`) are served on a second listener, never on the API's:
//! loopback by default, and any other address only with a bearer token (`--admin-token-file`).

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
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::sync::watch;

use crate::api::AdminToken;
use crate::batcher::{BatchStats, Batcher};
use crate::detector::Detector;
use crate::faults::{FaultError, FaultSwitch};
use crate::options::Options;
use crate::simulator::SimStats;

/// Renders the Prometheus exposition for the API's own `/metrics`.
pub type MetricsRenderer = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// A started service: API listening, batcher and (if cameras > 0) simulator running.
#[derive(Debug)]
pub struct RunningService {
    addr: SocketAddr,
    admin_addr: SocketAddr,
    faults: FaultSwitch,
    ready: Arc<AtomicBool>,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    admin: tokio::task::JoinHandle<std::io::Result<()>>,
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
    /// The admin API's address is in use, not local, or needs privileges.
    #[error(
        "the admin API cannot listen on {addr}: {source}; choose another address with \
         --admin-listen or ITS_EXAMPLE_ADMIN_LISTEN (e.g. --admin-listen 127.0.0.1:9081)"
    )]
    AdminListen {
        /// The address from `--admin-listen` / `ITS_EXAMPLE_ADMIN_LISTEN`.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The admin API would listen beyond loopback without a token.
    #[error(
        "the admin API would listen on {addr}, which is not a loopback address, without a \
         token: anyone who reaches it could change the fault knobs; keep it on 127.0.0.1 \
         (the default) or set --admin-token-file / ITS_EXAMPLE_ADMIN_TOKEN_FILE"
    )]
    AdminUnprotected {
        /// The address from `--admin-listen` / `ITS_EXAMPLE_ADMIN_LISTEN`.
        addr: SocketAddr,
    },
    /// The token file cannot be read or holds no token.
    #[error(
        "the admin token file {path} {reason}; write a token (e.g. `openssl rand -hex 32`) to \
         it or unset --admin-token-file / ITS_EXAMPLE_ADMIN_TOKEN_FILE"
    )]
    AdminToken {
        /// The path from `--admin-token-file` / `ITS_EXAMPLE_ADMIN_TOKEN_FILE`.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A fault knob from the options is out of bounds.
    #[error("invalid fault knob: {0}; see --help for the bounds")]
    Faults(#[from] FaultError),
}

/// Binds the API and starts everything.
///
/// # Errors
/// [`StartError::Listen`] or [`StartError::AdminListen`] when an address cannot be bound,
/// [`StartError::AdminUnprotected`] for an admin address beyond loopback without a token,
/// [`StartError::AdminToken`] for a token file that cannot be read or is empty, and
/// [`StartError::Faults`] for a fault knob out of bounds.
pub async fn start(
    options: &Options,
    metrics: MetricsRenderer,
) -> Result<RunningService, StartError> {
    options.faults.validate()?;
    let token = admin_token(options)?;
    let faults = FaultSwitch::new(options.faults.clone());
    let detector = Arc::new(Detector::new(
        options.gpu_streams,
        options.drift_window,
        options.batch_timeout,
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
    let admin_error = |source| StartError::AdminListen {
        addr: options.admin_listen,
        source,
    };
    let admin_listener = tokio::net::TcpListener::bind(options.admin_listen)
        .await
        .map_err(admin_error)?;
    let admin_addr = admin_listener.local_addr().map_err(admin_error)?;
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
    let mut admin_stop = stopped.clone();
    let admin_app = api::admin_router(api::AdminState {
        faults: faults.clone(),
        token,
    });
    let admin = tokio::spawn(async move {
        axum::serve(admin_listener, admin_app)
            .with_graceful_shutdown(async move {
                let _ = admin_stop.wait_for(|s| *s).await;
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
    tracing::info!(%addr, %admin_addr, cameras = options.cameras, fps = options.fps, "inference service started");
    Ok(RunningService {
        addr,
        admin_addr,
        faults,
        ready,
        stop,
        server,
        admin,
        simulator,
        summary,
        drain,
    })
}

/// Reads the admin token, and refuses an admin address beyond loopback without one.
fn admin_token(options: &Options) -> Result<Option<AdminToken>, StartError> {
    let Some(path) = &options.admin_token_file else {
        if !options.admin_listen.ip().is_loopback() {
            return Err(StartError::AdminUnprotected {
                addr: options.admin_listen,
            });
        }
        return Ok(None);
    };
    let error = |reason: String| StartError::AdminToken {
        path: path.clone(),
        reason,
    };
    let contents =
        std::fs::read_to_string(path).map_err(|e| error(format!("cannot be read: {e}")))?;
    AdminToken::from_file_contents(&contents)
        .map(Some)
        .ok_or_else(|| error("is empty".to_owned()))
}

impl RunningService {
    /// Where the API listens.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where the admin API (`/admin/faults`) listens.
    #[must_use]
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
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
        let _ = self.admin.await;
        let _ = self.drain.await;
        tracing::info!("inference service stopped");
    }
}
