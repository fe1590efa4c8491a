#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use rust_decimal_macros::dec;

use super::*;
use crate::catalog::{Category, Money, ProductStatus, QuantityRule, TaxClass, UnitOfMeasure};
use crate::pricing::{self, Pricebook, PricingContext, StepKind};

fn unit(code: &str, base: Decimal) -> UnitOfMeasure {
    UnitOfMeasure {
        code: code.into(),
        name: code.into(),
        base_units: base,
    }
}

fn product(n: u32, category: &str) -> Product {
    Product {
        id: format!("prd-{n}"),
        sku: format!("TP-{n}"),
        barcode: Some(format!("40000000000{n}")),
        name: format!("Product {n}"),
        description: String::new(),
        category_id: category.into(),
        attributes: Vec::new(),
        sales_unit: unit("EA", dec!(1)),
        order_units: vec![unit("BOX10", dec!(10))],
        base_price: Money {
            currency: "EUR".into(),
            amount: dec!(2.50),
        },
        status: ProductStatus::Active,
        successor_id: None,
        quantity_rule: QuantityRule {
            minimum: dec!(10),
            multiple: Some(dec!(5)),
            maximum: None,
        },
        tax_class: TaxClass::Standard,
        image_urls: Vec::new(),
        family_id: None,
        variant_keys: Vec::new(),
    }
}

struct Fixture {
    index: CatalogIndex,
    pricebook: Pricebook,
}

fn fixture() -> Fixture {
    let categories = ["tools", "secret"]
        .into_iter()
        .map(|id| Category {
            id: id.into(),
            parent_id: None,
            name: id.into(),
            position: 0,
        })
        .collect();
    let mut products: Vec<Product> = (1..=3).map(|n| product(n, "tools")).collect();
    products.push(product(4, "secret"));
    let mut hidden = product(5, "tools");
    hidden.status = ProductStatus::Hidden;
    products.push(hidden);
    let mut old = product(6, "tools");
    old.status = ProductStatus::Discontinued;
    old.successor_id = Some("prd-1".into());
    products.push(old);
    let lists = pricing::base_lists(
        products
            .iter()
            .map(|p| (p.sku.as_str(), "EUR", p.base_price.amount)),
    );
    Fixture {
        pricebook: Pricebook::new(lists, Vec::new(), HashMap::new()),
        index: CatalogIndex::build(categories, products).unwrap(),
    }
}

fn run(text: &str) -> Vec<QuickOrderLine> {
    let f = fixture();
    let uses = HashMap::new();
    let everything = |_: &str| true;
    let pricing = PricingContext {
        account_id: "acc-1",
        tier: "standard",
        currency: "EUR",
        date: time::macros::date!(2026 - 11 - 24),
        promotion_uses: &uses,
        visible: &everything,
    };
    let visible = Visible::Only {
        categories: ["tools".to_string()].into_iter().collect(),
        skus: Default::default(),
    };
    // 30 of everything in stock.
    let available = |_: &str| dec!(30);
    let prices = f.pricebook.for_customer(&pricing);
    let ctx = QuickOrderContext {
        index: &f.index,
        prices: &prices,
        visible: &visible,
        available: &available,
    };
    check_lines(&ctx, parse_pasted(text).unwrap())
}

#[test]
fn pasted_text_splits_on_tabs_commas_semicolons_and_spaces_and_skips_a_header() {
    let inputs = parse_pasted("SKU;Quantity\nTP-1\t20\n\n  TP-2, 3 BOX10 \nTP-3 7").unwrap();
    let got: Vec<(u32, &str, &str, &str)> = inputs
        .iter()
        .map(|i| {
            (
                i.line_number,
                i.code.as_str(),
                i.quantity.as_str(),
                i.unit.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (2, "TP-1", "20", ""),
            (4, "TP-2", "3", "BOX10"),
            (5, "TP-3", "7", "")
        ]
    );
    assert!(parse_pasted("\n \n").is_err());
    let too_many = "TP-1 10\n".repeat(MAX_LINES + 1);
    assert!(parse_pasted(&too_many).is_err());
}

#[test]
fn a_good_line_is_priced_in_its_sales_unit() {
    let lines = run("TP-1 20\n400000000002 2 box10");
    assert!(lines.iter().all(QuickOrderLine::orderable), "{lines:?}");
    let quote = lines[0].quote.as_ref().unwrap();
    assert_eq!(quote.line_total, dec!(50.00));
    assert_eq!(quote.steps[0].kind, StepKind::PriceList);
    assert_eq!(lines[1].product.as_ref().unwrap().sku, "TP-2", "by barcode");
    assert_eq!(lines[1].quantity, Some(dec!(20)), "two boxes of ten");
}

#[test]
fn each_problem_is_reported_on_its_line() {
    let lines = run(
        "TP-404 5\nTP-1 5\nTP-1 12\nTP-1 two\nTP-1 1 PALLET\nTP-4 10\nTP-5 10\nTP-6 10\nTP-2 35",
    );
    let problems: Vec<Vec<LineProblem>> = lines.iter().map(|l| l.problems.clone()).collect();
    assert_eq!(problems[0], [LineProblem::UnknownCode]);
    assert_eq!(
        problems[1],
        [LineProblem::Quantity(QuantityProblem::BelowMinimum {
            minimum: dec!(10)
        })]
    );
    assert_eq!(
        problems[2],
        [LineProblem::Quantity(QuantityProblem::NotMultiple {
            multiple: dec!(5),
            nearest: dec!(15)
        })]
    );
    assert!(matches!(problems[3][..], [LineProblem::BadQuantity { .. }]));
    assert_eq!(
        problems[4],
        [LineProblem::UnknownUnit {
            unit: "PALLET".into()
        }]
    );
    assert_eq!(problems[5], [LineProblem::NotInAssortment]);
    assert_eq!(
        problems[6],
        [LineProblem::UnknownCode],
        "hidden reads as unknown"
    );
    assert_eq!(
        problems[7],
        [LineProblem::Discontinued {
            successor_sku: Some("TP-1".into())
        }]
    );
    assert_eq!(
        problems[8],
        [LineProblem::ShortOnStock {
            available: dec!(30)
        }]
    );
    assert!(lines[8].orderable(), "short stock is a warning, not a stop");
    assert!(lines[8].quote.is_some());
    assert!(lines[..8].iter().all(|l| !l.orderable()));
    assert_eq!(lines[8].input.line_number, 9);
}

#[test]
fn the_subtotal_counts_the_orderable_lines_only() {
    // 20 at 2.50, a line below its minimum (blocked), and 35 short on
    // stock (orderable).
    let lines = run("TP-1 20\nTP-1 5\nTP-2 35");
    assert!(!lines[1].orderable());
    assert_eq!(
        totals(&lines),
        QuickOrderTotals {
            orderable_lines: 2,
            blocked_lines: 1,
            subtotal: dec!(50.00) + lines[2].quote.as_ref().unwrap().line_total,
        }
    );
}
