//! The fuzz target of the pricing engine and the quick-order parser:
//! property tests with large and adversarial decimals (the largest a
//! `Decimal` holds, 40-digit strings, 28 decimals, junk) for quantities,
//! list prices and discounts. Whatever a caller sends, the answer is a
//! price or a named problem — never a panic, never a priced line that
//! rounds to nothing, never a line past the limits. Run with more cases:
//! `PROPTEST_CASES=100000 cargo test -p tradeport-server fuzz_`.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::DomainError;
use super::catalog::quantity::MAX_LINE_QUANTITY;
use super::catalog::quick_order::{QuickOrderContext, check_lines, parse_pasted};
use super::catalog::{
    CatalogIndex, Category, Money, Product, ProductStatus, QuantityRule, TaxClass, UnitOfMeasure,
    Visible,
};
use super::decimal::parse_decimal;
use super::pricing::{
    self, CartLine, Discount, MAX_CART_AMOUNT, Pricebook, PricingContext, Promotion,
    PromotionTarget,
};

/// Decimals as callers write them, weighted towards the edges.
fn adversarial_decimal() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("79228162514264337593543950335".to_string()),
        Just("-79228162514264337593543950335".to_string()),
        Just("0.0000000000000000000000000001".to_string()),
        Just("99999999999999999999".to_string()),
        Just("1000000000".to_string()),
        Just("0.0001".to_string()),
        Just("1.5".to_string()),
        (any::<i128>(), 0u32..=28).prop_map(|(m, scale)| {
            Decimal::try_from_i128_with_scale(m % (1i128 << 96), scale)
                .map(|d| d.to_string())
                .unwrap_or_default()
        }),
        "[0-9]{1,40}(\\.[0-9]{0,40})?",
        "-?[0-9]{0,8}\\.?[0-9]{0,30}",
        any::<String>(),
    ]
}

fn decimal_or(raw: &str, fallback: Decimal) -> Decimal {
    raw.parse().unwrap_or(fallback)
}

fn unit(code: &str, base: Decimal) -> UnitOfMeasure {
    UnitOfMeasure {
        code: code.into(),
        name: code.into(),
        base_units: base,
    }
}

fn product(n: usize, sales_unit: &str, price: Decimal, rule: QuantityRule) -> Product {
    Product {
        id: format!("prd-{n}"),
        sku: format!("SKU-{n}"),
        barcode: None,
        name: format!("Product {n}"),
        description: String::new(),
        category_id: "cat".into(),
        attributes: Vec::new(),
        sales_unit: unit(sales_unit, Decimal::ONE),
        order_units: vec![
            unit("BOX10", dec!(10)),
            unit("HUGE", dec!(79228162514264337593543950335)),
        ],
        base_price: Money {
            currency: "EUR".into(),
            amount: price,
        },
        status: ProductStatus::Active,
        successor_id: None,
        quantity_rule: rule,
        tax_class: TaxClass::Standard,
        image_urls: Vec::new(),
        family_id: None,
        variant_keys: Vec::new(),
    }
}

/// Three products (by the piece, by the metre, by the kilogram) at the
/// given list prices, with a percentage and an amount-off promotion.
fn catalog(prices: &[String], percent: &str, amount_off: &str) -> (CatalogIndex, Pricebook) {
    let products: Vec<Product> = ["EA", "M", "KG"]
        .iter()
        .enumerate()
        .map(|(n, code)| {
            let price = decimal_or(&prices[n], dec!(0.5)).abs();
            product(n, code, price, QuantityRule::default())
        })
        .collect();
    let lists = pricing::base_lists(
        products
            .iter()
            .map(|p| (p.sku.as_str(), "EUR", p.base_price.amount)),
    );
    let promotion = |id: &str, discount| Promotion {
        id: id.into(),
        name: id.into(),
        currency: "EUR".into(),
        target: PromotionTarget::Skus(vec!["SKU-0".into(), "SKU-1".into()]),
        discount,
        valid_from: None,
        valid_until: None,
        exclusive: false,
        priority: 1,
        per_customer_cap: None,
    };
    let promotions = vec![
        promotion(
            "percent",
            Discount::Percent(decimal_or(percent, Decimal::TEN)),
        ),
        promotion(
            "off",
            Discount::AmountOff(decimal_or(amount_off, Decimal::ONE)),
        ),
    ];
    let category = Category {
        id: "cat".into(),
        parent_id: None,
        name: "Everything".into(),
        position: 0,
    };
    (
        CatalogIndex::build(vec![category], products).unwrap(),
        Pricebook::new(lists, promotions, HashMap::new()),
    )
}

/// Runs `f` with a customer who sees everything, on a fixed day.
fn as_customer<T>(f: impl FnOnce(&PricingContext<'_>) -> T) -> T {
    let uses = HashMap::new();
    let everything = |_: &str| true;
    let ctx = PricingContext {
        account_id: "acc-1",
        tier: "standard",
        currency: "EUR",
        date: time::macros::date!(2026 - 11 - 24),
        promotion_uses: &uses,
        visible: &everything,
    };
    f(&ctx)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fuzz_decimal_parsing_answers_a_decimal_or_names_the_field(raw in adversarial_decimal()) {
        match parse_decimal("quantity", &raw) {
            Ok(_) => {}
            Err(DomainError::InvalidArgument { violations, .. }) => {
                prop_assert_eq!(&violations[0].field, "quantity");
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn fuzz_a_cart_is_priced_within_limits_or_refused_by_field(
        prices in proptest::collection::vec(adversarial_decimal(), 3),
        percent in adversarial_decimal(),
        amount_off in adversarial_decimal(),
        quantities in proptest::collection::vec(adversarial_decimal(), 1..6),
    ) {
        let (_, book) = catalog(&prices, &percent, &amount_off);
        let lines: Vec<CartLine> = quantities
            .iter()
            .enumerate()
            .map(|(i, q)| CartLine { sku: format!("SKU-{}", i % 4), quantity: q.clone() })
            .collect();
        match as_customer(|ctx| book.price_cart(ctx, &lines)) {
            Ok(quote) => {
                prop_assert!(quote.subtotal <= MAX_CART_AMOUNT);
                for line in &quote.lines {
                    prop_assert!(line.quantity > Decimal::ZERO);
                    prop_assert!(line.quantity <= MAX_LINE_QUANTITY);
                    prop_assert!(line.line_total <= MAX_CART_AMOUNT);
                    prop_assert!(
                        line.unit_price.is_zero() || line.line_total > Decimal::ZERO,
                        "{line:?} rounds to nothing"
                    );
                }
            }
            Err(DomainError::InvalidArgument { violations, .. }) => {
                prop_assert!(!violations.is_empty());
                for v in &violations {
                    prop_assert!(v.field == "lines" || v.field.starts_with("lines["), "{v:?}");
                }
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn fuzz_pasted_quick_orders_check_every_line_without_panicking(
        prices in proptest::collection::vec(adversarial_decimal(), 3),
        rows in proptest::collection::vec(
            (0usize..5, adversarial_decimal(), prop_oneof![Just(""), Just("BOX10"), Just("HUGE"), Just("M")]),
            1..6,
        ),
        junk in any::<String>(),
    ) {
        let (index, book) = catalog(&prices, "10", "1");
        let mut text: String = rows
            .iter()
            .map(|(n, q, unit)| format!("SKU-{n}\t{q}\t{unit}\n"))
            .collect();
        text.push_str(&junk);
        let Ok(inputs) = parse_pasted(&text) else {
            return Ok(());
        };
        let available = |_: &str| dec!(1000);
        let lines = as_customer(|ctx| {
            let prices = book.for_customer(ctx);
            let quick = QuickOrderContext {
                index: &index,
                prices: &prices,
                visible: &Visible::Everything,
                available: &available,
            };
            check_lines(&quick, inputs)
        });
        for line in lines.iter().filter(|l| l.orderable()) {
            let quantity = line.quantity.unwrap();
            let product = line.product.as_ref().unwrap();
            prop_assert!(quantity > Decimal::ZERO && quantity <= MAX_LINE_QUANTITY);
            prop_assert!(product.quantity_problems(quantity).is_empty());
            let quote = line.quote.as_ref().unwrap();
            prop_assert!(quote.unit_price.is_zero() || quote.line_total > Decimal::ZERO);
        }
    }

    #[test]
    fn fuzz_quantity_rules_answer_for_any_decimal(
        quantity in adversarial_decimal(),
        minimum in adversarial_decimal(),
        multiple in adversarial_decimal(),
        maximum in adversarial_decimal(),
    ) {
        let rule = QuantityRule {
            minimum: decimal_or(&minimum, Decimal::ZERO),
            multiple: multiple.parse().ok(),
            maximum: maximum.parse().ok(),
        };
        let product = product(0, "M", Decimal::ONE, rule);
        let quantity = decimal_or(&quantity, Decimal::ONE);
        let problems = product.quantity_problems(quantity);
        prop_assert!(quantity <= MAX_LINE_QUANTITY || !problems.is_empty());
        let _ = product.to_sales_quantity(quantity, "HUGE");
    }
}
