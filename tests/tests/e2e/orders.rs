//! Orders over the wire: submission re-priced and taxed by the server,
//! price drift, idempotent replays (also across a restart), approvals and
//! budgets, credit holds, cancellation giving stock back, illegal
//! transitions, shipments consuming stock, tracking, invoicing, returns,
//! the live watch and notifications.

use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;
use tonic::Code;
use tonic_types::StatusExt;
use tradeport_mobile::Client;
use tradeport_proto::catalog::{GetStockRequest, catalog_service_client::CatalogServiceClient};
use tradeport_proto::common::Money;
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::orders::{
    AddTrackingEventRequest, ApproveOrderRequest, CancelOrderRequest, CloseOrderRequest,
    CreateReturnRequest, GetOrderTemplateRequest, InvoiceOrderRequest, LineQuantity,
    ListNotificationsRequest, ListOrdersRequest, NotificationKind, Order, OrderLineInput,
    OrderStatus, PaymentInput, PaymentMethod, RecordShipmentRequest, ReleaseCreditHoldRequest,
    ReorderOrderRequest, ResolveReturnRequest, ReturnResolution, SubmitOrderRequest,
    TrackingStatus, WatchOrdersRequest,
};
use tradeport_tests::{TestServer, error_reason};

use crate::passkeys::enrolled;

pub(crate) fn orders(client: &Client) -> OrderServiceClient<tradeport_mobile::AuthorizedChannel> {
    OrderServiceClient::new(client.authorized_channel())
}

pub(crate) fn line(sku: &str, quantity: &str) -> OrderLineInput {
    OrderLineInput {
        sku: sku.into(),
        quantity: quantity.into(),
        ..Default::default()
    }
}

fn amount(m: &Option<Money>) -> Decimal {
    Decimal::from_str(&m.as_ref().unwrap().amount).unwrap()
}

pub(crate) async fn submit(
    client: &Client,
    request: SubmitOrderRequest,
) -> Result<Order, tonic::Status> {
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

/// How many orders the caller sees (the first 200).
pub(crate) async fn count(client: &Client) -> usize {
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

/// Submissions read the stock they reserve from before their turn; those
/// racing for the same SKUs find it moved at commit and decide again, so
/// every one is confirmed and the stock holds exactly what they took.
#[tokio::test]
async fn orders_racing_for_the_same_stock_are_all_confirmed_and_reserve_it_exactly() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let skus = ["TP-EL-00007", "TP-LI-01001"];
    let before = [
        reserved(&buyer, skus[0]).await,
        reserved(&buyer, skus[1]).await,
    ];
    let racers = 24;
    let mut tasks = Vec::new();
    for i in 0..racers {
        let client = buyer.clone();
        let request = SubmitOrderRequest {
            request_id: format!("race-{i}"),
            lines: vec![line(skus[0], "1"), line(skus[1], "2")],
            ..Default::default()
        };
        tasks.push(tokio::spawn(async move { submit(&client, request).await }));
    }
    for task in tasks {
        let order = task.await.unwrap().unwrap();
        assert_eq!(order.status, OrderStatus::Confirmed as i32, "{order:?}");
    }
    assert_eq!(
        [
            reserved(&buyer, skus[0]).await - before[0],
            reserved(&buyer, skus[1]).await - before[1]
        ],
        [Decimal::from(racers), Decimal::from(2 * racers)]
    );
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

async fn stock_of(client: &Client, sku: &str) -> (Decimal, Decimal) {
    let levels = CatalogServiceClient::new(client.authorized_channel())
        .get_stock(GetStockRequest {
            skus: vec![sku.into()],
        })
        .await
        .unwrap()
        .into_inner()
        .levels;
    let sum = |f: fn(&tradeport_proto::catalog::StockLevel) -> &String| {
        levels
            .iter()
            .map(|l| Decimal::from_str(f(l)).unwrap())
            .sum::<Decimal>()
    };
    (sum(|l| &l.on_hand), sum(|l| &l.reserved))
}

#[tokio::test]
async fn an_order_ships_in_parts_is_delivered_invoiced_closed_and_watched() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let (brand, _) = enrolled(&server, "admin@tradeport.example").await;
    let sku = "TP-EL-00011";
    let (on_hand_before, reserved_before) = stock_of(&buyer, sku).await;
    let order = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![line(sku, "5")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(order.status, OrderStatus::Confirmed as i32);
    let mut watch = orders(&buyer)
        .watch_orders(WatchOrdersRequest {})
        .await
        .unwrap()
        .into_inner();

    let ship = |quantity: &str, promised: &str| RecordShipmentRequest {
        order_id: order.id.clone(),
        lines: vec![LineQuantity {
            line_number: 1,
            quantity: quantity.into(),
        }],
        carrier: "DHL".into(),
        tracking_number: "JD014600006281".into(),
        promised_date: promised.into(),
        ..Default::default()
    };
    let too_much = orders(&brand)
        .record_shipment(ship("6", ""))
        .await
        .unwrap_err();
    // More than is left is the order's state, not a malformed request.
    assert_eq!(too_much.code(), Code::FailedPrecondition, "{too_much:?}");
    assert_eq!(error_reason(&too_much), "MORE_THAN_LEFT_TO_SHIP");
    assert_eq!(
        too_much
            .get_error_details()
            .precondition_failure()
            .unwrap()
            .violations[0]
            .subject,
        "lines[0].quantity"
    );
    let customer_cannot = orders(&buyer)
        .record_shipment(ship("1", ""))
        .await
        .unwrap_err();
    assert_eq!(customer_cannot.code(), Code::PermissionDenied);

    let first = orders(&brand)
        .record_shipment(ship("2", "2020-01-01"))
        .await
        .unwrap()
        .into_inner();
    let part = first.order.unwrap();
    assert_eq!(part.status, OrderStatus::PartiallyShipped as i32);
    assert!(
        first.shipment.unwrap().late,
        "promised long ago and undelivered"
    );
    // The watcher sees the change within a second.
    let seen = tokio::time::timeout(Duration::from_secs(1), watch.message())
        .await
        .expect("a change within a second")
        .unwrap()
        .unwrap()
        .order
        .unwrap();
    assert_eq!(seen.status, OrderStatus::PartiallyShipped as i32);
    // Shipped stock leaves the warehouse; the rest stays reserved.
    let (on_hand, reserved) = stock_of(&buyer, sku).await;
    assert_eq!(on_hand_before - on_hand, Decimal::from(2));
    assert_eq!(reserved - reserved_before, Decimal::from(3));

    let rest = orders(&brand)
        .record_shipment(ship("3", ""))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(rest.status, OrderStatus::Shipped as i32);
    let (on_hand, reserved) = stock_of(&buyer, sku).await;
    assert_eq!(
        (on_hand_before - on_hand, reserved),
        (Decimal::from(5), reserved_before),
        "every reserved unit consumed, exactly"
    );
    let early = orders(&brand)
        .invoice_order(InvoiceOrderRequest {
            order_id: order.id.clone(),
            invoice_number: "INV-1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(early.message().contains("shipped"), "{}", early.message());

    let mut current = rest;
    for shipment in current.shipments.clone() {
        current = orders(&brand)
            .add_tracking_event(AddTrackingEventRequest {
                order_id: order.id.clone(),
                shipment_id: shipment.id.clone(),
                status: TrackingStatus::Delivered as i32,
                location: "Hamburg".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .order
            .unwrap();
    }
    assert_eq!(current.status, OrderStatus::Delivered as i32);
    let invoiced = orders(&brand)
        .invoice_order(InvoiceOrderRequest {
            order_id: order.id.clone(),
            invoice_number: "INV-2026-0001".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(invoiced.invoice_number, "INV-2026-0001");
    let rma = orders(&buyer)
        .create_return(CreateReturnRequest {
            order_id: order.id.clone(),
            line_number: 1,
            quantity: "1".into(),
            reason: "arrived damaged".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .rma
        .unwrap();
    let more_than_shipped = orders(&buyer)
        .create_return(CreateReturnRequest {
            order_id: order.id.clone(),
            line_number: 1,
            quantity: "5".into(),
            reason: "changed our mind".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        more_than_shipped.code(),
        Code::FailedPrecondition,
        "{more_than_shipped:?}"
    );
    assert_eq!(error_reason(&more_than_shipped), "MORE_THAN_SHIPPED");
    let resolved = orders(&brand)
        .resolve_return(ResolveReturnRequest {
            order_id: order.id.clone(),
            return_id: rma.id,
            resolution: ReturnResolution::CreditNote as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(
        resolved.returns[0].resolution,
        ReturnResolution::CreditNote as i32
    );
    let closed = orders(&brand)
        .close_order(CloseOrderRequest {
            order_id: order.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(closed.status, OrderStatus::Closed as i32);
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
            promised_date: "2020-01-01".into(),
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

#[tokio::test]
async fn a_replay_after_a_restart_returns_the_first_order() {
    let server = TestServer::start(|_| {}).unwrap();
    let request = SubmitOrderRequest {
        request_id: "outbox-restart-1".into(),
        lines: vec![line("TP-EL-00007", "1")],
        ..Default::default()
    };
    let first = submit(&server.client(), request.clone()).await.unwrap();
    let server = server.restarted().await.unwrap();
    let buyer = server.client();
    let again = submit(&buyer, request.clone()).await.unwrap();
    // The request id remembers only which order it placed: the replay
    // reads the whole order back, lines, totals and all.
    assert_eq!(again, first);
    assert_eq!(again.lines.len(), 1);
    let listed = orders(&buyer)
        .list_orders(ListOrdersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert_eq!(listed.iter().filter(|o| o.id == first.id).count(), 1);
    // Numbers go on after the restart, never reused.
    let next = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "1")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        next.number > first.number,
        "{} after {}",
        next.number,
        first.number
    );
    // A replay after the order moved on answers with the order as it is.
    orders(&buyer)
        .cancel_order(CancelOrderRequest {
            id: first.id.clone(),
            reason: "replaced".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let later = submit(&buyer, request).await.unwrap();
    assert_eq!(later.id, first.id);
    assert_eq!(later.status, OrderStatus::Cancelled as i32);
}

fn paying(method: PaymentMethod, card_token: &str, reference: &str) -> SubmitOrderRequest {
    SubmitOrderRequest {
        lines: vec![line("TP-EL-00011", "4")],
        payment: Some(PaymentInput {
            method: method as i32,
            card_token: card_token.into(),
            network: if reference.is_empty() {
                String::new()
            } else {
                "USDC".into()
            },
            external_reference: reference.into(),
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn each_payment_method_is_recorded_and_cards_are_captured_as_goods_ship() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let (brand, _) = enrolled(&server, "admin@tradeport.example").await;

    let default = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00011", "1")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let on_account = default.payment.unwrap();
    assert_eq!(on_account.method, PaymentMethod::OnAccount as i32);
    assert_eq!(on_account.terms, "net 30");

    let transfer = submit(&buyer, paying(PaymentMethod::BankTransfer, "", ""))
        .await
        .unwrap();
    let pro_forma = transfer.payment.unwrap();
    assert!(
        pro_forma
            .reference
            .starts_with(&format!("PF-{}-", transfer.number)),
        "{}",
        pro_forma.reference
    );
    assert_eq!(amount(&pro_forma.amount_due), amount(&transfer.total));

    let err = submit(&buyer, paying(PaymentMethod::DigitalCurrency, "", ""))
        .await
        .unwrap_err();
    assert!(
        tradeport_tests::bad_fields(&err).contains(&"payment.network".to_string()),
        "{err:?}"
    );
    let crypto = submit(
        &buyer,
        paying(PaymentMethod::DigitalCurrency, "", "0xabc123"),
    )
    .await
    .unwrap();
    assert_eq!(crypto.payment.unwrap().external_reference, "0xabc123");

    let before = count(&buyer).await;
    let declined = submit(&buyer, paying(PaymentMethod::Card, "tok_declined", ""))
        .await
        .unwrap_err();
    assert_eq!(declined.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&declined), "CARD_DECLINED");
    assert_eq!(
        count(&buyer).await,
        before,
        "a declined card places nothing"
    );

    let card = submit(&buyer, paying(PaymentMethod::Card, "tok_visa", ""))
        .await
        .unwrap();
    let authorised = card.payment.clone().unwrap();
    assert_eq!(amount(&authorised.authorised), amount(&card.total));
    assert_eq!(amount(&authorised.captured), Decimal::ZERO);
    let ship = |quantity: &str| RecordShipmentRequest {
        order_id: card.id.clone(),
        lines: vec![LineQuantity {
            line_number: 1,
            quantity: quantity.into(),
        }],
        carrier: "DHL".into(),
        ..Default::default()
    };
    let half = orders(&brand)
        .record_shipment(ship("2"))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap()
        .payment
        .unwrap();
    assert_eq!(
        amount(&half.captured),
        (amount(&card.total) / Decimal::TWO).round_dp(2),
        "half shipped, half captured"
    );
    let all = orders(&brand)
        .record_shipment(ship("2"))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap()
        .payment
        .unwrap();
    assert_eq!(
        amount(&all.captured),
        amount(&card.total),
        "all of it, exactly"
    );
    assert_eq!(all.card_state, "captured");

    let unwanted = submit(&buyer, paying(PaymentMethod::Card, "tok_mastercard", ""))
        .await
        .unwrap();
    let cancelled = orders(&buyer)
        .cancel_order(CancelOrderRequest {
            id: unwanted.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let voided = cancelled.payment.unwrap();
    assert_eq!(voided.card_state, "voided");
    assert_eq!(amount(&voided.captured), Decimal::ZERO);
}

#[tokio::test]
async fn pasted_lines_become_an_order_and_a_past_order_reorders_at_todays_prices() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let template = orders(&buyer)
        .get_order_template(GetOrderTemplateRequest {})
        .await
        .unwrap()
        .into_inner()
        .csv;
    assert!(template.starts_with("sku,quantity"));
    let order = submit(
        &buyer,
        SubmitOrderRequest {
            lines_text: "sku;qty\nTP-EL-00005;2;BOX10\n4000000000068 3".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let got: Vec<(String, String)> = order
        .lines
        .iter()
        .map(|l| (l.sku.clone(), l.quantity.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("TP-EL-00005".to_string(), "20".to_string()),
            ("TP-EL-00006".to_string(), "3".to_string())
        ]
    );
    let refused = submit(
        &buyer,
        SubmitOrderRequest {
            lines_text: "TP-EL-00005 3\nNOPE 1".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    let details = refused.get_error_details();
    let problems: Vec<String> = details
        .bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.description.clone())
        .collect();
    // Below the minimum and not a multiple on line 1; unknown on line 2.
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems[..2]
            .iter()
            .all(|p| p.starts_with("line 1 (TP-EL-00005)")),
        "{problems:?}"
    );
    assert!(problems[2].starts_with("line 2 (NOPE)"), "{problems:?}");

    let again = orders(&buyer)
        .reorder_order(ReorderOrderRequest {
            order_id: order.id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .lines
        .unwrap();
    assert_eq!(again.lines.len(), 2);
    assert_eq!(again.orderable_lines, 2);
    assert_eq!(again.lines[0].sku, "TP-EL-00005");
}

#[tokio::test]
async fn the_demo_has_a_year_of_orders_in_every_state() {
    let server = TestServer::start(|c| c.demo_order_history = true).unwrap();
    let buyer = server.client();
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = orders(&buyer)
            .list_orders(ListOrdersRequest {
                page_size: 50,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        all.extend(page.orders);
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(all.len(), 62, "five a month for a year, and two more");
    let seconds: Vec<i64> = all.iter().map(|o| o.placed_time.unwrap().seconds).collect();
    assert!(seconds.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let span_days = (seconds[0] - seconds[seconds.len() - 1]) / 86_400;
    assert!(span_days >= 330, "a year of history, got {span_days} days");
    let has = |status: OrderStatus| all.iter().any(|o| o.status == status as i32);
    for status in [
        OrderStatus::Closed,
        OrderStatus::Invoiced,
        OrderStatus::Shipped,
        OrderStatus::Confirmed,
        OrderStatus::PendingApproval,
        OrderStatus::OnCreditHold,
    ] {
        assert!(has(status), "{status:?}");
    }
    assert!(
        all.iter().flat_map(|o| &o.shipments).any(|s| s.late),
        "a shipment in transit is late"
    );
    let closed = orders(&buyer)
        .list_orders(ListOrdersRequest {
            statuses: vec![OrderStatus::Closed as i32],
            page_size: 200,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(
        closed
            .iter()
            .all(|o| o.status == OrderStatus::Closed as i32)
    );
    assert!(!closed.is_empty() && closed.len() < all.len());
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
        !confirmed.credit_warning.is_empty(),
        "past 80 % of the limit warns"
    );
}

#[tokio::test]
async fn lists_page_newest_first_for_an_account_a_reps_accounts_and_the_brand() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let mut placed = Vec::new();
    for po in ["PO-A", "PO-B", "PO-C"] {
        placed.push(
            submit(
                &buyer,
                SubmitOrderRequest {
                    lines: vec![line("TP-EL-00007", "1")],
                    po_number: po.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id,
        );
    }
    let (other, _) = enrolled(&server, "admin@sur.example").await;
    let elsewhere = submit(
        &other,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "1")],
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let page = |client: Client, token: String, po: &'static str| async move {
        orders(&client)
            .list_orders(ListOrdersRequest {
                page_size: 2,
                page_token: token,
                po_number: po.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    };
    // The rep, assigned the first account only, lists across theirs.
    let (rep, _) = enrolled(&server, "rep@tradeport.example").await;
    let first = page(rep.clone(), String::new(), "").await;
    let second = page(rep.clone(), first.next_page_token.clone(), "").await;
    let ids: Vec<String> = first
        .orders
        .iter()
        .chain(&second.orders)
        .map(|o| o.id.clone())
        .collect();
    placed.reverse();
    assert_eq!(ids, placed, "newest first, no overlap, nothing of B");
    assert!(second.next_page_token.is_empty());
    // Brand staff see every account.
    let (brand, _) = enrolled(&server, "admin@tradeport.example").await;
    let all = page(brand.clone(), String::new(), "").await;
    assert_eq!(all.orders[0].id, elsewhere);
    let by_po = page(brand, String::new(), "PO-B").await;
    assert_eq!(by_po.orders.len(), 1);
    assert_eq!(by_po.orders[0].po_number, "PO-B");
}
