//! The SDK's own background runtime, in a wrapper that may be dropped anywhere.
//!
//! Dropping a tokio `Runtime` inside another runtime's context panics ("Cannot drop a runtime
//! in a context where blocking is not allowed", STACK.md trap 12). Init builds the runtime early
//! and may fail after that — inside the application's `#[tokio::main]` — so the wrapper's drop
//! uses `shutdown_background`, which never blocks.

use std::time::Duration;

use tokio::runtime::{Handle, Runtime};

/// A runtime of one worker thread for telemetry's background tasks.
#[derive(Debug)]
pub(super) struct BackgroundRuntime {
    runtime: Option<Runtime>,
}

impl BackgroundRuntime {
    pub(super) fn start() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("its-telemetry")
            .enable_all()
            .build()?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    pub(super) fn handle(&self) -> Option<&Handle> {
        self.runtime.as_ref().map(Runtime::handle)
    }

    /// Runs `future` to completion; only from a thread outside any runtime (the shutdown
    /// thread).
    #[cfg(feature = "push-gateway")]
    pub(super) fn block_on<F: std::future::Future>(&self, future: F) -> Option<F::Output> {
        self.runtime.as_ref().map(|rt| rt.block_on(future))
    }

    /// Stops the runtime, waiting at most `timeout` for its tasks; only from a thread outside
    /// any runtime.
    pub(super) fn shutdown_timeout(mut self, timeout: Duration) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(timeout);
        }
    }
}

impl Drop for BackgroundRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_inside_a_runtime_does_not_panic() {
        let outer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("outer runtime");
        outer.block_on(async {
            let background = BackgroundRuntime::start().expect("background runtime");
            drop(background);
        });
    }
}
