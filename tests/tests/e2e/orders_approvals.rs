//! Orders that wait: over a buyer's approval limit for an approver, past
//! the account's credit for finance; budgets and credit headroom that two
//! orders race for; and the notifications approvers and buyers get.

use rust_decimal::Decimal;
use tonic::Code;
use tradeport_proto::google::r#type::Date;
use tradeport_proto::orders::{
    ApproveOrderRequest, CreditWarning, LineQuantity, ListNotificationsRequest, NotificationKind,
    OrderStatus, RecordShipmentRequest, ReleaseCreditHoldRequest, SubmitOrderRequest,
};
use tradeport_tests::TestServer;
use tradeport_tests::clients::orders;
use tradeport_tests::money::amount;
use tradeport_tests::orders::{OrderReply, line, submit};
use tradeport_tests::people::enrolled;

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
        .order()
        .await;
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
        .order()
        .await;
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

#[tokio::test]
async fn two_orders_racing_for_the_last_credit_headroom_cannot_both_pass() {
    let server = TestServer::start(|_| {}).unwrap();
    // The admin has no approval limit and no department budget; each order
    // is about 42,000 against a 50,000 limit: one fits, two do not.
    let (admin, _) = enrolled(&server, "admin@nordlicht.example").await;
    let request = SubmitOrderRequest {
        lines: vec![line("TP-EL-00007", "1900")],
        ..Default::default()
    };
    let (a, b) = tokio::join!(
        submit(&admin, request.clone()),
        submit(&admin, request.clone())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let one = amount(&a.total);
    assert!(
        one <= Decimal::from(50_000) && one >= Decimal::from(40_000),
        "the test needs orders of 40,000 to 50,000, got {one}"
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [
            OrderStatus::OnCreditHold as i32,
            OrderStatus::Confirmed as i32
        ],
        "exactly one takes the headroom"
    );
    let confirmed = if a.status == OrderStatus::Confirmed as i32 {
        &a
    } else {
        &b
    };
    assert!(
        matches!(
            confirmed.credit_warning(),
            CreditWarning::Near | CreditWarning::AtLimit
        ),
        "past 80 % of the limit warns"
    );
}

#[tokio::test]
async fn approvers_hear_of_waiting_orders_and_buyers_of_late_ones() {
    let server = TestServer::start(|_| {}).unwrap();
    let (buyer, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let (approver, _) = enrolled(&server, "approver@nordlicht.example").await;
    let (brand, _) = enrolled(&server, "admin@tradeport.example").await;
    let big = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "600")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(big.status, OrderStatus::PendingApproval as i32);
    let notes = orders(&approver)
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].kind, NotificationKind::ApprovalNeeded as i32);
    assert_eq!(notes[0].order_id, big.id);
    // The other account's approver hears nothing of it.
    let (other, _) = enrolled(&server, "approver@sur.example").await;
    assert!(
        orders(&other)
            .list_notifications(ListNotificationsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .notifications
            .is_empty()
    );

    let small = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "3")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    orders(&brand)
        .record_shipment(RecordShipmentRequest {
            order_id: small.id.clone(),
            lines: vec![LineQuantity {
                line_number: 1,
                quantity: "3".into(),
            }],
            carrier: "UPS".into(),
            promised_date: Some(Date {
                year: 2020,
                month: 1,
                day: 1,
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let kinds: Vec<i32> = orders(&buyer)
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications
        .iter()
        .map(|n| n.kind)
        .collect();
    assert!(
        kinds.contains(&(NotificationKind::Shipped as i32)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&(NotificationKind::Delayed as i32)),
        "{kinds:?}"
    );
}
