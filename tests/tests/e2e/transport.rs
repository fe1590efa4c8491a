//! Health, reflection, TLS with the dev certificate, request ids.

use tokio_stream::StreamExt;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tradeport_mobile::{Client, ClientConfig, RetryPolicy};
use tradeport_proto::catalog::SearchProductsRequest;
use tradeport_tests::{TestServer, dev_tls};

#[tokio::test]
async fn health_is_serving_for_the_server_and_the_catalog() {
    let mut health = HealthClient::new(TestServer::shared().client().channel());
    for service in ["", "tradeport.catalog.v1.CatalogService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
}

#[tokio::test]
async fn reflection_lists_the_services() {
    let mut reflection = ServerReflectionClient::new(TestServer::shared().client().channel());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("unexpected reflection reply {reply:?}");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "tradeport.catalog.v1.CatalogService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn tls_with_the_dev_certificate_works_and_plaintext_to_it_fails() {
    let server = TestServer::start(dev_tls).unwrap();
    assert!(server.url().starts_with("https://"));
    let found = server
        .client()
        .catalog()
        .search_products(SearchProductsRequest {
            query: "drill".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(found.total_size > 0);

    let status = search_once(format!("http://{}", server.addr))
        .await
        .unwrap_err();
    assert_ne!(status.code(), tonic::Code::Ok);

    // A client that does not trust the dev CA refuses the connection.
    let status = search_once(server.url()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    server.begin_shutdown();
    server.stopped().await.unwrap();
}

/// One search, no retries, with the SDK's default trust (web PKI roots).
async fn search_once(
    url: String,
) -> Result<tradeport_proto::catalog::SearchProductsResponse, tonic::Status> {
    let mut config = ClientConfig::new(url);
    config.retry = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    Client::connect_lazy(config)
        .unwrap()
        .catalog()
        .search_products(SearchProductsRequest::default())
        .await
}

#[tokio::test]
async fn the_sdk_retries_while_the_server_is_unavailable() {
    // Reserve a port, free it, and start the server on it a little later.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = ClientConfig::new(format!("http://127.0.0.1:{port}"));
    config.retry = RetryPolicy {
        max_attempts: 40,
        initial_backoff: std::time::Duration::from_millis(50),
        max_backoff: std::time::Duration::from_millis(200),
    };
    let catalog = Client::connect_lazy(config).unwrap().catalog();
    let call = tokio::spawn(async move {
        catalog
            .search_products(SearchProductsRequest {
                query: "helmet".into(),
                ..Default::default()
            })
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!call.is_finished(), "the call should still be retrying");
    let server = TestServer::start(|c| c.listen.set_port(port)).unwrap();
    let _ = &server;
    // The call carries no credentials: the server's own answer (not
    // UNAVAILABLE) proves the retries reached it.
    let answer = call.await.unwrap().unwrap_err();
    assert_eq!(answer.code(), tonic::Code::Unauthenticated);
}
