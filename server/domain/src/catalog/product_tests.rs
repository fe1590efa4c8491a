#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;

struct Facts {
    codes: HashMap<&'static str, &'static str>,
    kinds: HashMap<&'static str, AttributeKind>,
}

impl CatalogFacts for Facts {
    fn category_exists(&self, id: &str) -> bool {
        id == "cat-1"
    }
    fn code_owner(&self, code: &str) -> Option<&str> {
        self.codes.get(code).copied()
    }
    fn product_exists(&self, id: &str) -> bool {
        id == "prd-2"
    }
    fn attribute_kind(&self, key: &str) -> Option<AttributeKind> {
        self.kinds.get(key).cloned()
    }
}

fn facts() -> Facts {
    Facts {
        codes: HashMap::from([("SKU-2", "prd-2"), ("4006381333931", "prd-2")]),
        kinds: HashMap::from([(
            "voltage",
            AttributeKind::Number {
                unit: "V".to_string(),
            },
        )]),
    }
}

fn unit(code: &str, base: Decimal) -> UnitOfMeasure {
    UnitOfMeasure {
        code: code.into(),
        name: code.into(),
        base_units: base,
    }
}

fn product() -> Product {
    Product {
        id: "prd-1".into(),
        sku: "SKU-1".into(),
        barcode: Some("4006381333900".into()),
        name: "Cable 3x1.5".into(),
        description: String::new(),
        category_id: "cat-1".into(),
        attributes: vec![Attribute {
            key: "voltage".into(),
            value: AttributeValue::Number {
                value: dec!(230),
                unit: "V".into(),
            },
        }],
        sales_unit: unit("EA", dec!(1)),
        order_units: vec![unit("BOX12", dec!(12))],
        base_price: Money {
            currency: "EUR".into(),
            amount: dec!(2.50),
        },
        status: ProductStatus::Active,
        successor_id: None,
        quantity_rule: QuantityRule {
            minimum: dec!(12),
            multiple: Some(dec!(6)),
            maximum: Some(dec!(600)),
        },
        tax_class: TaxClass::Standard,
        image_urls: vec!["https://cdn.example.com/p/1.jpg".into()],
        family_id: Some("fam-1".into()),
        variant_keys: vec!["voltage".into()],
    }
}

/// Spoils one field of a valid product.
type Breaker = Box<dyn Fn(&mut Product)>;

fn fields(v: &[FieldViolation]) -> Vec<&str> {
    v.iter().map(|v| v.field.as_str()).collect()
}

#[test]
fn a_complete_product_is_valid() {
    assert_eq!(validate(&product(), &facts()), vec![]);
}

#[test]
fn each_bad_field_is_named() {
    let cases: Vec<(&str, Breaker)> = vec![
        ("product.sku", Box::new(|p| p.sku = "SKU-2".into())),
        ("product.sku", Box::new(|p| p.sku = "has space".into())),
        (
            "product.barcode",
            Box::new(|p| p.barcode = Some("4006381333931".into())),
        ),
        (
            "product.barcode",
            Box::new(|p| p.barcode = Some("12".into())),
        ),
        ("product.name", Box::new(|p| p.name = "  ".into())),
        (
            "product.category_id",
            Box::new(|p| p.category_id = "nope".into()),
        ),
        (
            "product.attributes[0].value",
            Box::new(|p| p.attributes[0].value = AttributeValue::Text("230".into())),
        ),
        (
            "product.attributes[0].value",
            Box::new(|p| {
                p.attributes[0].value = AttributeValue::Number {
                    value: dec!(230),
                    unit: "kV".into(),
                }
            }),
        ),
        (
            "product.sales_unit.base_units",
            Box::new(|p| p.sales_unit.base_units = Decimal::ZERO),
        ),
        (
            "product.order_units[0].code",
            Box::new(|p| p.order_units[0].code = "ea".into()),
        ),
        (
            "product.base_price.currency_code",
            Box::new(|p| p.base_price.currency = "euro".into()),
        ),
        (
            "product.base_price.amount",
            Box::new(|p| p.base_price.amount = dec!(-1)),
        ),
        (
            "product.quantity_rule.minimum",
            Box::new(|p| p.quantity_rule.minimum = dec!(10)),
        ),
        (
            "product.quantity_rule.maximum",
            Box::new(|p| p.quantity_rule.maximum = Some(dec!(6))),
        ),
        (
            "product.successor_id",
            Box::new(|p| p.successor_id = Some("prd-2".into())),
        ),
        (
            "product.successor_id",
            Box::new(|p| {
                p.status = ProductStatus::Discontinued;
                p.successor_id = Some("prd-9".into());
            }),
        ),
        (
            "product.image_urls[0]",
            Box::new(|p| p.image_urls[0] = "http://cdn.example.com/1.jpg".into()),
        ),
        (
            "product.variant_keys[0]",
            Box::new(|p| p.variant_keys = vec!["colour".into()]),
        ),
    ];
    for (field, break_it) in cases {
        let mut p = product();
        break_it(&mut p);
        assert_eq!(fields(&validate(&p, &facts())), vec![field], "{p:?}");
    }
}

#[test]
fn a_discontinued_product_may_name_an_existing_successor() {
    let mut p = product();
    p.status = ProductStatus::Discontinued;
    p.successor_id = Some("prd-2".into());
    assert_eq!(validate(&p, &facts()), vec![]);
    assert!(!p.orderable() && p.listed());
}

#[test]
fn quantity_rules_report_every_break_and_the_nearest_valid_quantity() {
    let rule = product().quantity_rule;
    assert_eq!(rule.problems(dec!(24)), vec![]);
    assert_eq!(
        rule.problems(dec!(6)),
        vec![QuantityProblem::BelowMinimum { minimum: dec!(12) }]
    );
    assert_eq!(
        rule.problems(dec!(13)),
        vec![QuantityProblem::NotMultiple {
            multiple: dec!(6),
            nearest: dec!(18)
        }]
    );
    assert_eq!(
        rule.problems(dec!(601)),
        vec![
            QuantityProblem::NotMultiple {
                multiple: dec!(6),
                nearest: dec!(606)
            },
            QuantityProblem::AboveMaximum { maximum: dec!(600) }
        ]
    );
    assert_eq!(rule.problems(dec!(0)), vec![QuantityProblem::NotPositive]);
    assert_eq!(QuantityRule::default().problems(dec!(0.25)), vec![]);
}

#[test]
fn units_convert_to_the_sales_unit() {
    let p = product();
    assert_eq!(p.to_sales_quantity(dec!(2), "BOX12"), Some(dec!(24)));
    assert_eq!(p.to_sales_quantity(dec!(2), "box12"), Some(dec!(24)));
    assert_eq!(p.to_sales_quantity(dec!(5), ""), Some(dec!(5)));
    assert_eq!(p.to_sales_quantity(dec!(5), "PALLET"), None);
    let mut by_the_box = p.clone();
    by_the_box.sales_unit = unit("BOX12", dec!(12));
    by_the_box.order_units = vec![unit("EA", dec!(1))];
    assert_eq!(by_the_box.to_sales_quantity(dec!(6), "EA"), Some(dec!(0.5)));
}

#[test]
fn a_mask_changes_only_what_it_names() {
    let current = product();
    let mut patch = product();
    patch.name = "New name".into();
    patch.description = "changed but not masked".into();
    patch.status = ProductStatus::Hidden;
    let fields = parse_mask(&["name".into(), "status".into()]).unwrap();
    let next = apply_mask(&current, patch, &fields);
    assert_eq!(next.name, "New name");
    assert_eq!(next.status, ProductStatus::Hidden);
    assert_eq!(next.description, current.description);
    assert!(!next.listed());
}

#[test]
fn a_mask_refuses_identity_and_unknown_fields_by_position() {
    let err = parse_mask(&["name".into(), "sku".into(), "colour".into()]).unwrap_err();
    let DomainError::InvalidArgument { violations, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        fields(&violations),
        vec!["update_mask.paths[1]", "update_mask.paths[2]"]
    );
    assert!(parse_mask(&[]).is_err());
}
