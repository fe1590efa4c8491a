#![allow(clippy::unwrap_used)]

use rust_decimal_macros::dec;

use super::*;

fn card(authorised: Decimal) -> CardPayment {
    CardPayment::authorised("auth_000001", authorised, "EUR")
}

fn share(shipped: Decimal, total: Decimal) -> ShippedShare {
    ShippedShare { shipped, total }
}

/// Captures what `capture_for_shipment` says at each cumulative share and
/// records it, returning each capture.
fn capture_along(card: &mut CardPayment, total: Decimal, shipped: &[Decimal]) -> Vec<Decimal> {
    shipped
        .iter()
        .map(|s| {
            let amount = capture_for_shipment(card, share(*s, total));
            if amount > Decimal::ZERO {
                card.record_capture(amount).unwrap();
            }
            amount
        })
        .collect()
}

#[test]
fn three_partial_shipments_capture_exactly_the_authorised_amount() {
    let mut c = card(dec!(100.00));
    let captures = capture_along(&mut c, dec!(3), &[dec!(1), dec!(2), dec!(3)]);
    assert_eq!(captures, [dec!(33.33), dec!(33.34), dec!(33.33)]);
    assert_eq!(captures.iter().sum::<Decimal>(), dec!(100.00));
    assert_eq!(c.captured, dec!(100.00));
    assert_eq!(c.state, CardState::Captured);
    assert_eq!(c.remaining(), dec!(0));
}

#[test]
fn uneven_shipments_sum_exactly_with_no_drift() {
    // An order worth 299.97 (three lines of 99.99), authorised at its
    // total: shipped 1/7, then to 5/7, then the rest.
    let total = dec!(299.97);
    let mut c = card(total);
    let captures = capture_along(
        &mut c,
        total,
        &[total / dec!(7), total * dec!(5) / dec!(7), total],
    );
    assert_eq!(captures, [dec!(42.85), dec!(171.41), dec!(85.71)]);
    assert_eq!(captures.iter().sum::<Decimal>(), total);
    assert_eq!(c.state, CardState::Captured);
}

#[test]
fn a_capture_never_exceeds_what_remains_and_never_goes_negative() {
    let mut c = card(dec!(100));
    // Captured more than the share already (a manual capture).
    c.record_capture(dec!(60)).unwrap();
    assert_eq!(
        capture_for_shipment(&c, share(dec!(1), dec!(2))),
        dec!(0),
        "half shipped, 60 already captured"
    );
    assert_eq!(
        capture_for_shipment(&c, share(dec!(2), dec!(2))),
        dec!(40),
        "the last shipment captures only what remains"
    );
    assert_eq!(
        capture_for_shipment(&c, share(dec!(5), dec!(2))),
        dec!(40),
        "a share beyond the whole still captures only what remains"
    );
}

#[test]
fn nothing_is_captured_from_a_voided_declined_or_fully_captured_card() {
    let mut voided = card(dec!(50));
    voided.record_capture(dec!(20)).unwrap();
    voided.record_void().unwrap();
    assert_eq!(voided.captured, dec!(20), "what was captured stays");
    assert_eq!(
        capture_for_shipment(&voided, share(dec!(1), dec!(1))),
        dec!(0)
    );
    let declined = CardPayment::declined("EUR", "card_declined");
    assert_eq!(
        capture_for_shipment(&declined, share(dec!(1), dec!(1))),
        dec!(0)
    );
    let mut full = card(dec!(50));
    full.record_capture(dec!(50)).unwrap();
    assert_eq!(
        capture_for_shipment(&full, share(dec!(1), dec!(1))),
        dec!(0)
    );
}

#[test]
fn recording_refuses_over_capture_and_captures_after_a_void() {
    let mut c = card(dec!(10));
    assert!(matches!(
        c.record_capture(dec!(10.01)),
        Err(DomainError::FailedPrecondition {
            reason: "CAPTURE_EXCEEDS_AUTHORISATION",
            ..
        })
    ));
    assert!(c.record_capture(dec!(0)).is_err());
    c.record_capture(dec!(4)).unwrap();
    assert_eq!(c.state, CardState::Authorised, "partly captured");
    c.record_void().unwrap();
    c.record_void().unwrap();
    assert!(matches!(
        c.record_capture(dec!(1)),
        Err(DomainError::FailedPrecondition {
            reason: "PAYMENT_NOT_CAPTURABLE",
            ..
        })
    ));
    let mut full = card(dec!(10));
    full.record_capture(dec!(10)).unwrap();
    assert!(full.record_void().is_err(), "nothing left to void");
}

fn order_line(line_no: u32, quantity: Decimal, line_total: Decimal, tax: Decimal) -> OrderLine {
    OrderLine {
        line_no,
        sku: format!("SKU-{line_no}"),
        product_id: format!("prd-{line_no}"),
        name: format!("Product {line_no}"),
        quantity,
        list_unit_price: line_total / quantity,
        unit_price: line_total / quantity,
        line_total,
        discount_total: dec!(0),
        promotions: vec![],
        tax_class: crate::catalog::TaxClass::Standard,
        tax,
        duty: dec!(0),
        shipped: dec!(0),
    }
}

#[test]
fn the_shipped_share_is_each_lines_gross_value_times_the_part_shipped() {
    // Line 1: 2 × 10 = 20 net + 3.80 tax; line 2: 2 × 5 = 10 net + 1.90
    // tax + 0.50 duty. The order is worth 36.20.
    let mut lines = vec![
        order_line(1, dec!(2), dec!(20), dec!(3.80)),
        order_line(2, dec!(2), dec!(10), dec!(1.90)),
    ];
    lines[1].duty = dec!(0.50);
    let mut c = card(dec!(36.20));
    assert_eq!(shipped_share(&lines), share(dec!(0), dec!(36.20)));

    lines[0].shipped = dec!(1);
    assert_eq!(shipped_share(&lines), share(dec!(11.90), dec!(36.20)));
    let first = capture_for_shipment(&c, shipped_share(&lines));
    assert_eq!(first, dec!(11.90));
    c.record_capture(first).unwrap();

    lines[1].shipped = dec!(1);
    let second = capture_for_shipment(&c, shipped_share(&lines));
    assert_eq!(second, dec!(6.20));
    c.record_capture(second).unwrap();

    lines[0].shipped = dec!(2);
    lines[1].shipped = dec!(2);
    assert!(shipped_share(&lines).is_complete());
    let last = capture_for_shipment(&c, shipped_share(&lines));
    assert_eq!(last, dec!(18.10));
    c.record_capture(last).unwrap();
    assert_eq!(first + second + last, dec!(36.20));
    assert_eq!(c.state, CardState::Captured);
}
