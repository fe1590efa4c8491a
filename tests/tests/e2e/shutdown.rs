//! Graceful shutdown: a call in flight when the signal comes still gets its
//! answer, while new connections are no longer accepted.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message;
use tokio::net::TcpStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic_types::StatusExt;
use tradeport_proto::catalog::catalog_service_client::CatalogServiceClient;
use tradeport_proto::catalog::{SearchProductsRequest, SearchProductsResponse, WatchStockRequest};
use tradeport_proto::orders::WatchOrdersRequest;
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::sync::WatchDocumentsRequest;
use tradeport_proto::sync::sync_service_client::SyncServiceClient;
use tradeport_tests::TestServer;
use tradeport_tests::grpc_web::frame;

#[tokio::test]
async fn an_in_flight_call_finishes_during_shutdown() {
    let server = TestServer::start(|_| {}).unwrap();
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(connection);

    // Open the call and send its headers, but hold the request message back:
    // the call is in flight on the server, waiting for its body.
    let (body_tx, body_rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(1);
    let request = http::Request::post(format!(
        "http://{}/tradeport.catalog.v1.CatalogService/SearchProducts",
        server.addr
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .header("authorization", format!("Bearer {}", server.demo.api_key))
    .body(StreamBody::new(ReceiverStream::new(body_rx)))
    .unwrap();
    let response = tokio::spawn(sender.send_request(request));
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        TcpStream::connect(server.addr).await.is_err(),
        "a stopping server must not accept new connections"
    );

    let message = SearchProductsRequest {
        query: "pliers".into(),
        page_size: 3,
        ..Default::default()
    };
    body_tx
        .send(Ok(Frame::data(Bytes::from(frame(
            &message.encode_to_vec(),
        )))))
        .await
        .unwrap();
    drop(body_tx);

    let response = response.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let collected = response.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    assert_eq!(
        trailers.get("grpc-status").map(|v| v.to_str().unwrap()),
        Some("0"),
        "{trailers:?}"
    );
    let bytes = collected.to_bytes();
    let reply = SearchProductsResponse::decode(&bytes[5..]).unwrap();
    assert_eq!(reply.products.len(), 3);

    tokio::time::timeout(Duration::from_secs(10), server.stopped())
        .await
        .expect("the server stops once its last call is done")
        .unwrap();
}

/// How a watch ended: UNAVAILABLE with reason SHUTTING_DOWN and a
/// RetryInfo, so a client reconnects rather than take it for "done".
fn assert_ended_by_shutdown<T: std::fmt::Debug>(
    which: &str,
    ended: Result<Result<Option<T>, tonic::Status>, tokio::time::error::Elapsed>,
) {
    let status = match ended {
        Ok(Err(status)) => status,
        other => panic!("{which} must end with a status at shutdown, got {other:?}"),
    };
    assert_eq!(
        status.code(),
        tonic::Code::Unavailable,
        "{which}: {status:?}"
    );
    let details = status.get_error_details();
    assert_eq!(
        details.error_info().map(|i| i.reason.as_str()),
        Some("SHUTTING_DOWN"),
        "{which}"
    );
    assert!(details.retry_info().is_some(), "{which}: a RetryInfo");
}

#[tokio::test]
async fn open_watches_end_unavailable_at_shutdown_instead_of_holding_it_up() {
    let server = TestServer::start(|c| c.shutdown_grace = Duration::from_secs(20)).unwrap();
    let channel = server.client().authorized_channel();
    let mut stock = CatalogServiceClient::new(channel.clone())
        .watch_stock(WatchStockRequest {
            skus: vec!["TP-EL-00001".into()],
        })
        .await
        .unwrap()
        .into_inner();
    for _ in 0..3 {
        stock.message().await.unwrap().unwrap();
    }
    let mut orders = OrderServiceClient::new(channel.clone())
        .watch_orders(WatchOrdersRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut documents = SyncServiceClient::new(channel)
        .watch_documents(WatchDocumentsRequest::default())
        .await
        .unwrap()
        .into_inner();

    let started = std::time::Instant::now();
    server.begin_shutdown();
    let within = Duration::from_secs(5);
    assert_ended_by_shutdown(
        "WatchStock",
        tokio::time::timeout(within, stock.message()).await,
    );
    assert_ended_by_shutdown(
        "WatchOrders",
        tokio::time::timeout(within, orders.message()).await,
    );
    assert_ended_by_shutdown(
        "WatchDocuments",
        tokio::time::timeout(within, documents.message()).await,
    );
    tokio::time::timeout(Duration::from_secs(5), server.stopped())
        .await
        .expect("the server stops without waiting out its grace period")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}
