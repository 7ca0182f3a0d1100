use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;

use super::error::classify;
use crate::http::record::{Outcome, Recording, response_outcome};

pin_project! {
    /// The response future of [`ClientService`](super::ClientService): records the request
    /// when the response head arrives, when the client fails, or — as `cancelled` — when the
    /// caller drops the future first.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        recording: Option<Recording>,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("pending", &self.recording.is_some())
            .finish_non_exhaustive()
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, recording: Recording) -> Self {
        Self {
            inner,
            recording: Some(recording),
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: std::fmt::Display + 'static,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Some(mut recording) = this.recording.take() {
            match &result {
                Ok(response) => recording.finish(response_outcome(response)),
                Err(error) => {
                    let (kind, message) = classify(error);
                    recording.finish_with_message(Outcome::Error(kind), Some(message));
                }
            }
        }
        Poll::Ready(result)
    }
}
