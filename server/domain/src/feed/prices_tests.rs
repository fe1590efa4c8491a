use std::collections::BTreeMap;

use rust_decimal::Decimal;
use time::macros::date;

use super::*;
use crate::catalog::{Assortment, AssortmentScope, ProductStatus};
use crate::feed::tests::{category, product};
use crate::feed::{Reader, Wanted, fingerprint, wanted};
use crate::pricing::{Discount, PriceBreak, PriceListScope};

/// Lamps under lighting, cables under electrical; one hidden lamp.
fn index() -> CatalogIndex {
    CatalogIndex::build(
        vec![
            category("light", None),
            category("lamps", Some("light")),
            category("elec", None),
        ],
        vec![
            product("p-lamp", "SKU-LAMP", "lamps", ProductStatus::Active),
            product("p-spot", "SKU-SPOT", "lamps", ProductStatus::Active),
            product("p-secret", "SKU-SECRET", "lamps", ProductStatus::Hidden),
            product("p-cable", "SKU-CABLE", "elec", ProductStatus::Active),
        ],
    )
    .unwrap()
}

fn buyer(account: &str, tier: &str) -> Reader {
    Reader {
        account: Some((account.into(), tier.into())),
        visible: Visible::AllListed,
        order_accounts: vec![account.into()],
        fingerprint: fingerprint(&["user", account]),
    }
}

fn lighting_weeks() -> Promotion {
    Promotion {
        id: "lighting".into(),
        name: "Lighting weeks".into(),
        currency: "EUR".into(),
        target: PromotionTarget::Categories(vec!["light".into()]),
        discount: Discount::Percent(Decimal::TEN),
        valid_from: Some(date!(2026 - 11 - 01)),
        valid_until: Some(date!(2026 - 12 - 31)),
        exclusive: false,
        priority: 1,
        per_customer_cap: Some(5),
    }
}

fn customer_list(from: Option<Date>, until: Option<Date>) -> PriceList {
    let mut entries = BTreeMap::new();
    entries.insert(
        "SKU-CABLE".to_string(),
        vec![PriceBreak {
            min_quantity: Decimal::ZERO,
            unit_price: Decimal::ONE,
        }],
    );
    PriceList {
        id: "pl-acc-1".into(),
        name: "acc-1's prices".into(),
        currency: "EUR".into(),
        scope: PriceListScope::Customer("acc-1".into()),
        valid_from: from,
        valid_until: until,
        entries,
    }
}

fn ids(items: Vec<Wanted>) -> Vec<String> {
    let mut ids: Vec<String> = items
        .into_iter()
        .map(|w| match w {
            Wanted::Product(id) => id,
            other => panic!("a price change wants products only, not {other:?}"),
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn reaching_the_cap_tells_that_customer_alone_about_the_promotions_products() {
    let promotion = lighting_weeks();
    let entry = promotion_use_changed(&promotion, "acc-1", 4, 5).unwrap();
    // Visible products under lighting, for acc-1 only.
    assert_eq!(
        ids(wanted(&entry, &buyer("acc-1", "gold"), &index())),
        ["p-lamp", "p-spot"]
    );
    assert!(wanted(&entry, &buyer("acc-2", "gold"), &index()).is_empty());
    // Below the cap, or past it already, nothing changes.
    assert_eq!(promotion_use_changed(&promotion, "acc-1", 3, 4), None);
    assert_eq!(promotion_use_changed(&promotion, "acc-1", 5, 6), None);
    // A use given back frees the promotion again.
    assert_eq!(
        promotion_use_changed(&promotion, "acc-1", 5, 4),
        Some(entry)
    );
    let uncapped = Promotion {
        per_customer_cap: None,
        ..promotion
    };
    assert_eq!(promotion_use_changed(&uncapped, "acc-1", 4, 5), None);
}

#[test]
fn reach_respects_what_the_reader_may_see() {
    let assortments = vec![Assortment {
        id: "a1".into(),
        name: "Spots".into(),
        scope: AssortmentScope::Account("acc-1".into()),
        categories: vec![],
        skus: vec!["SKU-SPOT".into(), "SKU-CABLE".into()],
    }];
    let reader = Reader {
        visible: Visible::for_customer(&assortments, "acc-1", "gold"),
        ..buyer("acc-1", "gold")
    };
    let everything = FeedEntry::PricesOf {
        reach: Reach::Everything,
        audience: Audience::Tier("gold".into()),
    };
    assert_eq!(
        ids(wanted(&everything, &reader, &index())),
        ["p-cable", "p-spot"]
    );
    let skus = FeedEntry::PricesOf {
        reach: Reach::Skus(vec![
            "SKU-LAMP".into(),
            "SKU-SPOT".into(),
            "SKU-SPOT".into(),
        ]),
        audience: Audience::All,
    };
    assert_eq!(ids(wanted(&skus, &reader, &index())), ["p-spot"]);
    assert!(wanted(&everything, &buyer("acc-2", "silver"), &index()).is_empty());
}

#[test]
fn a_window_closing_or_opening_between_two_days_changes_prices() {
    let promotion = lighting_weeks();
    let list = customer_list(Some(date!(2026 - 12 - 10)), None);
    let dated: [&dyn Dated; 2] = [&promotion, &list];
    let between = |from, to| window_changes(dated, from, to);

    assert!(between(date!(2026 - 12 - 01), date!(2026 - 12 - 09)).is_empty());
    // The list opens on the 10th: its customer's SKUs.
    let opened = FeedEntry::PricesOf {
        reach: Reach::Skus(vec!["SKU-CABLE".into()]),
        audience: Audience::Account("acc-1".into()),
    };
    assert_eq!(
        between(date!(2026 - 12 - 09), date!(2026 - 12 - 10)),
        std::slice::from_ref(&opened)
    );
    // The promotion's last day is the 31st: on New Year's Day, every
    // customer's lighting prices.
    let closed = FeedEntry::PricesOf {
        reach: Reach::Categories(vec!["light".into()]),
        audience: Audience::All,
    };
    assert!(between(date!(2026 - 12 - 30), date!(2026 - 12 - 31)).is_empty());
    assert_eq!(
        between(date!(2026 - 12 - 31), date!(2027 - 01 - 01)),
        std::slice::from_ref(&closed)
    );
    // A server down over both edges catches up on both at once; a clock
    // set back undoes them the same way.
    assert_eq!(
        between(date!(2026 - 12 - 05), date!(2027 - 01 - 02)),
        [closed.clone(), opened.clone()]
    );
    assert_eq!(
        between(date!(2027 - 01 - 02), date!(2026 - 12 - 05)),
        [closed, opened]
    );
    // A window that opened and closed while nobody looked changed nothing.
    let brief = customer_list(Some(date!(2026 - 12 - 10)), Some(date!(2026 - 12 - 12)));
    assert!(
        window_changes(
            [&brief as &dyn Dated],
            date!(2026 - 12 - 09),
            date!(2026 - 12 - 20)
        )
        .is_empty()
    );
}

#[test]
fn a_promotion_for_account_groups_reaches_those_tiers_only() {
    let promotion = Promotion {
        target: PromotionTarget::AccountGroups(vec!["gold".into(), "platinum".into()]),
        ..lighting_weeks()
    };
    let entries = window_changes(
        [&promotion as &dyn Dated],
        date!(2026 - 12 - 31),
        date!(2027 - 01 - 01),
    );
    assert_eq!(entries.len(), 2);
    let reached: Vec<Vec<String>> = ["gold", "silver", "platinum"]
        .iter()
        .map(|tier| {
            ids(entries
                .iter()
                .flat_map(|e| wanted(e, &buyer("acc-9", tier), &index()))
                .collect())
        })
        .collect();
    assert_eq!(reached[0], ["p-cable", "p-lamp", "p-spot"]);
    assert!(reached[1].is_empty());
    assert_eq!(reached[0], reached[2]);
}
