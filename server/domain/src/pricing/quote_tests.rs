use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use rust_decimal::Decimal;
use time::{Date, Month};

use super::*;
use crate::pricing::{PriceBreak, PriceList, PriceListScope, Promotion};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn day(y: i32, m: Month, d: u8) -> Date {
    Date::from_calendar_date(y, m, d).unwrap()
}

fn list(
    id: &str,
    scope: PriceListScope,
    window: (Option<Date>, Option<Date>),
    entries: &[(&str, &[(&str, &str)])],
) -> PriceList {
    PriceList {
        id: id.into(),
        name: id.into(),
        currency: "EUR".into(),
        scope,
        valid_from: window.0,
        valid_until: window.1,
        entries: entries
            .iter()
            .map(|(sku, breaks)| {
                (
                    sku.to_string(),
                    breaks
                        .iter()
                        .map(|(min, price)| PriceBreak {
                            min_quantity: d(min),
                            unit_price: d(price),
                        })
                        .collect(),
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

fn promotion(
    id: &str,
    target: PromotionTarget,
    discount: Discount,
    exclusive: bool,
    priority: u32,
) -> Promotion {
    Promotion {
        id: id.into(),
        name: id.into(),
        currency: "EUR".into(),
        target,
        discount,
        valid_from: None,
        valid_until: None,
        exclusive,
        priority,
        per_customer_cap: None,
    }
}

fn book() -> Pricebook {
    let lists = vec![
        list(
            "base",
            PriceListScope::Base,
            (None, None),
            &[
                ("A", &[("0", "100.00"), ("10", "95.00")]),
                ("B", &[("0", "10.00")]),
                ("C", &[("0", "50.00")]),
                ("D", &[("0", "1.25")]),
            ],
        ),
        list(
            "gold",
            PriceListScope::Tier("gold".into()),
            (None, None),
            &[
                ("A", &[("0", "90.00"), ("10", "85.00"), ("100", "80.00")]),
                ("B", &[("0", "9.00")]),
            ],
        ),
        list(
            "acc-1-prices",
            PriceListScope::Customer("acc-1".into()),
            (
                Some(day(2026, Month::January, 1)),
                Some(day(2026, Month::December, 31)),
            ),
            &[("A", &[("0", "88.00")])],
        ),
        list(
            "contract-k7",
            PriceListScope::Contract {
                account_id: "acc-1".into(),
                contract_id: "K-7".into(),
            },
            (
                Some(day(2026, Month::June, 1)),
                Some(day(2026, Month::June, 30)),
            ),
            &[("A", &[("0", "75.00")])],
        ),
    ];
    let mut lighting = promotion(
        "autumn-lighting",
        PromotionTarget::Categories(vec!["cat-li".into()]),
        Discount::Percent(d("10")),
        false,
        10,
    );
    lighting.valid_from = Some(day(2026, Month::November, 1));
    lighting.valid_until = Some(day(2026, Month::November, 30));
    lighting.per_customer_cap = Some(2);
    let mut clearance = promotion(
        "clearance-c",
        PromotionTarget::Skus(vec!["C".into()]),
        Discount::Percent(d("30")),
        true,
        20,
    );
    clearance.valid_from = Some(day(2026, Month::November, 20));
    clearance.valid_until = Some(day(2026, Month::November, 25));
    let promotions = vec![
        lighting,
        promotion(
            "gold-bonus",
            PromotionTarget::AccountGroups(vec!["gold".into()]),
            Discount::Percent(d("2")),
            false,
            5,
        ),
        clearance,
        promotion(
            "euro-off-b",
            PromotionTarget::Skus(vec!["B".into()]),
            Discount::AmountOff(d("1.00")),
            false,
            1,
        ),
    ];
    let paths = HashMap::from([(
        "C".to_string(),
        vec!["cat-li".to_string(), "cat-li-0".to_string()],
    )]);
    Pricebook::new(lists, promotions, paths)
}

fn unit(account: &str, tier: &str, date: Date, sku: &str, qty: &str) -> (Decimal, Vec<String>) {
    unit_with_uses(account, tier, date, sku, qty, &HashMap::new())
}

fn unit_with_uses(
    account: &str,
    tier: &str,
    date: Date,
    sku: &str,
    qty: &str,
    uses: &HashMap<String, u32>,
) -> (Decimal, Vec<String>) {
    let ctx = PricingContext {
        account_id: account,
        tier,
        currency: "EUR",
        date,
        promotion_uses: uses,
        visible: &|_: &str| true,
    };
    let quote = book().price(&ctx, sku, d(qty)).unwrap();
    (
        quote.unit_price,
        quote.steps.iter().map(|s| s.source_id.clone()).collect(),
    )
}

const MARCH: fn() -> Date = || day(2026, Month::March, 1);

#[test]
fn base_prices_and_their_volume_breaks() {
    assert_eq!(unit("acc-9", "standard", MARCH(), "A", "1").0, d("100.00"));
    assert_eq!(
        unit("acc-9", "standard", MARCH(), "A", "9.99").0,
        d("100.00")
    );
    assert_eq!(unit("acc-9", "standard", MARCH(), "A", "10").0, d("95.00"));
}

#[test]
fn tier_prices_with_their_breaks_then_the_tier_promotion() {
    assert_eq!(
        unit("acc-2", "gold", MARCH(), "A", "1"),
        (d("88.20"), vec!["gold".into(), "gold-bonus".into()])
    );
    assert_eq!(unit("acc-2", "gold", MARCH(), "A", "10").0, d("83.30"));
    assert_eq!(unit("acc-2", "gold", MARCH(), "A", "100").0, d("78.40"));
    // A SKU missing from the tier list falls back to the base list.
    assert_eq!(unit("acc-2", "gold", MARCH(), "C", "1").0, d("49.00"));
}

#[test]
fn customer_prices_beat_tier_prices_and_contracts_beat_both_within_their_dates() {
    assert_eq!(unit("acc-1", "gold", MARCH(), "A", "1").0, d("86.24"));
    let contract = unit("acc-1", "gold", day(2026, Month::June, 15), "A", "1");
    assert_eq!(
        contract,
        (d("73.50"), vec!["contract-k7".into(), "gold-bonus".into()])
    );
    assert_eq!(
        unit("acc-1", "gold", day(2026, Month::June, 1), "A", "1").0,
        d("73.50"),
        "first day"
    );
    assert_eq!(
        unit("acc-1", "gold", day(2026, Month::June, 30), "A", "1").0,
        d("73.50"),
        "last day"
    );
    assert_eq!(
        unit("acc-1", "gold", day(2026, Month::May, 31), "A", "1").0,
        d("86.24"),
        "day before"
    );
    assert_eq!(
        unit("acc-1", "gold", day(2026, Month::July, 1), "A", "1").0,
        d("86.24"),
        "day after"
    );
    assert_eq!(
        unit("acc-1", "gold", day(2027, Month::January, 1), "A", "1").0,
        d("88.20"),
        "customer list ended"
    );
}

#[test]
fn stackable_promotions_compound_in_priority_order() {
    let (price, steps) = unit("acc-2", "gold", day(2026, Month::November, 10), "C", "1");
    assert_eq!(price, d("44.10"), "50 − 10 % − 2 %");
    assert_eq!(steps, ["base", "autumn-lighting", "gold-bonus"]);
    // Amount off after a percentage: 9.00 − 2 % = 8.82, − 1.00 = 7.82.
    assert_eq!(unit("acc-2", "gold", MARCH(), "B", "1").0, d("7.82"));
    assert_eq!(unit("acc-9", "standard", MARCH(), "B", "1").0, d("9.00"));
}

#[test]
fn an_exclusive_promotion_wins_only_when_cheaper_and_alone() {
    let (price, steps) = unit("acc-2", "gold", day(2026, Month::November, 22), "C", "1");
    assert_eq!(
        (price, steps),
        (
            d("35.00"),
            vec!["base".to_string(), "clearance-c".to_string()]
        )
    );
    let (after, _) = unit("acc-2", "gold", day(2026, Month::November, 26), "C", "1");
    assert_eq!(after, d("44.10"), "clearance ended on the 25th");
}

#[test]
fn a_used_up_promotion_no_longer_applies() {
    let uses = HashMap::from([("autumn-lighting".to_string(), 2)]);
    let (price, steps) = unit_with_uses(
        "acc-2",
        "gold",
        day(2026, Month::November, 10),
        "C",
        "1",
        &uses,
    );
    assert_eq!(price, d("49.00"));
    assert!(!steps.contains(&"autumn-lighting".to_string()));
    let once = HashMap::from([("autumn-lighting".to_string(), 1)]);
    assert_eq!(
        unit_with_uses(
            "acc-2",
            "gold",
            day(2026, Month::November, 10),
            "C",
            "1",
            &once
        )
        .0,
        d("44.10")
    );
}

#[test]
fn unit_prices_round_half_away_from_zero_before_the_line_total() {
    let ctx = PricingContext {
        account_id: "acc-2",
        tier: "gold",
        currency: "EUR",
        date: MARCH(),
        promotion_uses: &HashMap::new(),
        visible: &|_: &str| true,
    };
    let quote = book().price(&ctx, "D", d("3")).unwrap();
    // 1.25 − 2 % = 1.225 → 1.23; 3 × 1.23 = 3.69.
    assert_eq!(quote.unit_price, d("1.23"));
    assert_eq!(quote.line_total, d("3.69"));
    assert_eq!(quote.steps.last().unwrap().kind, StepKind::Rounding);
    assert_eq!(quote.discount_total, d("0.06"));
}

#[test]
fn a_500_line_cart_is_priced_in_one_call() {
    let lines: Vec<CartLine> = (0..500)
        .map(|i| {
            if i % 2 == 0 {
                CartLine {
                    sku: "A".into(),
                    quantity: "1".into(),
                }
            } else {
                CartLine {
                    sku: "B".into(),
                    quantity: "2".into(),
                }
            }
        })
        .collect();
    let ctx = PricingContext {
        account_id: "acc-2",
        tier: "gold",
        currency: "EUR",
        date: MARCH(),
        promotion_uses: &HashMap::new(),
        visible: &|_: &str| true,
    };
    let cart = book().price_cart(&ctx, &lines).unwrap();
    assert_eq!(cart.lines.len(), 500);
    // 250 × 88.20 + 250 × 2 × 7.82
    assert_eq!(cart.subtotal, d("25960.00"));
    // 250 × (90.00 − 88.20) + 250 × (18.00 − 15.64)
    assert_eq!(cart.discount_total, d("1040.00"));
}

/// Cart lines of (SKU, quantity as sent).
fn cart(lines: &[(&str, &str)]) -> Vec<CartLine> {
    lines
        .iter()
        .map(|(sku, q)| CartLine {
            sku: sku.to_string(),
            quantity: q.to_string(),
        })
        .collect()
}

#[test]
fn bad_cart_lines_are_named_one_by_one() {
    let ctx = PricingContext {
        account_id: "acc-2",
        tier: "gold",
        currency: "EUR",
        date: MARCH(),
        promotion_uses: &HashMap::new(),
        visible: &|_: &str| true,
    };
    let lines = cart(&[
        ("A", "0"),
        ("A", "-1"),
        ("A", "1e3"),
        ("ZZZ", "1"),
        ("B", "2.5"),
    ]);
    let err = book().price_cart(&ctx, &lines).unwrap_err();
    let DomainError::InvalidArgument { violations, .. } = err else {
        panic!()
    };
    let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "lines[0].quantity",
            "lines[1].quantity",
            "lines[2].quantity",
            "lines[3].sku"
        ]
    );
    assert!(book().price_cart(&ctx, &[]).is_err());
}

#[test]
fn absurd_quantities_are_refused_by_line_never_overflowing_or_rounding_to_nothing() {
    let only_known = |sku: &str| sku != "HIDDEN";
    let ctx = PricingContext {
        account_id: "acc-2",
        tier: "gold",
        currency: "EUR",
        date: MARCH(),
        promotion_uses: &HashMap::new(),
        visible: &only_known,
    };
    let lines = cart(&[
        ("A", "79228162514264337593543950335"),
        ("A", "99999999999999999999"),
        ("D", "0.0001"),
        ("ZZZ", "1"),
        ("HIDDEN", "1"),
    ]);
    let DomainError::InvalidArgument { violations, .. } =
        book().price_cart(&ctx, &lines).unwrap_err()
    else {
        panic!()
    };
    let got: Vec<(&str, &str)> = violations
        .iter()
        .map(|v| (v.field.as_str(), v.description.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "lines[0].quantity",
                "is above 1000000 per line, the most one line may ask for"
            ),
            (
                "lines[1].quantity",
                "is above 1000000 per line, the most one line may ask for"
            ),
            (
                "lines[2].quantity",
                "is too small: its price rounds to nothing in the currency"
            ),
            ("lines[3].sku", "unknown SKU \"ZZZ\""),
            ("lines[4].sku", "unknown SKU \"HIDDEN\""),
        ]
    );
    // The most a line may ask for is priced exactly.
    let most = cart(&[("A", "1000000")]);
    assert_eq!(
        book().price_cart(&ctx, &most).unwrap().subtotal,
        d("78400000.00")
    );
}

#[test]
fn another_currency_uses_only_its_own_lists() {
    let ctx = PricingContext {
        account_id: "acc-2",
        tier: "gold",
        currency: "USD",
        date: MARCH(),
        promotion_uses: &HashMap::new(),
        visible: &|_: &str| true,
    };
    assert!(book().price(&ctx, "A", d("1")).is_none());
}

#[test]
fn a_sku_outside_the_assortment_has_no_price() {
    let only_b = |sku: &str| sku == "B";
    let ctx = PricingContext {
        account_id: "acc-2",
        tier: "gold",
        currency: "EUR",
        date: MARCH(),
        promotion_uses: &HashMap::new(),
        visible: &only_b,
    };
    assert!(book().price(&ctx, "A", d("1")).is_none());
    assert!(book().price(&ctx, "B", d("1")).is_some());
}

#[test]
fn price_breaks_are_the_unit_prices_at_each_break_of_the_applicable_list() {
    let uses = HashMap::new();
    let ctx = PricingContext {
        account_id: "acc-2",
        tier: "gold",
        currency: "EUR",
        date: MARCH(),
        promotion_uses: &uses,
        visible: &|sku: &str| sku != "B",
    };
    let book = book();
    // The gold list's breaks, each less the gold bonus.
    assert_eq!(
        book.price_breaks(&ctx, "A"),
        vec![
            (d("0"), d("88.20")),
            (d("10"), d("83.30")),
            (d("100"), d("78.40"))
        ]
    );
    for (quantity, price) in book.price_breaks(&ctx, "A") {
        assert_eq!(book.unit_price(&ctx, "A", quantity), Some(price));
    }
    assert!(
        book.price_breaks(&ctx, "B").is_empty(),
        "outside the assortment"
    );
    assert!(book.price_breaks(&ctx, "Z").is_empty(), "no such SKU");
}
