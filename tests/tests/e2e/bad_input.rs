//! Bad input gets a clear status with google.rpc details naming the field.

use tonic::Code;
use tonic_types::StatusExt;
use tradeport_proto::catalog::{AttributeFilter, SearchProductsRequest};
use tradeport_tests::TestServer;
use tradeport_tests::{bad_fields, error_reason};

#[tokio::test]
async fn negative_page_size_names_page_size() {
    let catalog = TestServer::shared().client().catalog();
    let status = catalog
        .search_products(SearchProductsRequest {
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["page_size"]);
    assert_eq!(error_reason(&status), "INVALID_PAGE_SIZE");
}

#[tokio::test]
async fn malformed_page_token_names_page_token() {
    let catalog = TestServer::shared().client().catalog();
    let status = catalog
        .search_products(SearchProductsRequest {
            page_token: "garbage%%".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["page_token"]);
}

#[tokio::test]
async fn wrong_decimals_in_filters_name_the_filter_field() {
    let catalog = TestServer::shared().client().catalog();
    let status = catalog
        .search_products(SearchProductsRequest {
            filters: vec![AttributeFilter {
                key: "power".into(),
                min: "1e3".into(),
                max: "12,5".into(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["filters[0].min", "filters[0].max"]);
}

#[tokio::test]
async fn unknown_product_is_not_found_with_resource_details() {
    let catalog = TestServer::shared().client().catalog();
    let status = catalog.get_product("prd-999999").await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let details = status.get_error_details();
    assert_eq!(details.error_info().unwrap().reason, "NOT_FOUND");
    let resource = details.resource_info().unwrap();
    assert_eq!(
        (
            resource.resource_type.as_str(),
            resource.resource_name.as_str()
        ),
        ("product", "prd-999999")
    );
    let status = catalog.get_product("").await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["id"]);
}

#[tokio::test]
async fn oversize_message_is_resource_exhausted_and_the_server_keeps_serving() {
    let server = TestServer::shared();
    let catalog = server.client().catalog();
    let limit = tradeport_server::config::Config::default().max_message_bytes;
    let status = catalog
        .search_products(SearchProductsRequest {
            query: "x".repeat(limit + 1),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(error_reason(&status), "MESSAGE_TOO_LARGE");
    assert_eq!(bad_fields(&status), ["request"]);
    let ok = catalog
        .search_products(SearchProductsRequest {
            query: "cable".into(),
            ..Default::default()
        })
        .await;
    assert!(ok.is_ok());
}
