use std::sync::{Arc, OnceLock};

use tower_layer::Layer;

use super::service::ClientService;
use crate::catalog::http::CLIENT_REQUEST_DURATION;
use crate::http::record::HandleCache;
use crate::http::tracer::LayerTracer;

/// Traces and times the requests a client sends, and propagates the trace to the server.
/// Build it once and clone it where needed: clones share the metric handles, which a layer
/// keeps for the life of the process.
#[derive(Debug, Clone)]
pub struct ClientLayer {
    state: Arc<ClientState>,
}

/// Handles and tracer shared by the services a layer builds; bound on first use.
#[derive(Debug)]
pub(crate) struct ClientState {
    pub(crate) cache: HandleCache,
    tracer: OnceLock<LayerTracer>,
}

impl ClientState {
    pub(crate) fn tracer(&self) -> &LayerTracer {
        self.tracer.get_or_init(LayerTracer::bind)
    }
}

impl Default for ClientLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientLayer {
    /// A client layer; it has no settings.
    #[must_use]
    pub fn new() -> Self {
        // Handles made before try_init must not bind to the no-op recorder.
        crate::deferred_recorder::ensure_installed();
        crate::clock::calibrate();
        Self {
            state: Arc::new(ClientState {
                cache: HandleCache::new(&CLIENT_REQUEST_DURATION, 400, None),
                tracer: OnceLock::new(),
            }),
        }
    }
}

impl<S> Layer<S> for ClientLayer {
    type Service = ClientService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClientService::new(inner, self.state.clone())
    }
}
