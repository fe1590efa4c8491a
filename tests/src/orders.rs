//! Placing orders in tests: order lines, a submission's order, the order
//! any order RPC answers with ([`OrderReply::order`]), and how many orders
//! a caller sees.

use tradeport_mobile::Client;
use tradeport_proto::orders as pb;

use crate::clients::orders;

/// An order line of `quantity` of `sku`, expecting no particular price.
pub fn line(sku: &str, quantity: &str) -> pb::OrderLineInput {
    pb::OrderLineInput {
        sku: sku.into(),
        quantity: quantity.into(),
        ..Default::default()
    }
}

/// Submits `request` as `client`: the order placed, or the refusal.
pub async fn submit(
    client: &Client,
    request: pb::SubmitOrderRequest,
) -> Result<pb::Order, tonic::Status> {
    orders(client).submit_order(request).await.map(|r| {
        r.into_inner()
            .order
            .unwrap_or_else(|| panic!("a submission answered without its order"))
    })
}

/// The id of a one-line order `client` places.
pub async fn placed_order(client: &Client) -> String {
    orders(client)
        .submit_order(pb::SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "1")],
            ..Default::default()
        })
        .order()
        .await
        .id
}

/// How many orders the caller sees (the first 200).
pub async fn count(client: &Client) -> usize {
    orders(client)
        .list_orders(pb::ListOrdersRequest {
            page_size: 200,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("listing orders: {e:?}"))
        .into_inner()
        .orders
        .len()
}

/// An answer that carries the order it acted on.
pub trait HasOrder {
    fn into_order(self) -> Option<pb::Order>;
}

macro_rules! has_order {
    ($($response:ident),* $(,)?) => {
        $(impl HasOrder for pb::$response {
            fn into_order(self) -> Option<pb::Order> {
                self.order
            }
        })*
    };
}

has_order!(
    SubmitOrderResponse,
    GetOrderResponse,
    ApproveOrderResponse,
    RejectOrderResponse,
    CancelOrderResponse,
    ReleaseCreditHoldResponse,
    RecordShipmentResponse,
    AddTrackingEventResponse,
    InvoiceOrderResponse,
    CloseOrderResponse,
    CreateReturnResponse,
    ResolveReturnResponse,
    WatchOrdersResponse,
);

/// The order an order RPC answers with, for calls a test expects to
/// succeed: `orders(&client).cancel_order(request).order().await`.
pub trait OrderReply {
    /// The order in the answer; a refusal, or an answer without an order,
    /// fails the test.
    fn order(self) -> impl Future<Output = pb::Order>;
}

impl<F, R> OrderReply for F
where
    F: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
    R: HasOrder,
{
    async fn order(self) -> pb::Order {
        match self.await {
            Ok(answer) => answer
                .into_inner()
                .into_order()
                .unwrap_or_else(|| panic!("the answer holds no order")),
            Err(status) => panic!("the call was refused: {status:?}"),
        }
    }
}
