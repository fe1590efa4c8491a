//! After an order is placed: shipments in parts consuming its reserved
//! stock, tracking, invoicing, returns and closing, the live watch, and
//! how each payment method is recorded and a card captured as goods ship.

use std::time::Duration;

use rust_decimal::Decimal;
use tonic::Code;
use tonic_types::StatusExt;
use tradeport_proto::google::r#type::Date;
use tradeport_proto::orders::{
    AddTrackingEventRequest, CancelOrderRequest, CardState, CloseOrderRequest, CreateReturnRequest,
    InvoiceOrderRequest, LineQuantity, OrderStatus, PaymentInput, PaymentMethod,
    RecordShipmentRequest, ResolveReturnRequest, ReturnResolution, SubmitOrderRequest,
    TrackingStatus, WatchOrdersRequest,
};
use tradeport_tests::clients::orders;
use tradeport_tests::money::amount;
use tradeport_tests::orders::{OrderReply, count, line, submit};
use tradeport_tests::people::enrolled;
use tradeport_tests::stock::stock_of;
use tradeport_tests::{TestServer, bad_fields, error_reason};

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

    let ship = |quantity: &str, promised: Option<Date>| RecordShipmentRequest {
        order_id: order.id.clone(),
        lines: vec![LineQuantity {
            line_number: 1,
            quantity: quantity.into(),
        }],
        carrier: "DHL".into(),
        tracking_number: "JD014600006281".into(),
        promised_date: promised,
        ..Default::default()
    };
    let too_much = orders(&brand)
        .record_shipment(ship("6", None))
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
        .record_shipment(ship("1", None))
        .await
        .unwrap_err();
    assert_eq!(customer_cannot.code(), Code::PermissionDenied);
    let long_ago = Date {
        year: 2020,
        month: 1,
        day: 1,
    };
    let no_such_day = orders(&brand)
        .record_shipment(ship(
            "1",
            Some(Date {
                year: 2026,
                month: 2,
                day: 30,
            }),
        ))
        .await
        .unwrap_err();
    assert_eq!(no_such_day.code(), Code::InvalidArgument);
    assert_eq!(error_reason(&no_such_day), "INVALID_SHIPMENT");
    assert_eq!(bad_fields(&no_such_day), ["promised_date"]);

    let first = orders(&brand)
        .record_shipment(ship("2", Some(long_ago)))
        .await
        .unwrap()
        .into_inner();
    let part = first.order.unwrap();
    assert_eq!(part.status, OrderStatus::PartiallyShipped as i32);
    let shipment = first.shipment.unwrap();
    assert_eq!(shipment.promised_date, Some(long_ago));
    assert!(shipment.late, "promised long ago and undelivered");
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
        .record_shipment(ship("3", None))
        .order()
        .await;
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
            .order()
            .await;
    }
    assert_eq!(current.status, OrderStatus::Delivered as i32);
    let invoiced = orders(&brand)
        .invoice_order(InvoiceOrderRequest {
            order_id: order.id.clone(),
            invoice_number: "INV-2026-0001".into(),
            ..Default::default()
        })
        .order()
        .await;
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
        .order()
        .await;
    assert_eq!(
        resolved.returns[0].resolution,
        ReturnResolution::CreditNote as i32
    );
    let closed = orders(&brand)
        .close_order(CloseOrderRequest {
            order_id: order.id.clone(),
            ..Default::default()
        })
        .order()
        .await;
    assert_eq!(closed.status, OrderStatus::Closed as i32);
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
        bad_fields(&err).contains(&"payment.network".to_string()),
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
        .order()
        .await
        .payment
        .unwrap();
    assert_eq!(
        amount(&half.captured),
        (amount(&card.total) / Decimal::TWO).round_dp(2),
        "half shipped, half captured"
    );
    let all = orders(&brand)
        .record_shipment(ship("2"))
        .order()
        .await
        .payment
        .unwrap();
    assert_eq!(
        amount(&all.captured),
        amount(&card.total),
        "all of it, exactly"
    );
    assert_eq!(all.card_state, CardState::Captured as i32);

    let unwanted = submit(&buyer, paying(PaymentMethod::Card, "tok_mastercard", ""))
        .await
        .unwrap();
    let cancelled = orders(&buyer)
        .cancel_order(CancelOrderRequest {
            id: unwanted.id.clone(),
            ..Default::default()
        })
        .order()
        .await;
    let voided = cancelled.payment.unwrap();
    assert_eq!(voided.card_state, CardState::Voided as i32);
    assert_eq!(amount(&voided.captured), Decimal::ZERO);
}
