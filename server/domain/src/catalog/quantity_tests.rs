#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::catalog::ProductStatus;
use crate::catalog::product::Money;

fn unit(code: &str, base: Decimal) -> UnitOfMeasure {
    UnitOfMeasure {
        code: code.into(),
        name: code.into(),
        base_units: base,
    }
}

fn sold_in(code: &str) -> Product {
    Product {
        id: "prd-1".into(),
        sku: "SKU-1".into(),
        barcode: None,
        name: "One".into(),
        description: String::new(),
        category_id: "cat-1".into(),
        attributes: Vec::new(),
        sales_unit: unit(code, dec!(1)),
        order_units: vec![unit("BOX10", dec!(10)), unit("DRUM", dec!(1000000000000))],
        base_price: Money {
            currency: "EUR".into(),
            amount: dec!(0.50),
        },
        status: ProductStatus::Active,
        successor_id: None,
        quantity_rule: QuantityRule::default(),
        tax_class: Default::default(),
        image_urls: Vec::new(),
        family_id: None,
        variant_keys: Vec::new(),
    }
}

#[test]
fn counted_units_take_whole_numbers_and_measured_ones_thousandths() {
    for counted in ["EA", "BOX", "BOX10", "PACK", "ROLL", "PR", ""] {
        assert_eq!(unit_decimals(counted), 0, "{counted}");
    }
    for measured in ["M", "m", "KG", "kgm", "L", "M2", "M3", "T"] {
        assert_eq!(unit_decimals(measured), MEASURED_DECIMALS, "{measured}");
    }
}

#[test]
fn a_quantity_finer_than_its_unit_is_refused() {
    let piece = sold_in("EA");
    assert_eq!(
        piece.quantity_problems(dec!(1.5)),
        [QuantityProblem::TooPrecise {
            unit: "EA".into(),
            decimals: 0
        }]
    );
    assert_eq!(piece.quantity_problems(dec!(2.000)), []);
    let cable = sold_in("M");
    assert_eq!(cable.quantity_problems(dec!(2.125)), []);
    assert_eq!(
        cable.quantity_problems(dec!(0.0001)),
        [QuantityProblem::TooPrecise {
            unit: "M".into(),
            decimals: 3
        }]
    );
    assert_eq!(
        piece.unit_quantity_problem(dec!(1.5), "BOX10"),
        Some(QuantityProblem::TooPrecise {
            unit: "BOX10".into(),
            decimals: 0
        })
    );
    assert_eq!(piece.unit_quantity_problem(dec!(1), "PALLET"), None);
}

#[test]
fn a_line_may_not_ask_for_more_than_the_line_limit() {
    let piece = sold_in("EA");
    assert_eq!(piece.quantity_problems(MAX_LINE_QUANTITY), []);
    for absurd in [
        "1000000000",
        "99999999999999999999",
        "79228162514264337593543950335",
    ] {
        assert_eq!(
            piece.quantity_problems(Decimal::from_str(absurd).unwrap()),
            [QuantityProblem::AboveLineLimit {
                maximum: MAX_LINE_QUANTITY
            }],
            "{absurd}"
        );
    }
}

#[test]
fn rules_and_conversions_never_overflow() {
    let mut piece = sold_in("EA");
    piece.quantity_rule = QuantityRule {
        minimum: Decimal::ZERO,
        multiple: Some(dec!(0.0000000000000000000000000001)),
        maximum: Some(dec!(10)),
    };
    // Dividing the largest decimal by a tiny multiple overflows: the rule
    // says the quantity is too large instead of panicking.
    let problems = piece.quantity_problems(Decimal::MAX);
    assert!(
        problems.contains(&QuantityProblem::AboveMaximum { maximum: dec!(10) }),
        "{problems:?}"
    );
    assert_eq!(piece.to_sales_quantity(Decimal::MAX, "DRUM"), None);
    assert_eq!(
        piece.to_sales_quantity(dec!(3), "DRUM"),
        Some(dec!(3000000000000))
    );
}
