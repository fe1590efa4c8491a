//! The transport: one port serving gRPC (HTTP/2) and gRPC-web (HTTP/1.1 and
//! HTTP/2) over TLS or, on loopback, plaintext; CORS for browsers; request
//! ids and tracing; size, time and concurrency limits; health and
//! reflection; and a graceful, bounded shutdown.

pub mod client_address;
pub mod cors;
pub mod durable;
pub mod formats;
pub mod health;
pub mod limits;
pub mod malformed;
pub mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, Request};
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic_web::GrpcWebLayer;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::LatencyUnit;
use tower_http::classify::{GrpcCode, GrpcErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tradeport_proto::catalog::catalog_bulk_service_server::CatalogBulkServiceServer;
use tradeport_proto::catalog::catalog_service_server::CatalogServiceServer;

use tradeport_proto::identity::identity_service_server::IdentityServiceServer;
use tradeport_proto::orders::order_service_server::OrderServiceServer;
use tradeport_proto::sync::sync_service_server::SyncServiceServer;

use crate::api::bulk::CatalogBulkApi;
use crate::api::catalog::CatalogApi;
use crate::api::identity::IdentityApi;
use crate::api::orders::OrderApi;
use crate::api::sync::SyncApi;
use crate::auth::PrincipalLayer;
use crate::config::Config;
use crate::service::identity::Identity;
use crate::store::Store;

/// The services one server exposes.
pub struct Services {
    pub catalog: Arc<CatalogApi>,
    pub bulk: Arc<CatalogBulkApi>,
    pub orders: Arc<OrderApi>,
    pub sync: Arc<SyncApi>,
    pub identity: Arc<Identity>,
    /// Asked whether a flush has stalled (see `health`), and waited on
    /// before an answer is sent (see `durable`).
    pub store: Arc<dyn Store>,
    /// How callers are resolved: normally `PrincipalLayer::new(identity)`.
    pub auth: PrincipalLayer,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Serves until `shutdown` resolves, then stops accepting, gives in-flight
/// calls `config.shutdown_grace` to finish, and returns.
pub async fn serve(
    config: &Config,
    services: Services,
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health::set_all(&health, tonic_health::ServingStatus::Serving).await;
    let store = Arc::clone(&services.store);
    let store_watch = tokio::spawn(health::watch_store(
        move || store.stalled_flush(),
        health.clone(),
        health::STORE_CHECK_EVERY,
    ));
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tradeport_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;

    let max = config.max_message_bytes;
    let catalog_api = Arc::clone(&services.catalog);
    let orders_api = Arc::clone(&services.orders);
    let sync_api = Arc::clone(&services.sync);
    let catalog = CatalogServiceServer::from_arc(services.catalog)
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);
    let orders = OrderServiceServer::from_arc(services.orders)
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);
    let sync = SyncServiceServer::from_arc(services.sync)
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);
    let bulk = CatalogBulkServiceServer::from_arc(services.bulk)
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);
    let identity = IdentityServiceServer::new(IdentityApi::new(Arc::clone(&services.identity)))
        .max_decoding_message_size(max)
        .max_encoding_message_size(max);

    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new(SharedClassifier::new(caller_errors_are_not_failures()))
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("rpc", request_id = %id, path = %request.uri().path())
                })
                .on_response(
                    DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(LatencyUnit::Micros),
                ),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(cors::layer(config))
        .layer(formats::RefuseUnsupportedFormatsLayer)
        .layer(GrpcWebLayer::new())
        .layer(limits::MessageLimitLayer::new(max))
        .layer(malformed::MalformedRequestLayer)
        .layer(GlobalConcurrencyLimitLayer::new(config.concurrency_limit))
        .layer(client_address::ClientAddressLayer::new(
            &config.trusted_proxies,
        ))
        .layer(services.auth)
        .layer(durable::DurableAnswersLayer::new(services.store))
        .into_inner();

    let router = Server::builder()
        .accept_http1(true)
        .timeout(config.request_timeout)
        .http2_keepalive_interval(Some(config.http2_keepalive))
        .http2_keepalive_timeout(Some(Duration::from_secs(20)))
        .tcp_nodelay(true)
        .layer(layers)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(catalog)
        .add_service(bulk)
        .add_service(orders)
        .add_service(sync)
        .add_service(identity);

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let stopped = async {
        let _ = stop_rx.await;
    };
    let serving: std::pin::Pin<
        Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>,
    > = match tls {
        Some(tls) => {
            Box::pin(router.serve_with_incoming_shutdown(tls::incoming(listener, tls), stopped))
        }
        None => Box::pin(router.serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            stopped,
        )),
    };
    tokio::pin!(serving);
    tokio::select! {
        result = &mut serving => {
            health::stop(store_watch).await;
            return result.map_err(Into::into);
        }
        () = shutdown => {}
    }
    tracing::info!(grace = ?config.shutdown_grace, "shutting down: no new connections, finishing calls in flight");
    // Watches never finish by themselves: end them so the drain can.
    catalog_api.end_watches();
    orders_api.end_watches();
    sync_api.end_watches();
    // Stopped first, or it could turn a stopping server SERVING again.
    health::stop(store_watch).await;
    health::set_all(&health, tonic_health::ServingStatus::NotServing).await;
    let _ = stop_tx.send(());
    match tokio::time::timeout(config.shutdown_grace, &mut serving).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => {
            tracing::warn!("shutdown grace elapsed; abandoning calls still in flight");
            Ok(())
        }
    }
}

/// A status the caller caused (bad input, missing resource, a limit) is the
/// server working as meant: logged with the call, not as a failure. Only
/// faults of ours (INTERNAL, UNKNOWN, UNAVAILABLE, …) log as errors.
fn caller_errors_are_not_failures() -> GrpcErrorsAsFailures {
    [
        GrpcCode::Cancelled,
        GrpcCode::InvalidArgument,
        GrpcCode::NotFound,
        GrpcCode::AlreadyExists,
        GrpcCode::PermissionDenied,
        GrpcCode::ResourceExhausted,
        GrpcCode::FailedPrecondition,
        GrpcCode::Aborted,
        GrpcCode::OutOfRange,
        GrpcCode::Unauthenticated,
        // An unknown method, or a message format the server does not speak.
        GrpcCode::Unimplemented,
    ]
    .into_iter()
    .fold(
        GrpcErrorsAsFailures::new(),
        GrpcErrorsAsFailures::with_success,
    )
}
