//! Counting the warnings the GPU code logs, in unit tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

/// Counts WARN events.
struct WarnCounter(Arc<AtomicUsize>);

impl<S: Subscriber> Layer<S> for WarnCounter {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if *event.metadata().level() == Level::WARN {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Runs `f` with a subscriber on this thread; returns its result and the warnings it logged.
pub(super) fn count_warnings<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let subscriber = Registry::default().with(WarnCounter(Arc::clone(&count)));
    let result = tracing::subscriber::with_default(subscriber, f);
    (result, count.load(Ordering::SeqCst))
}
