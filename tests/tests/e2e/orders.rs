//! Orders over the wire: submission re-priced and taxed by the server,
//! price drift, idempotent replays, approvals and budgets, credit holds,
//! cancellation giving stock back, and illegal transitions.

use std::str::FromStr;

use rust_decimal::Decimal;
use tonic::Code;
use tonic_types::StatusExt;
use tradeport_mobile::Client;
use tradeport_proto::catalog::{GetStockRequest, catalog_service_client::CatalogServiceClient};
use tradeport_proto::common::Money;
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::orders::{
    ApproveOrderRequest, CancelOrderRequest, ListOrdersRequest, Order, OrderLineInput, OrderStatus,
    ReleaseCreditHoldRequest, SubmitOrderRequest,
};
use tradeport_tests::{TestServer, error_reason};

use crate::passkeys::enrolled;

fn orders(client: &Client) -> OrderServiceClient<tradeport_mobile::AuthorizedChannel> {
    OrderServiceClient::new(client.authorized_channel())
}

fn line(sku: &str, quantity: &str) -> OrderLineInput {
    OrderLineInput {
        sku: sku.into(),
        quantity: quantity.into(),
        ..Default::default()
    }
}

fn amount(m: &Option<Money>) -> Decimal {
    Decimal::from_str(&m.as_ref().unwrap().amount).unwrap()
}

async fn submit(client: &Client, request: SubmitOrderRequest) -> Result<Order, tonic::Status> {
    orders(client)
        .submit_order(request)
        .await
        .map(|r| r.into_inner().order.unwrap())
}

async fn reserved(client: &Client, sku: &str) -> Decimal {
    CatalogServiceClient::new(client.authorized_channel())
        .get_stock(GetStockRequest {
            skus: vec![sku.into()],
        })
        .await
        .unwrap()
        .into_inner()
        .levels
        .iter()
        .map(|l| Decimal::from_str(&l.reserved).unwrap())
        .sum()
}

async fn count(client: &Client) -> usize {
    orders(client)
        .list_orders(ListOrdersRequest {
            page_size: 200,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders
        .len()
}

#[tokio::test]
async fn an_order_is_priced_taxed_confirmed_and_holds_its_stock() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let before = reserved(&buyer, "TP-EL-00007").await;
    let order = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "4"), line("TP-LI-01001", "2")],
            po_number: "PO-4711".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(order.status, OrderStatus::Confirmed as i32, "{order:?}");
    assert!(order.number.starts_with("SO-20"), "{}", order.number);
    let net: Decimal = order.lines.iter().map(|l| amount(&l.line_total)).sum();
    assert_eq!(amount(&order.subtotal), net);
    assert_eq!(
        amount(&order.total),
        amount(&order.subtotal) + amount(&order.tax_total) + amount(&order.duty_total)
    );
    // A German customer shipping in Germany: VAT at 19 %, nothing else.
    assert!(
        order.tax_breakdown.iter().any(|t| t.name.contains("19")),
        "{:?}",
        order.tax_breakdown
    );
    assert_eq!(amount(&order.duty_total), Decimal::ZERO);
    assert_eq!(
        reserved(&buyer, "TP-EL-00007").await - before,
        Decimal::from(4)
    );

    let cancelled = orders(&buyer)
        .cancel_order(CancelOrderRequest {
            id: order.id.clone(),
            reason: "changed our mind".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled as i32);
    assert_eq!(
        reserved(&buyer, "TP-EL-00007").await,
        before,
        "stock given back"
    );
    let again = orders(&buyer)
        .cancel_order(CancelOrderRequest {
            id: order.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert!(again.message().contains("cancelled"), "{}", again.message());
}

#[tokio::test]
async fn a_price_that_moved_refuses_the_order_naming_the_line_and_creates_nothing() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let before = count(&buyer).await;
    let err = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![
                line("TP-EL-00007", "1"),
                OrderLineInput {
                    expected_unit_price: "0.01".into(),
                    ..line("TP-LI-01001", "1")
                },
            ],
            expected_total: Some(Money {
                currency_code: "EUR".into(),
                amount: "1.00".into(),
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&err), "PRICE_CHANGED");
    let details = err.get_error_details();
    let subjects: Vec<String> = details
        .precondition_failure()
        .unwrap()
        .violations
        .iter()
        .map(|v| v.subject.clone())
        .collect();
    assert_eq!(subjects, ["lines[1]", "expected_total"]);
    assert_eq!(count(&buyer).await, before, "nothing created");

    let bad = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![line("TP-NOPE", "1"), line("TP-EL-00005", "3")],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let fields = tradeport_tests::bad_fields(&bad);
    assert!(fields.contains(&"lines[0].sku".to_string()), "{fields:?}");
}

#[tokio::test]
async fn the_same_request_id_twenty_times_at_once_makes_one_order() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let before = count(&buyer).await;
    let request = SubmitOrderRequest {
        request_id: "outbox-0042".into(),
        lines: vec![line("TP-EL-00007", "2")],
        ..Default::default()
    };
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, request) = (buyer.clone(), request.clone());
        tasks.push(tokio::spawn(async move { submit(&client, request).await }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one order, answered twenty times");
    assert_eq!(count(&buyer).await, before + 1);
}

#[tokio::test]
async fn large_orders_wait_for_approval_and_credit_holds_wait_for_finance() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    // About 30 EUR a piece: over the buyer's 10,000 limit.
    let big = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "600")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    if amount(&big.total) <= Decimal::from(10_000) {
        panic!(
            "the test needs an order over 10,000, got {}",
            amount(&big.total)
        );
    }
    assert_eq!(big.status, OrderStatus::PendingApproval as i32, "{big:?}");
    assert_eq!(big.pending_approvals, ["approver"]);
    assert!(big.approval_rule.contains("10000"), "{}", big.approval_rule);

    let (approver, _) = enrolled(&server, "approver@nordlicht.example").await;
    let approved = orders(&approver)
        .approve_order(ApproveOrderRequest {
            id: big.id.clone(),
            comment: "ok for the project".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(approved.status, OrderStatus::Confirmed as i32);
    // The buyer cannot approve, and an approved order cannot be approved.
    let err = orders(&approver)
        .approve_order(ApproveOrderRequest {
            id: big.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);

    // The admin orders without a limit but past the 50,000 credit limit.
    let (admin, _) = enrolled(&server, "admin@nordlicht.example").await;
    let held = submit(
        &admin,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "2000")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(held.status, OrderStatus::OnCreditHold as i32, "{held:?}");
    let not_finance = orders(&admin)
        .release_credit_hold(ReleaseCreditHoldRequest {
            id: held.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(not_finance.code(), Code::PermissionDenied);
    let (brand, _) = enrolled(&server, "admin@tradeport.example").await;
    let released = orders(&brand)
        .release_credit_hold(ReleaseCreditHoldRequest {
            id: held.id.clone(),
            comment: "paid in advance".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(released.status, OrderStatus::Confirmed as i32);
    let statuses: Vec<i32> = released.history.iter().map(|h| h.status).collect();
    assert_eq!(
        statuses,
        [
            OrderStatus::Submitted as i32,
            OrderStatus::OnCreditHold as i32,
            OrderStatus::Confirmed as i32
        ]
    );
}

#[tokio::test]
async fn two_buyers_racing_for_the_last_of_a_budget_cannot_both_pass() {
    let server = TestServer::start(|_| {}).unwrap();
    // The demo buyer sits in purchasing, whose budget is 25,000 a month;
    // each order is about 9,000: two fit, the third does not.
    let (buyer, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let request = SubmitOrderRequest {
        lines: vec![line("TP-EL-00007", "400")],
        ..Default::default()
    };
    let first = submit(&buyer, request.clone()).await.unwrap();
    let per_order = amount(&first.total);
    assert!(
        per_order * Decimal::from(2) <= Decimal::from(25_000)
            && per_order * Decimal::from(3) > Decimal::from(25_000),
        "the test needs orders of 8,334 to 12,500, got {per_order}"
    );
    assert_eq!(first.status, OrderStatus::Confirmed as i32);
    let (a, b) = tokio::join!(
        submit(&buyer, request.clone()),
        submit(&buyer, request.clone())
    );
    let mut statuses = [a.unwrap().status, b.unwrap().status];
    statuses.sort();
    assert_eq!(
        statuses,
        [
            OrderStatus::PendingApproval as i32,
            OrderStatus::Confirmed as i32
        ],
        "exactly one takes the last of the budget"
    );
}
