#![allow(clippy::unwrap_used)]

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::macros::date;

use super::*;
use crate::fixtures::orders::{line, order};
use crate::orders::OrderStatus;

fn two_lines() -> Order {
    let mut o = order(OrderStatus::Confirmed, vec![]);
    o.lines = vec![line(1, "A", dec!(10)), line(2, "B", dec!(5))];
    o
}

#[test]
fn shipping_part_then_the_rest_moves_the_order_on() {
    let mut o = two_lines();
    assert_eq!(ship(&mut o, &[(1, dec!(2))]).unwrap(), OrderEvent::ShipPart);
    assert_eq!(ship(&mut o, &[(2, dec!(1))]).unwrap(), OrderEvent::ShipPart);
    assert_eq!(ship(&mut o, &[(2, dec!(1))]).unwrap(), OrderEvent::ShipAll);
    assert_eq!((o.lines[0].shipped, o.lines[1].shipped), (dec!(2), dec!(2)));
}

#[test]
fn a_shipment_never_exceeds_what_is_left_and_names_each_bad_line() {
    let mut o = two_lines();
    let err = ship(
        &mut o,
        &[(1, dec!(3)), (9, dec!(1)), (2, dec!(0)), (1, dec!(1))],
    )
    .unwrap_err();
    let DomainError::InvalidArgument { violations, .. } = err else {
        panic!()
    };
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        ["lines[1].line_number", "lines[2].quantity", "lines[3]"]
    );
    assert_eq!(o.lines[0].shipped, dec!(0), "nothing recorded");
}

#[test]
fn shipping_or_returning_more_than_the_order_allows_is_a_failed_precondition() {
    let mut o = two_lines();
    // Each line is of 2.
    for too_much in [dec!(3), Decimal::MAX] {
        let err = ship(&mut o, &[(1, dec!(1)), (2, too_much)]).unwrap_err();
        let DomainError::PreconditionFailed { reason, violations } = err else {
            panic!("{err:?}")
        };
        assert_eq!(reason, "MORE_THAN_LEFT_TO_SHIP");
        assert_eq!(violations[0].field, "lines[1].quantity");
    }
    ship(&mut o, &[(1, dec!(1))]).unwrap();
    for too_much in [dec!(2), Decimal::MAX] {
        let err = check_return(&o, &[], 1, too_much, "broken").unwrap_err();
        let DomainError::PreconditionFailed { reason, violations } = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            (reason, violations[0].field.as_str()),
            ("MORE_THAN_SHIPPED", "quantity")
        );
    }
    assert!(check_return(&o, &[], 1, dec!(1), "broken").is_ok());
    let err = check_return(&o, &[], 1, dec!(0), "").unwrap_err();
    assert!(
        matches!(err, DomainError::InvalidArgument { .. }),
        "{err:?}"
    );
}

#[test]
fn shipping_consumes_reservations_in_order_and_keeps_the_rest() {
    let mut held = vec![
        ("A".to_string(), "WH-1".to_string(), dec!(3)),
        ("B".to_string(), "WH-1".to_string(), dec!(5)),
        ("A".to_string(), "WH-2".to_string(), dec!(4)),
    ];
    let taken = take_reservations(&mut held, "A", dec!(5));
    assert_eq!(
        taken,
        [
            ("A".to_string(), "WH-1".to_string(), dec!(3)),
            ("A".to_string(), "WH-2".to_string(), dec!(2))
        ]
    );
    assert_eq!(
        held,
        [
            ("B".to_string(), "WH-1".to_string(), dec!(5)),
            ("A".to_string(), "WH-2".to_string(), dec!(2))
        ]
    );
    assert_eq!(
        take_reservations(&mut held, "A", dec!(10)).len(),
        1,
        "no more than held"
    );
}

#[test]
fn late_means_undelivered_past_the_promised_day() {
    let mut s = Shipment {
        id: "shp-1".into(),
        lines: vec![(1, dec!(1))],
        carrier: "DHL".into(),
        tracking_number: "JD0001".into(),
        shipped_at: 0,
        promised_date: Some(date!(2026 - 11 - 24)),
        events: vec![],
        late_alerted: false,
    };
    assert!(!s.is_late(date!(2026 - 11 - 24)), "on the day is on time");
    assert!(s.is_late(date!(2026 - 11 - 25)));
    s.events.push(TrackingEvent {
        at: 1,
        status: TrackingStatus::Delivered,
        location: "Hamburg".into(),
        description: String::new(),
    });
    assert!(!s.is_late(date!(2026 - 12 - 01)));
}

#[test]
fn returns_take_back_only_what_was_shipped() {
    let mut o = two_lines();
    ship(&mut o, &[(1, dec!(2))]).unwrap();
    assert!(check_return(&o, &[], 1, dec!(2), "damaged").is_ok());
    let earlier = Return {
        id: "rma-1".into(),
        line_no: 1,
        quantity: dec!(1),
        reason: "damaged".into(),
        resolution: ReturnResolution::Pending,
        created: 0,
    };
    assert!(check_return(&o, std::slice::from_ref(&earlier), 1, dec!(2), "wrong item").is_err());
    assert!(
        check_return(&o, &[earlier], 2, dec!(1), "x").is_err(),
        "line 2 not shipped"
    );
    assert!(
        check_return(&o, &[], 1, dec!(1), " ").is_err(),
        "a reason is required"
    );
}
