//! Durable before visible: no answer leaves the server while it may show a
//! write that a crash could still take back.
//!
//! The store lets readers see an applied commit before its flush, so that
//! writers racing for the same records (order numbers, stock levels) can
//! decide on the newest values and share one flush. A writer answers only
//! after its own flush, which covers everything it read. A plain reader
//! (`ListOrders`, `GetOrder`, a feed page, an idempotent replay) flushes
//! nothing, so without this layer it could show an order that a SIGKILL
//! a moment later erases, and whose number then goes to another order.
//!
//! Every answer therefore waits here, after the call has produced it and
//! before it is sent, until everything applied so far is durable
//! ([`Store::settle`]). When nothing is waiting for the disk (the usual
//! case outside write bursts) this costs one uncontended check. If the
//! store cannot make it durable, the caller gets the store's error
//! (UNAVAILABLE for a stalled flush) instead of an answer it could not
//! rely on.
//!
//! Streams are not held here: their events are published only after the
//! writes they announce are durable (see the use cases' `publish`).
//!
//! What this layer must never do: look inside an answer or decide
//! anything about it; it only delays it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::{Layer, Service};

use crate::api::errors::Failure;
use crate::store::Store;

#[derive(Clone)]
pub struct DurableAnswersLayer {
    store: Arc<dyn Store>,
}

impl DurableAnswersLayer {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

impl<S> Layer<S> for DurableAnswersLayer {
    type Service = DurableAnswers<S>;
    fn layer(&self, inner: S) -> Self::Service {
        DurableAnswers {
            inner,
            store: Arc::clone(&self.store),
        }
    }
}

#[derive(Clone)]
pub struct DurableAnswers<S> {
    inner: S,
    store: Arc<dyn Store>,
}

impl<S, B> Service<Request<B>> for DurableAnswers<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let answer = self.inner.call(request);
        let store = Arc::clone(&self.store);
        Box::pin(async move {
            let response = answer.await?;
            match settle(store).await {
                Ok(()) => Ok(response),
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

/// Waits, off the async threads, until every write applied so far is
/// durable.
async fn settle(store: Arc<dyn Store>) -> Result<(), tonic::Status> {
    if !store.unsettled() {
        return Ok(());
    }
    match tokio::task::spawn_blocking(move || store.settle()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Failure::from(error).into()),
        Err(error) => {
            tracing::error!(%error, "waiting for the store to settle failed");
            Err(tonic::Status::internal("internal error"))
        }
    }
}
