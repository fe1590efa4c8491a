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
//! Nor are the services that show nothing of the store: the health check
//! and reflection (`SHOWS_NO_STORE`). Held, a health check waits for the
//! disk whenever writes keep the store unsettled, so a load balancer
//! probing a server whose disk is saturated by orders would time out and
//! take it out of rotation, and an operator would see it as hung. Their
//! answers come from the process (the health reporter, the descriptors),
//! never from a read of the store.
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
        let shows_store = !shows_no_store(request.uri().path());
        let answer = self.inner.call(request);
        let store = Arc::clone(&self.store);
        Box::pin(async move {
            let response = answer.await?;
            if !shows_store {
                return Ok(response);
            }
            match settle(store).await {
                Ok(()) => Ok(response),
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

/// The services whose answers hold nothing read from the store, by the
/// prefix of their gRPC paths.
const SHOWS_NO_STORE: &[&str] = &[
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1.ServerReflection/",
    "/grpc.reflection.v1alpha.ServerReflection/",
];

fn shows_no_store(path: &str) -> bool {
    SHOWS_NO_STORE.iter().any(|prefix| path.starts_with(prefix))
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::{Commit, SledStore};
    use std::time::Duration;

    async fn answered_within<S>(service: &mut S, path: &str, patience: Duration) -> bool
    where
        S: Service<Request<()>>,
    {
        let request = Request::builder().uri(path).body(()).unwrap();
        let answer = service.call(request);
        tokio::time::timeout(patience, answer).await.is_ok()
    }

    /// A flush held up (sled's write lock taken, as a saturated disk would
    /// hold it) delays every answer that may show the store, and none of
    /// the health checks a load balancer sends meanwhile.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_health_check_does_not_wait_for_a_flush_held_up_by_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        store
            .apply(Commit::new().put(b"k".to_vec(), b"v".to_vec()))
            .unwrap();
        assert!(store.unsettled(), "an applied commit waits for a flush");
        let answering = tower::service_fn(|_: Request<()>| async {
            Ok::<_, std::convert::Infallible>(Response::new(tonic::body::Body::empty()))
        });
        let mut service = DurableAnswersLayer::new(Arc::new(store)).layer(answering);

        let (held, is_held) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let _writing = tradeport_sled_writes::writing();
            held.send(()).unwrap();
            released.recv().unwrap();
        });
        is_held.recv().unwrap();

        let health = "/grpc.health.v1.Health/Check";
        let reader = "/tradeport.orders.v1.OrderService/GetOrder";
        assert!(
            answered_within(&mut service, health, Duration::from_secs(2)).await,
            "Health/Check waited for the flush"
        );
        assert!(
            !answered_within(&mut service, reader, Duration::from_millis(300)).await,
            "an answer that may show the store went out before the flush"
        );
        release.send(()).unwrap();
        holder.join().unwrap();
        assert!(
            answered_within(&mut service, reader, Duration::from_secs(10)).await,
            "the answer went out once the flush could run"
        );
    }
}
