//! How a server stream (WatchOrders, WatchStock, WatchDocuments,
//! SyncDocuments) ends when the server shuts down: with UNAVAILABLE, reason
//! `SHUTTING_DOWN` and a RetryInfo, so a client reconnects instead of
//! taking the end for "nothing more will come". It never ends a stream
//! with OK at shutdown and never holds a stream open past it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use pin_project_lite::pin_project;
use tonic::Status;

use super::errors::Failure;

/// The status a stream ends with at shutdown.
pub fn shutting_down() -> Status {
    Failure::Unavailable {
        reason: "SHUTTING_DOWN",
        message: "the server is shutting down; call again to reconnect".into(),
    }
    .into()
}

pin_project! {
    /// `stream` until `shutdown` resolves, then [`shutting_down`] and the end.
    pub struct UntilShutdown<S, F> {
        #[pin]
        stream: S,
        #[pin]
        shutdown: F,
        ended: bool,
    }
}

/// Ends `stream` with [`shutting_down`] once `shutdown` resolves.
pub fn until_shutdown<S, F>(stream: S, shutdown: F) -> UntilShutdown<S, F> {
    UntilShutdown {
        stream,
        shutdown,
        ended: false,
    }
}

impl<S, F, T> Stream for UntilShutdown<S, F>
where
    S: Stream<Item = Result<T, Status>>,
    F: Future<Output = ()>,
{
    type Item = Result<T, Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        if *this.ended {
            return Poll::Ready(None);
        }
        // Shutdown first: a busy stream must not outrun it.
        if this.shutdown.poll(cx).is_ready() {
            *this.ended = true;
            return Poll::Ready(Some(Err(shutting_down())));
        }
        let next = this.stream.poll_next(cx);
        if let Poll::Ready(None) = next {
            *this.ended = true;
        }
        next
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use futures::StreamExt;
    use tonic::Code;
    use tonic_types::StatusExt;

    use super::*;

    #[tokio::test]
    async fn a_stream_ends_with_unavailable_and_a_retry_hint_at_shutdown() {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let items =
            futures::stream::iter([Ok::<_, Status>(1), Ok(2)]).chain(futures::stream::pending());
        let mut stream = Box::pin(until_shutdown(items, async {
            let _ = stopped.await;
        }));
        assert_eq!(stream.next().await.unwrap().unwrap(), 1);
        assert_eq!(stream.next().await.unwrap().unwrap(), 2);
        stop.send(()).unwrap();
        let end = stream.next().await.unwrap().unwrap_err();
        assert_eq!(end.code(), Code::Unavailable);
        let details = end.get_error_details();
        assert_eq!(details.error_info().unwrap().reason, "SHUTTING_DOWN");
        assert!(details.retry_info().is_some());
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn a_stream_that_ends_by_itself_ends_as_before() {
        let items = futures::stream::iter([Ok::<_, Status>(1)]);
        let stream = until_shutdown(items, futures::future::pending());
        let all: Vec<_> = stream.collect().await;
        assert_eq!(all.len(), 1);
    }
}
