use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use super::layer::X_REQUEST_ID;
use crate::http::record::{ErrorKind, Outcome, Recording, response_outcome};

pin_project! {
    /// The response future of [`ServerService`](super::ServerService): attaches the request's
    /// trace context while the handler runs, and records the request when it completes — or,
    /// when the future is dropped first (client gone, timeout), records it as `cancelled`.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        recording: Option<(Recording, HeaderValue)>,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("recorded", &self.recording.is_some())
            .finish_non_exhaustive()
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn passthrough(inner: F) -> Self {
        Self {
            inner,
            recording: None,
        }
    }

    pub(crate) fn recorded(inner: F, recording: Recording, request_id: HeaderValue) -> Self {
        Self {
            inner,
            recording: Some((recording, request_id)),
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some((recording, _)) = this.recording.as_ref() else {
            return this.inner.poll(cx);
        };
        let attached = recording.attach.then(|| recording.cx.clone().attach());
        let mut result = ready!(this.inner.poll(cx));
        drop(attached);
        if let Some((mut recording, request_id)) = this.recording.take() {
            match &mut result {
                Ok(response) => {
                    recording.finish(response_outcome(response));
                    response.headers_mut().insert(X_REQUEST_ID, request_id);
                }
                Err(_) => recording.finish(Outcome::Error(ErrorKind::Other)),
            }
        }
        Poll::Ready(result)
    }
}
