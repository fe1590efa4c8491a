#![allow(clippy::unwrap_used)]

use rust_decimal_macros::dec;

use super::*;

use crate::fixtures::orders::{line, order};

#[test]
fn numbers_are_per_year_and_zero_padded() {
    assert_eq!(order_number(2026, 123), "SO-2026-000123");
    assert_eq!(order_number(2027, 1_234_567), "SO-2027-1234567");
}

#[test]
fn a_price_that_moved_names_its_line_and_the_total() {
    let lines = vec![line(1, "A", dec!(10)), line(2, "B", dec!(5.50))];
    let ok = Expectation {
        total: Some(dec!(31)),
        unit_prices: vec![Some(dec!(10)), None],
    };
    assert!(check_expectation(&ok, &lines, dec!(31)).is_ok());
    let stale = Expectation {
        total: Some(dec!(30)),
        unit_prices: vec![Some(dec!(10)), Some(dec!(5))],
    };
    let DomainError::PreconditionFailed { reason, violations } =
        check_expectation(&stale, &lines, dec!(31)).unwrap_err()
    else {
        panic!("a precondition failure")
    };
    assert_eq!(reason, "PRICE_CHANGED");
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["lines[1]", "expected_total"]);
    assert!(violations[0].description.contains("5.5"));
    assert!(check_expectation(&Expectation::default(), &lines, dec!(31)).is_ok());
}

#[test]
fn each_status_change_is_recorded_and_approvals_go_step_by_step() {
    let mut o = order(
        OrderStatus::Submitted,
        vec![Role::Approver, Role::AccountAdmin],
    );
    o.apply(OrderEvent::RequireApproval, "system", 1, "over the limit")
        .unwrap();
    assert_eq!(o.pending_step(), Some(Role::Approver));
    assert_eq!(o.pending_steps(), [Role::Approver, Role::AccountAdmin]);
    o.approvals.push(Approval {
        role: Role::Approver,
        by: "u-2".into(),
        at: 2,
        approved: true,
        comment: "ok".into(),
    });
    assert_eq!(o.pending_step(), Some(Role::AccountAdmin));
    assert_eq!(o.pending_steps(), [Role::AccountAdmin]);
    let err = o.apply(OrderEvent::Deliver, "u-2", 3, "").unwrap_err();
    assert!(err.to_string().contains("pending approval"), "{err}");
    o.apply(OrderEvent::Confirm, "u-3", 4, "approved").unwrap();
    assert_eq!(o.pending_step(), None);
    assert!(o.pending_steps().is_empty());
    let trail: Vec<(OrderStatus, &str)> = o.history.iter().map(|h| (h.to, h.by.as_str())).collect();
    assert_eq!(
        trail,
        [
            (OrderStatus::PendingApproval, "system"),
            (OrderStatus::Confirmed, "u-3")
        ]
    );
}

/// An order line as builds before short stored names wrote it.
#[derive(serde::Serialize)]
struct LineWithLongNames {
    line_no: u32,
    sku: String,
    product_id: String,
    name: String,
    quantity: Decimal,
    list_unit_price: Decimal,
    unit_price: Decimal,
    line_total: Decimal,
    discount_total: Decimal,
    promotions: Vec<String>,
    tax_class: TaxClass,
    tax: Decimal,
    duty: Decimal,
    shipped: Decimal,
}

impl LineWithLongNames {
    fn of(line: &OrderLine) -> Self {
        Self {
            line_no: line.line_no,
            sku: line.sku.clone(),
            product_id: line.product_id.clone(),
            name: line.name.clone(),
            quantity: line.quantity,
            list_unit_price: line.list_unit_price,
            unit_price: line.unit_price,
            line_total: line.line_total,
            discount_total: line.discount_total,
            promotions: line.promotions.clone(),
            tax_class: line.tax_class,
            tax: line.tax,
            duty: line.duty,
            shipped: line.shipped,
        }
    }
}

#[test]
fn lines_stored_with_long_names_still_read() {
    let every_field_set = OrderLine {
        line_no: 3,
        sku: "TP-EL-00003".into(),
        product_id: "prd-el-00003".into(),
        name: "Cable".into(),
        quantity: dec!(2),
        list_unit_price: dec!(12.34),
        unit_price: dec!(11.10),
        line_total: dec!(22.20),
        discount_total: dec!(2.48),
        promotions: vec!["promo-spring".into()],
        tax_class: TaxClass::Reduced,
        tax: dec!(1.55),
        duty: dec!(0.40),
        shipped: dec!(1),
    };
    // Zero amounts are left out when stored now; they were written before.
    for line in [every_field_set, line(1, "A", dec!(10))] {
        let old = serde_cbor_2::to_vec(&LineWithLongNames::of(&line)).unwrap();
        assert_eq!(serde_cbor_2::from_slice::<OrderLine>(&old).unwrap(), line);
        let new = serde_cbor_2::to_vec(&line).unwrap();
        assert_eq!(serde_cbor_2::from_slice::<OrderLine>(&new).unwrap(), line);
    }
}

#[test]
fn a_line_is_stored_in_about_half_the_bytes_of_its_long_names() {
    let mut line = line(7, "TP-EL-00007", dec!(12.34));
    line.product_id = "prd-el-00007".into();
    line.name = "Installation cable NYM-J 3x1.5".into();
    line.tax = dec!(4.69);
    let short = serde_cbor_2::to_vec(&line).unwrap().len();
    let long = serde_cbor_2::to_vec(&LineWithLongNames::of(&line))
        .unwrap()
        .len();
    assert!(short * 10 < long * 6, "{short} bytes against {long}");
}
