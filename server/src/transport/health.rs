//! What the gRPC health service says: every service SERVING while the
//! server takes calls and its store writes; NOT_SERVING while a store flush
//! has stalled (load balancers and orchestrators then send writes
//! elsewhere, and the alert is raised once, loudly) and from the start of
//! shutdown.

use std::time::Duration;

use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tradeport_proto::catalog::catalog_bulk_service_server::CatalogBulkServiceServer;
use tradeport_proto::catalog::catalog_service_server::CatalogServiceServer;
use tradeport_proto::identity::identity_service_server::IdentityServiceServer;
use tradeport_proto::orders::order_service_server::OrderServiceServer;
use tradeport_proto::sync::sync_service_server::SyncServiceServer;

use tonic::server::NamedService;

/// How often the store is asked whether a flush has stalled.
pub const STORE_CHECK_EVERY: Duration = Duration::from_secs(1);

/// The names the health service answers for: the server as a whole ("")
/// and each service.
fn names() -> [&'static str; 6] {
    [
        "",
        <CatalogServiceServer<()> as NamedService>::NAME,
        <CatalogBulkServiceServer<()> as NamedService>::NAME,
        <IdentityServiceServer<()> as NamedService>::NAME,
        <OrderServiceServer<()> as NamedService>::NAME,
        <SyncServiceServer<()> as NamedService>::NAME,
    ]
}

pub async fn set_all(health: &HealthReporter, status: ServingStatus) {
    for name in names() {
        health.set_service_status(name, status).await;
    }
}

/// Asks `stalled_flush` every `every` and turns the server NOT_SERVING for
/// as long as it answers; never returns (the caller aborts it).
pub async fn watch_store(
    stalled_flush: impl Fn() -> Option<Duration>,
    health: HealthReporter,
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut serving = true;
    loop {
        ticks.tick().await;
        match (serving, stalled_flush()) {
            (true, Some(running)) => {
                tracing::error!(
                    running_secs = running.as_secs(),
                    "a store flush has stalled: the server reports NOT_SERVING and refuses to wait on it"
                );
                set_all(&health, ServingStatus::NotServing).await;
                serving = false;
            }
            (false, None) => {
                tracing::warn!("the stalled store flush returned: the server is SERVING again");
                set_all(&health, ServingStatus::Serving).await;
                serving = true;
            }
            _ => {}
        }
    }
}

/// Stops the watch and waits until it has let go of the store: whoever
/// stops the server may close the store next.
pub async fn stop(watch: tokio::task::JoinHandle<()>) {
    watch.abort();
    let _ = watch.await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tonic::Request;
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_server::Health;
    use tonic_health::server::HealthService;

    async fn status_of(health: &HealthService, service: &str) -> i32 {
        health
            .check(Request::new(HealthCheckRequest {
                service: service.to_string(),
            }))
            .await
            .unwrap()
            .into_inner()
            .status
    }

    async fn every_status(health: &HealthService) -> Vec<i32> {
        let mut out = Vec::new();
        for name in names() {
            out.push(status_of(health, name).await);
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_flush_turns_every_service_not_serving_until_it_returns() {
        let reporter = HealthReporter::new();
        set_all(&reporter, ServingStatus::Serving).await;
        let service = HealthService::from_health_reporter(reporter.clone());
        let stalled = Arc::new(AtomicBool::new(false));
        let probe = {
            let stalled = Arc::clone(&stalled);
            move || {
                stalled
                    .load(Ordering::SeqCst)
                    .then_some(Duration::from_secs(31))
            }
        };
        let watch = tokio::spawn(watch_store(probe, reporter, STORE_CHECK_EVERY));
        let serving = ServingStatus::Serving as i32;
        let not_serving = ServingStatus::NotServing as i32;

        tokio::time::sleep(STORE_CHECK_EVERY * 2).await;
        assert_eq!(every_status(&service).await, [serving; 6]);

        stalled.store(true, Ordering::SeqCst);
        tokio::time::sleep(STORE_CHECK_EVERY * 2).await;
        assert_eq!(every_status(&service).await, [not_serving; 6]);

        stalled.store(false, Ordering::SeqCst);
        tokio::time::sleep(STORE_CHECK_EVERY * 2).await;
        assert_eq!(every_status(&service).await, [serving; 6]);
        watch.abort();
    }
}
