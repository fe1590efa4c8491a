//! The indexed list lookup and the lean unit price against the plain
//! rules: many random pricebooks, every SKU, several customers and days.

use std::collections::{BTreeMap, HashMap};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use time::{Date, Month};

use super::*;
use crate::pricing::{PriceBreak, PriceList, PriceListScope, Promotion};

const SKUS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];
const ACCOUNTS: [&str; 3] = ["acc-1", "acc-2", "acc-3"];
const TIERS: [&str; 2] = ["gold", "silver"];
const CURRENCIES: [&str; 2] = ["EUR", "USD"];

fn day(n: u8) -> Date {
    Date::from_calendar_date(2026, Month::June, n).unwrap_or(Date::MIN)
}

fn window(rng: &mut ChaCha8Rng) -> (Option<Date>, Option<Date>) {
    let from = rng.random_bool(0.5).then(|| day(rng.random_range(1..15)));
    let until = rng.random_bool(0.5).then(|| day(rng.random_range(10..28)));
    (from, until)
}

fn random_book(rng: &mut ChaCha8Rng) -> (Vec<PriceList>, Pricebook) {
    let mut lists = Vec::new();
    for n in 0..rng.random_range(1..14) {
        let scope = match rng.random_range(0..4) {
            0 => PriceListScope::Base,
            1 => PriceListScope::Tier(TIERS[rng.random_range(0..TIERS.len())].into()),
            2 => PriceListScope::Customer(ACCOUNTS[rng.random_range(0..ACCOUNTS.len())].into()),
            _ => PriceListScope::Contract {
                account_id: ACCOUNTS[rng.random_range(0..ACCOUNTS.len())].into(),
                contract_id: format!("K-{n}"),
            },
        };
        let (valid_from, valid_until) = window(rng);
        let mut entries: BTreeMap<String, Vec<PriceBreak>> = BTreeMap::new();
        for sku in SKUS {
            if !rng.random_bool(0.6) {
                continue;
            }
            let mut breaks = vec![PriceBreak {
                min_quantity: Decimal::ZERO,
                unit_price: Decimal::new(rng.random_range(100..100_000), 2),
            }];
            if rng.random_bool(0.5) {
                breaks.push(PriceBreak {
                    min_quantity: Decimal::from(rng.random_range(2..20)),
                    unit_price: Decimal::new(rng.random_range(100..100_000), 3),
                });
            }
            entries.insert(sku.to_string(), breaks);
        }
        lists.push(PriceList {
            // Ids collide now and then, so the tie-break on id is exercised.
            id: format!("list-{}", rng.random_range(0..8)),
            name: format!("list {n}"),
            currency: CURRENCIES[rng.random_range(0..CURRENCIES.len())].into(),
            scope,
            valid_from,
            valid_until,
            entries,
        });
    }
    let mut promotions = Vec::new();
    for n in 0..rng.random_range(0..5) {
        let (valid_from, valid_until) = window(rng);
        promotions.push(Promotion {
            id: format!("promo-{n}"),
            name: format!("promo {n}"),
            currency: CURRENCIES[rng.random_range(0..CURRENCIES.len())].into(),
            target: match rng.random_range(0..3) {
                0 => PromotionTarget::Skus(vec![SKUS[rng.random_range(0..SKUS.len())].into()]),
                1 => PromotionTarget::AccountGroups(vec![TIERS[rng.random_range(0..2)].into()]),
                _ => PromotionTarget::Categories(vec!["cat-x".into()]),
            },
            discount: if rng.random_bool(0.5) {
                Discount::Percent(Decimal::from(rng.random_range(1..40)))
            } else {
                Discount::AmountOff(Decimal::new(rng.random_range(1..500), 2))
            },
            valid_from,
            valid_until,
            exclusive: rng.random_bool(0.3),
            priority: rng.random_range(0..4),
            per_customer_cap: rng.random_bool(0.3).then_some(1),
        });
    }
    let paths = HashMap::from([
        ("A".to_string(), vec!["cat-x".to_string()]),
        (
            "D".to_string(),
            vec!["cat-y".to_string(), "cat-x".to_string()],
        ),
    ]);
    let book = Pricebook::new(lists.clone(), promotions, paths);
    (lists, book)
}

/// The lookup before the index: every list, the best applicable one.
fn scan<'a>(
    lists: &'a [PriceList],
    book: &Pricebook,
    ctx: &PricingContext<'_>,
    sku: &str,
) -> Option<&'a PriceList> {
    lists
        .iter()
        .filter(|l| l.entries.contains_key(sku) && book.applies_to(l, ctx))
        .max_by(|a, b| {
            a.scope
                .rank()
                .cmp(&b.scope.rank())
                .then_with(|| a.valid_from.cmp(&b.valid_from))
                .then_with(|| b.id.cmp(&a.id))
        })
}

#[test]
fn the_index_picks_the_list_a_full_scan_picks_and_the_lean_price_matches() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let used = HashMap::from([("promo-1".to_string(), 1)]);
    let everything = |_: &str| true;
    let mut priced = 0;
    for _ in 0..300 {
        let (lists, book) = random_book(&mut rng);
        for account in ACCOUNTS.iter().chain(&["acc-none"]) {
            for tier in TIERS {
                for currency in CURRENCIES {
                    for date in [day(1), day(12), day(27)] {
                        let ctx = PricingContext {
                            account_id: account,
                            tier,
                            currency,
                            date,
                            promotion_uses: &used,
                            visible: &everything,
                        };
                        let applicable = book.applicable(&ctx);
                        for sku in SKUS {
                            let expected = scan(&lists, &book, &ctx, sku);
                            let got = book
                                .skus
                                .id(sku)
                                .and_then(|id| book.list_for(&applicable, id))
                                .map(|(l, _)| l);
                            assert_eq!(
                                got.map(|l| (&l.id, &l.scope, l.valid_from)),
                                expected.map(|l| (&l.id, &l.scope, l.valid_from)),
                                "{account} {tier} {currency} {date} {sku}"
                            );
                            for quantity in [Decimal::ONE, Decimal::from(25)] {
                                let full = book.price(&ctx, sku, quantity);
                                let lean = book.unit_price(&ctx, sku, quantity);
                                assert_eq!(lean, full.as_ref().map(|q| q.unit_price));
                                priced += usize::from(full.is_some());
                            }
                        }
                    }
                }
            }
        }
    }
    // The random books must actually price things, or this tests nothing.
    assert!(priced > 10_000, "only {priced} prices");
}

#[test]
fn a_sku_outside_the_assortment_has_no_lean_price_either() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (_, book) = random_book(&mut rng);
    let nothing = |_: &str| false;
    let uses = HashMap::new();
    let ctx = PricingContext {
        account_id: "acc-1",
        tier: "gold",
        currency: "EUR",
        date: day(12),
        promotion_uses: &uses,
        visible: &nothing,
    };
    for sku in SKUS {
        assert_eq!(book.unit_price(&ctx, sku, Decimal::ONE), None);
    }
}

#[test]
fn changing_some_lists_prices_as_a_pricebook_built_from_scratch() {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let used = HashMap::new();
    let everything = |_: &str| true;
    let paths = HashMap::from([("A".to_string(), vec!["cat-x".to_string()])]);
    let unique = |lists: Vec<PriceList>| -> BTreeMap<String, PriceList> {
        lists.into_iter().map(|l| (l.id.clone(), l)).collect()
    };
    let mut compared = 0;
    for _ in 0..100 {
        let stored = unique(random_book(&mut rng).0);
        let book = Pricebook::new(
            stored.values().cloned().collect(),
            Vec::new(),
            paths.clone(),
        );
        // Some of these replace stored lists, some are new; one names a
        // SKU the pricebook has never seen.
        let mut changed = unique(random_book(&mut rng).0);
        if let Some(list) = changed.values_mut().next() {
            list.entries
                .insert("NEW".into(), list_price_break(Decimal::TEN));
        }
        let patched = book.with_changed_lists(changed.values().cloned().collect());
        let mut merged = stored;
        merged.extend(changed);
        let scratch = Pricebook::new(merged.into_values().collect(), Vec::new(), paths.clone());
        for account in ACCOUNTS {
            for tier in TIERS {
                for currency in CURRENCIES {
                    let ctx = PricingContext {
                        account_id: account,
                        tier,
                        currency,
                        date: day(12),
                        promotion_uses: &used,
                        visible: &everything,
                    };
                    for sku in SKUS.iter().chain(&["NEW"]) {
                        let expected = scratch.price(&ctx, sku, Decimal::from(25));
                        assert_eq!(patched.price(&ctx, sku, Decimal::from(25)), expected);
                        compared += usize::from(expected.is_some());
                    }
                }
            }
        }
    }
    assert!(compared > 1_000, "only {compared} prices compared");
}
