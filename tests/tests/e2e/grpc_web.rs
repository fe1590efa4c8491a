//! The same catalog over gRPC-web, as a browser sends it: HTTP/1.1,
//! `application/grpc-web+proto`, trailers in the body, CORS.

use http_body_util::{BodyExt, Empty};
use prost::Message;
use tradeport_proto::catalog::{GetProductRequest, SearchProductsRequest, SearchProductsResponse};
use tradeport_server::config::{Config, Settings};
use tradeport_tests::grpc_web::{self, frame, http1_client};
use tradeport_tests::{ORIGIN, TestServer};

const SEARCH: &str = "/tradeport.catalog.v1.CatalogService/SearchProducts";
const GET: &str = "/tradeport.catalog.v1.CatalogService/GetProduct";

/// A browser's CORS preflight for a search from `origin`, asking to send
/// `headers`.
fn preflight(
    addr: std::net::SocketAddr,
    origin: &str,
    headers: &str,
) -> http::Request<Empty<bytes::Bytes>> {
    http::Request::builder()
        .method("OPTIONS")
        .uri(format!("http://{addr}{SEARCH}"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", headers)
        .body(Empty::new())
        .unwrap()
}

#[tokio::test]
async fn search_over_grpc_web_http1() {
    let server = TestServer::shared();
    let request = SearchProductsRequest {
        query: "led panel".into(),
        page_size: 5,
        ..Default::default()
    };
    let reply = grpc_web::call(
        server.addr,
        SEARCH,
        &request,
        Some(ORIGIN),
        Some(&server.demo.api_key),
    )
    .await
    .unwrap();
    assert_eq!(reply.http_status, 200);
    assert_eq!(reply.headers["content-type"], "application/grpc-web+proto");
    assert_eq!(reply.grpc_status(), Some(0), "{:?}", reply.trailers);
    assert_eq!(reply.messages.len(), 1);
    let response = SearchProductsResponse::decode(reply.messages[0].clone()).unwrap();
    assert_eq!(response.products.len(), 5);
    assert!(
        response
            .products
            .iter()
            .all(|p| p.name.to_lowercase().contains("led panel"))
    );
    assert_eq!(reply.headers["access-control-allow-origin"], ORIGIN);
    let exposed = reply.headers["access-control-expose-headers"]
        .to_str()
        .unwrap();
    for header in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        assert!(exposed.contains(header), "{header} not exposed: {exposed}");
    }
}

#[tokio::test]
async fn get_over_grpc_web_and_errors_carry_details() {
    let server = TestServer::shared();
    let reply = grpc_web::call(
        server.addr,
        GET,
        &GetProductRequest {
            id: "prd-000007".into(),
        },
        None,
        Some(&server.demo.api_key),
    )
    .await
    .unwrap();
    assert_eq!(reply.grpc_status(), Some(0));
    let product = tradeport_proto::catalog::GetProductResponse::decode(reply.messages[0].clone())
        .unwrap()
        .product
        .unwrap();
    assert_eq!(product.id, "prd-000007");

    let missing = grpc_web::call(
        server.addr,
        GET,
        &GetProductRequest {
            id: "prd-nope".into(),
        },
        None,
        Some(&server.demo.api_key),
    )
    .await
    .unwrap();
    assert_eq!(missing.grpc_status(), Some(tonic::Code::NotFound as i32));
    assert!(
        missing.trailer("grpc-status-details-bin").is_some(),
        "details travel to browsers"
    );
}

#[tokio::test]
async fn cors_preflight_allows_configured_origins_only() {
    let server = TestServer::shared();
    let client = http1_client::<Empty<bytes::Bytes>>();
    let preflight =
        |origin: &'static str| preflight(server.addr, origin, "content-type,x-grpc-web");
    let allowed = client.request(preflight(ORIGIN)).await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], ORIGIN);
    let _ = allowed.into_body().collect().await;
    let refused = client
        .request(preflight("https://evil.example.net"))
        .await
        .unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// `--cors-origins` as people write it (a space after the comma, a
/// trailing slash, upper case) matches what browsers send, and a preflight
/// may name the W3C trace headers and the configured extra headers.
#[tokio::test]
async fn cors_preflight_takes_origins_as_written_and_allows_trace_and_configured_headers() {
    // What `--cors-origins "https://Portal.Example.com/, http://localhost:5173"`
    // splits into.
    let flags = Settings {
        cors_origins: Some(vec![
            "https://Portal.Example.com/".into(),
            " http://localhost:5173".into(),
        ]),
        cors_allow_headers: Some(vec!["X-Tenant".into()]),
        ..Settings::default()
    };
    let configured = Config::resolve(flags, Settings::default()).unwrap();
    let server = TestServer::start(|c| {
        c.cors_origins = configured.cors_origins;
        c.cors_allow_headers = configured.cors_allow_headers;
    })
    .unwrap();
    let client = http1_client::<Empty<bytes::Bytes>>();
    let asked = "content-type,x-grpc-web,authorization,traceparent,tracestate,baggage,x-tenant";
    for origin in [ORIGIN, "http://localhost:5173"] {
        let answer = client
            .request(preflight(server.addr, origin, asked))
            .await
            .unwrap();
        assert_eq!(
            answer
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            Some(origin)
        );
        let allowed = answer.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_string();
        let allowed: Vec<&str> = allowed.split(',').map(str::trim).collect();
        for header in asked.split(',') {
            assert!(allowed.contains(&header), "{header} not in {allowed:?}");
        }
        assert!(!allowed.contains(&"x-unlisted"), "{allowed:?}");
    }
}

/// JSON over gRPC-web (connect-web's default) is refused with a status the
/// client can read, not a bare HTTP 400.
#[tokio::test]
async fn json_over_grpc_web_is_refused_with_a_grpc_status() {
    let server = TestServer::shared();
    let reply = grpc_web::call_as(
        server.addr,
        SEARCH,
        "application/grpc-web+json",
        br#"{"query":"cable"}"#,
        Some(ORIGIN),
        Some(&server.demo.api_key),
    )
    .await
    .unwrap();
    assert_eq!(reply.http_status, 200);
    assert_eq!(
        reply.grpc_status(),
        Some(tonic::Code::Unimplemented as i32),
        "{reply:?}"
    );
    // A trailers-only answer: the status is in the headers.
    let status = tonic::Status::from_header_map(&reply.headers).unwrap();
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    assert!(
        status.message().contains("application/grpc-web+proto"),
        "{status:?}"
    );
    assert_eq!(tradeport_tests::error_reason(&status), "UNSUPPORTED_FORMAT");
    assert_eq!(
        reply.headers["access-control-allow-origin"], ORIGIN,
        "the page can read it"
    );
}

#[tokio::test]
async fn a_browser_without_credentials_is_told_to_sign_in() {
    let server = TestServer::shared();
    let reply = grpc_web::call(
        server.addr,
        SEARCH,
        &SearchProductsRequest::default(),
        Some(ORIGIN),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        reply.grpc_status(),
        Some(tonic::Code::Unauthenticated as i32)
    );
    assert_eq!(
        reply.headers["access-control-allow-origin"], ORIGIN,
        "the browser can read the error"
    );
}

#[tokio::test]
async fn a_browser_watches_stock_over_grpc_web() {
    use http_body_util::{BodyExt, Full};
    use prost::Message;

    let server = TestServer::shared();
    let request = tradeport_proto::catalog::WatchStockRequest {
        skus: vec!["TP-EL-00003".into()],
    };
    let body = frame(&request.encode_to_vec());
    let client = http1_client::<Full<bytes::Bytes>>();
    let response = client
        .request(
            http::Request::post(format!(
                "http://{}/tradeport.catalog.v1.CatalogService/WatchStock",
                server.addr
            ))
            .version(http::Version::HTTP_11)
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header("authorization", format!("Bearer {}", server.demo.api_key))
            .body(Full::new(bytes::Bytes::from(body)))
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The stream stays open: read frames as they come, stop after the
    // snapshot of the three warehouses.
    let mut body = response.into_body();
    let mut buffer = Vec::new();
    let mut levels = Vec::new();
    while levels.len() < 3 {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
            .await
            .expect("the snapshot arrives")
            .unwrap()
            .unwrap();
        if let Some(data) = frame.data_ref() {
            buffer.extend_from_slice(data);
        }
        while buffer.len() >= 5 {
            let len = u32::from_be_bytes([buffer[1], buffer[2], buffer[3], buffer[4]]) as usize;
            if buffer.len() < 5 + len {
                break;
            }
            assert_eq!(
                buffer[0], 0,
                "a message frame, not trailers: the stream is still open"
            );
            let message =
                tradeport_proto::catalog::WatchStockResponse::decode(&buffer[5..5 + len]).unwrap();
            levels.push(message.level.unwrap().warehouse_id);
            buffer.drain(..5 + len);
        }
    }
    assert_eq!(levels, ["WH-HAM", "WH-MAD", "WH-RTM"]);
}
