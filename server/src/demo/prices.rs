//! The demo's price lists and promotions, including a large demo's price
//! list per extra account.

use rust_decimal::Decimal;
use tradeport_domain::catalog::{Product, ProductStatus};

use super::{DemoCredentials, scale_list_positions};

/// The demo's price lists and promotions: a gold tier list (with volume
/// breaks on cables), a contract for the first customer, customer prices
/// for the second, and three promotions (a seasonal one on lighting, a
/// partner bonus for gold customers, an exclusive clearance of
/// discontinued items).
pub fn prices(
    products: &[Product],
    people: &DemoCredentials,
) -> (
    Vec<tradeport_domain::pricing::PriceList>,
    Vec<tradeport_domain::pricing::Promotion>,
) {
    use std::collections::BTreeMap;
    use time::{Date, Month};
    use tradeport_domain::pricing::{
        Discount, PriceBreak, PriceList, PriceListScope, Promotion, PromotionTarget, round_money,
    };

    let pct = |amount: Decimal, percent: i64| round_money(amount * Decimal::new(percent, 2), "EUR");
    let day = |y, m, d| Date::from_calendar_date(y, m, d).ok();
    let list = |id: &str, name: &str, scope, from, until, entries| PriceList {
        id: id.into(),
        name: name.into(),
        currency: "EUR".into(),
        scope,
        valid_from: from,
        valid_until: until,
        entries,
    };
    let single = |price| {
        vec![PriceBreak {
            min_quantity: Decimal::ZERO,
            unit_price: price,
        }]
    };

    let gold: BTreeMap<String, Vec<PriceBreak>> = products
        .iter()
        .map(|p| {
            let base = p.base_price.amount;
            let mut breaks = single(pct(base, 92));
            if p.category_id.starts_with("cat-el-0") {
                breaks.push(PriceBreak {
                    min_quantity: Decimal::from(100),
                    unit_price: pct(base, 88),
                });
                breaks.push(PriceBreak {
                    min_quantity: Decimal::from(500),
                    unit_price: pct(base, 85),
                });
            }
            (p.sku.clone(), breaks)
        })
        .collect();
    let account = |n: usize| {
        people
            .accounts
            .get(n)
            .map(|(_, id)| id.clone())
            .unwrap_or_default()
    };
    let contract: BTreeMap<String, Vec<PriceBreak>> = products
        .iter()
        .filter(|p| p.category_id.starts_with("cat-el") && p.id.ends_with('7'))
        .take(50)
        .map(|p| (p.sku.clone(), single(pct(p.base_price.amount, 80))))
        .collect();
    let customer: BTreeMap<String, Vec<PriceBreak>> = products
        .iter()
        .filter(|p| p.category_id.starts_with("cat-pl"))
        .take(20)
        .map(|p| (p.sku.clone(), single(pct(p.base_price.amount, 95))))
        .collect();
    let mut lists = vec![
        list(
            "gold-2026",
            "Gold partner prices",
            PriceListScope::Tier("gold".into()),
            None,
            None,
            gold,
        ),
        list(
            "contract-nl-2026-01",
            "Framework agreement NL-2026-01",
            PriceListScope::Contract {
                account_id: account(0),
                contract_id: "NL-2026-01".into(),
            },
            day(2026, Month::January, 1),
            day(2026, Month::December, 31),
            contract,
        ),
        list(
            "customer-sur-plumbing",
            "Negotiated plumbing prices",
            PriceListScope::Customer(account(1)),
            day(2026, Month::September, 1),
            None,
            customer,
        ),
    ];
    // A large demo's extra accounts: each its own 2,000 SKUs, spread over
    // the catalog from a different start, at 85-95 % of the list price,
    // with breaks from 50 and 200 units.
    for (n, account_id) in people.scale_accounts.iter().enumerate() {
        let percent = 85 + (n % 11) as i64;
        let entries: BTreeMap<String, Vec<PriceBreak>> = scale_list_positions(products.len(), n)
            .filter_map(|i| products.get(i))
            .map(|p| {
                let base = p.base_price.amount;
                let breaks = vec![
                    PriceBreak {
                        min_quantity: Decimal::ZERO,
                        unit_price: pct(base, percent),
                    },
                    PriceBreak {
                        min_quantity: Decimal::from(50),
                        unit_price: pct(base, percent - 4),
                    },
                    PriceBreak {
                        min_quantity: Decimal::from(200),
                        unit_price: pct(base, percent - 8),
                    },
                ];
                (p.sku.clone(), breaks)
            })
            .collect();
        lists.push(list(
            &format!("customer-{account_id}"),
            "Negotiated customer prices",
            PriceListScope::Customer(account_id.clone()),
            None,
            None,
            entries,
        ));
    }
    let clearance: Vec<String> = products
        .iter()
        .filter(|p| p.status == ProductStatus::Discontinued)
        .map(|p| p.sku.clone())
        .collect();
    let promotions = vec![
        Promotion {
            id: "autumn-lighting-2026".into(),
            name: "Autumn lighting weeks".into(),
            currency: "EUR".into(),
            target: PromotionTarget::Categories(vec!["cat-li".into()]),
            discount: Discount::Percent(Decimal::from(10)),
            valid_from: day(2026, Month::November, 1),
            valid_until: day(2026, Month::December, 31),
            exclusive: false,
            priority: 10,
            per_customer_cap: Some(5),
        },
        Promotion {
            id: "gold-partner-bonus".into(),
            name: "Gold partner bonus".into(),
            currency: "EUR".into(),
            target: PromotionTarget::AccountGroups(vec!["gold".into()]),
            discount: Discount::Percent(Decimal::from(2)),
            valid_from: None,
            valid_until: None,
            exclusive: false,
            priority: 5,
            per_customer_cap: None,
        },
        Promotion {
            id: "clearance-discontinued".into(),
            name: "Clearance of discontinued items".into(),
            currency: "EUR".into(),
            target: PromotionTarget::Skus(clearance),
            discount: Discount::Percent(Decimal::from(30)),
            valid_from: None,
            valid_until: None,
            exclusive: true,
            priority: 20,
            per_customer_cap: None,
        },
    ];
    (lists, promotions)
}
