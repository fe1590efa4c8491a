//! Bad input gets a clear status with google.rpc details naming the field.

use tonic::Code;
use tonic_types::StatusExt;
use tradeport_proto::catalog::{AttributeFilter, SearchProductsRequest};
use tradeport_proto::orders::SubmitOrderRequest;
use tradeport_tests::clients::orders;
use tradeport_tests::orders::{line, submit};
use tradeport_tests::{TestServer, bad_fields, error_reason};

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

#[tokio::test]
async fn huge_values_are_echoed_cut_so_a_grpc_client_can_read_the_answer() {
    let client = TestServer::shared().client();
    let digits = "9".repeat(5_000);
    let sku = "S".repeat(100_000);
    for (sku, quantity, field) in [
        ("TP-EL-00042", digits.as_str(), "lines[0].quantity"),
        (sku.as_str(), "1", "lines[0].sku"),
    ] {
        let status = refused(&client, vec![line(sku, quantity)]).await;
        assert_eq!(bad_fields(&status), [field]);
        assert!(status.message().len() < 1_000, "{}", status.message());
        assert!(
            status.details().len() < 1_000,
            "{} bytes",
            status.details().len()
        );
    }
    let status = refused(&client, vec![line(&sku[..1_000], "1"); 500]).await;
    assert!(
        status.details().len() < 8_000,
        "{} bytes",
        status.details().len()
    );
}

/// Sends raw bytes as the one message of a call, as a broken or hostile
/// client would.
#[derive(Clone, Default)]
struct RawBytes;

impl tonic::codec::Codec for RawBytes {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawBytes;
    type Decoder = RawBytes;
    fn encoder(&mut self) -> Self::Encoder {
        RawBytes
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawBytes
    }
}

impl tonic::codec::Encoder for RawBytes {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawBytes {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        let n = bytes::Buf::remaining(src);
        Ok(Some(bytes::Buf::copy_to_bytes(src, n).to_vec()))
    }
}

#[tokio::test]
async fn bytes_that_are_not_the_message_are_invalid_argument_not_internal() {
    let client = TestServer::shared().client();
    let mut grpc = tonic::client::Grpc::new(client.authorized_channel());
    let get_order =
        http::uri::PathAndQuery::from_static("/tradeport.orders.v1.OrderService/GetOrder");
    for bytes in [
        vec![0xff, 0xff, 0xff, 0xff, 0x0f],
        // GetOrderRequest.id (field 1, length 2) holding invalid UTF-8.
        vec![0x0a, 0x02, 0xff, 0xfe],
        // A length that runs past the end.
        vec![0x0a, 0x7f, b'x'],
    ] {
        grpc.ready().await.unwrap();
        let status = grpc
            .unary(
                tonic::Request::new(bytes.clone()),
                get_order.clone(),
                RawBytes,
            )
            .await
            .unwrap_err();
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{bytes:02x?}: {status:?}"
        );
        assert_eq!(error_reason(&status), "MALFORMED_REQUEST");
        assert_eq!(bad_fields(&status), ["request"]);
    }
    // The server goes on serving, and well-formed calls are untouched.
    let status = orders(&client)
        .get_order(tradeport_proto::orders::GetOrderRequest {
            id: "ord-nowhere".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn an_empty_order_id_names_id() {
    let client = TestServer::shared().client();
    let status = orders(&client)
        .get_order(tradeport_proto::orders::GetOrderRequest { id: String::new() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(bad_fields(&status), ["id"]);
}

#[tokio::test]
async fn an_unknown_sku_is_called_unknown() {
    let status = refused(
        &TestServer::shared().client(),
        vec![line("TP-NO-SUCH-SKU", "1")],
    )
    .await;
    let bad = status.get_error_details().bad_request().unwrap().clone();
    assert_eq!(bad.field_violations[0].field, "lines[0].sku");
    assert_eq!(
        bad.field_violations[0].description,
        "unknown SKU \"TP-NO-SUCH-SKU\""
    );
}

#[tokio::test]
async fn quantities_are_whole_pieces_measured_to_a_thousandth_and_bounded_per_line() {
    // A cable of its own: the order placed here must not move other
    // tests' stock of the shared server by a fraction.
    const CABLE: &str = "TP-EL-00044";
    let client = TestServer::shared().client();
    // The demo's cables (TP-EL-…) are sold by the metre, its lamps by the piece.
    let lamp = client
        .catalog()
        .search_products(SearchProductsRequest {
            category_id: "cat-li".into(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .products
        .remove(0);
    assert_eq!(lamp.sales_unit.as_ref().unwrap().code, "EA");
    for (sku, quantity) in [
        (CABLE, "79228162514264337593543950335"),
        (CABLE, "99999999999999999999"),
        (CABLE, "1000000000"),
        (CABLE, "0.0001"),
        (lamp.sku.as_str(), "1.5"),
    ] {
        let status = refused(&client, vec![line(sku, quantity)]).await;
        assert_eq!(
            bad_fields(&status),
            ["lines[0].quantity"],
            "{sku} {quantity}"
        );
    }
    let cut = submit(
        &client,
        SubmitOrderRequest {
            lines: vec![line(CABLE, "2.125")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(cut.lines[0].quantity, "2.125");
}

/// Submits `lines` and expects INVALID_ARGUMENT.
async fn refused(
    client: &tradeport_mobile::Client,
    lines: Vec<tradeport_proto::orders::OrderLineInput>,
) -> tonic::Status {
    let status = submit(
        client,
        SubmitOrderRequest {
            lines,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
}
