use std::collections::HashSet;

use rust_decimal::Decimal;

use super::*;
use crate::catalog::{Assortment, AssortmentScope, Category, Product, ProductStatus};

/// A category named for its id (the price-entry tests build theirs too).
pub(super) fn category(id: &str, parent: Option<&str>) -> Category {
    Category {
        id: id.into(),
        parent_id: parent.map(Into::into),
        name: id.into(),
        position: 0,
    }
}

pub(super) fn product(id: &str, sku: &str, category: &str, status: ProductStatus) -> Product {
    Product {
        status,
        ..Product::for_tests(id, sku, category, Decimal::TEN)
    }
}

/// Cables (under electrical) and lighting; one hidden lamp.
fn index() -> CatalogIndex {
    CatalogIndex::build(
        vec![
            category("elec", None),
            category("cable", Some("elec")),
            category("light", None),
        ],
        vec![
            product("p-cable", "SKU-CABLE", "cable", ProductStatus::Active),
            product("p-lamp", "SKU-LAMP", "light", ProductStatus::Active),
            product("p-secret", "SKU-SECRET", "light", ProductStatus::Hidden),
        ],
    )
    .unwrap()
}

/// A customer of acc-1 (tier gold) whose assortment opens electrical only.
fn electrician() -> Reader {
    let assortments = vec![Assortment {
        id: "a1".into(),
        name: "Electrical".into(),
        scope: AssortmentScope::Account("acc-1".into()),
        categories: vec!["elec".into()],
        skus: vec![],
    }];
    Reader {
        account: Some(("acc-1".into(), "gold".into())),
        visible: Visible::for_customer(&assortments, "acc-1", "gold"),
        order_accounts: vec!["acc-1".into()],
        fingerprint: fingerprint(&["user-1", "acc-1"]),
    }
}

fn brand() -> Reader {
    Reader {
        account: None,
        visible: Visible::Everything,
        order_accounts: vec!["acc-1".into(), "acc-2".into()],
        fingerprint: fingerprint(&["rep-1", ""]),
    }
}

/// What a single-item entry means for `reader`.
fn wanted_one(entry: &FeedEntry, reader: &Reader, index: &CatalogIndex) -> Option<Wanted> {
    let mut items = wanted(entry, reader, index);
    assert!(items.len() <= 1, "{entry:?} meant {items:?}");
    items.pop()
}

fn placement(sku: &str, path: &[&str], listed: bool) -> Option<Placement> {
    Some(Placement {
        sku: sku.into(),
        path: path.iter().map(|s| s.to_string()).collect(),
        listed,
    })
}

#[test]
fn a_product_the_reader_sees_is_sent_whole() {
    let entry = FeedEntry::Product {
        id: "p-cable".into(),
        before: None,
    };
    assert_eq!(
        wanted_one(&entry, &electrician(), &index()),
        Some(Wanted::Product("p-cable".into()))
    );
}

#[test]
fn a_product_moved_out_of_the_assortment_is_removed_only_for_those_who_saw_it() {
    // The lamp was a cable before (visible to the electrician); now lighting.
    let moved = FeedEntry::Product {
        id: "p-lamp".into(),
        before: placement("SKU-LAMP", &["elec", "cable"], true),
    };
    assert_eq!(
        wanted_one(&moved, &electrician(), &index()),
        Some(Wanted::Removed("p-lamp".into()))
    );
    // A lighting product that was always lighting is none of their business.
    let unseen = FeedEntry::Product {
        id: "p-lamp".into(),
        before: placement("SKU-LAMP", &["light"], true),
    };
    assert_eq!(wanted_one(&unseen, &electrician(), &index()), None);
    let created = FeedEntry::Product {
        id: "p-lamp".into(),
        before: None,
    };
    assert_eq!(wanted_one(&created, &electrician(), &index()), None);
}

#[test]
fn a_product_hidden_now_is_removed_for_customers_but_kept_for_brand_staff() {
    let hidden = FeedEntry::Product {
        id: "p-secret".into(),
        before: placement("SKU-SECRET", &["light"], true),
    };
    let customer = Reader {
        visible: Visible::AllListed,
        ..electrician()
    };
    assert_eq!(
        wanted_one(&hidden, &customer, &index()),
        Some(Wanted::Removed("p-secret".into()))
    );
    assert_eq!(
        wanted_one(&hidden, &brand(), &index()),
        Some(Wanted::Product("p-secret".into()))
    );
}

#[test]
fn price_changes_reach_only_their_audience() {
    let reader = electrician();
    let for_sku = |audience: Audience| FeedEntry::Prices {
        sku: "SKU-CABLE".into(),
        audience,
    };
    let cable = Some(Wanted::Product("p-cable".into()));
    assert_eq!(
        wanted_one(&for_sku(Audience::All), &reader, &index()),
        cable
    );
    assert_eq!(
        wanted_one(
            &for_sku(Audience::Account("acc-1".into())),
            &reader,
            &index()
        ),
        cable
    );
    assert_eq!(
        wanted_one(&for_sku(Audience::Tier("gold".into())), &reader, &index()),
        cable
    );
    assert_eq!(
        wanted_one(
            &for_sku(Audience::Account("acc-2".into())),
            &reader,
            &index()
        ),
        None
    );
    assert_eq!(
        wanted_one(&for_sku(Audience::Tier("silver".into())), &reader, &index()),
        None
    );
    // Outside the assortment: no price to send, nothing to remove.
    let lamp = FeedEntry::Prices {
        sku: "SKU-LAMP".into(),
        audience: Audience::All,
    };
    assert_eq!(wanted_one(&lamp, &reader, &index()), None);
    // Brand staff see list prices: customer price lists are not theirs.
    assert_eq!(
        wanted_one(&for_sku(Audience::All), &brand(), &index()),
        None
    );
}

#[test]
fn stock_follows_product_visibility_and_orders_follow_accounts() {
    let reader = electrician();
    let stock = |sku: &str| FeedEntry::Stock {
        sku: sku.into(),
        warehouse: "wh-1".into(),
    };
    assert_eq!(
        wanted_one(&stock("SKU-CABLE"), &reader, &index()),
        Some(Wanted::Stock {
            sku: "SKU-CABLE".into(),
            warehouse: "wh-1".into()
        })
    );
    assert_eq!(wanted_one(&stock("SKU-LAMP"), &reader, &index()), None);
    assert_eq!(wanted_one(&stock("SKU-GONE"), &reader, &index()), None);
    let order = |account: &str| FeedEntry::Order {
        account_id: account.into(),
        id: "ord-1".into(),
    };
    assert_eq!(
        wanted_one(&order("acc-1"), &reader, &index()),
        Some(Wanted::Order("ord-1".into()))
    );
    assert_eq!(wanted_one(&order("acc-2"), &reader, &index()), None);
    assert_eq!(
        wanted_one(&order("acc-2"), &brand(), &index()),
        Some(Wanted::Order("ord-1".into()))
    );
}

#[test]
fn an_assortment_change_resets_only_the_accounts_it_concerns() {
    let reader = electrician();
    let change = |audience| FeedEntry::Visibility { audience };
    assert_eq!(
        wanted_one(
            &change(Audience::Account("acc-1".into())),
            &reader,
            &index()
        ),
        Some(Wanted::Reset)
    );
    assert_eq!(
        wanted_one(&change(Audience::Tier("gold".into())), &reader, &index()),
        Some(Wanted::Reset)
    );
    assert_eq!(
        wanted_one(
            &change(Audience::Account("acc-2".into())),
            &reader,
            &index()
        ),
        None
    );
    assert_eq!(
        wanted_one(&change(Audience::All), &brand(), &index()),
        None,
        "brand staff see everything whatever the assortments"
    );
}

#[test]
fn a_page_sends_each_item_once_and_stops_when_full() {
    let mut page = DeltaPage::new(10, 2);
    page.take(11, vec![Wanted::Product("a".into())]);
    page.take(12, vec![]);
    page.take(13, vec![Wanted::Removed("a".into())]);
    assert!(!page.is_done());
    page.take(
        14,
        vec![Wanted::Stock {
            sku: "a".into(),
            warehouse: "w".into(),
        }],
    );
    assert!(page.is_done());
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.last, 14);
    assert!(!page.reset);
}

#[test]
fn a_batch_of_levels_brings_those_the_reader_sees() {
    let level = |sku: &str, warehouse: &str| LevelRef {
        sku: sku.into(),
        warehouse: warehouse.into(),
    };
    let entry = stock_changed(vec![
        level("SKU-CABLE", "wh-1"),
        level("SKU-LAMP", "wh-1"),
        level("SKU-CABLE", "wh-2"),
        level("SKU-GONE", "wh-1"),
    ])
    .unwrap();
    let stock = |warehouse: &str| Wanted::Stock {
        sku: "SKU-CABLE".into(),
        warehouse: warehouse.into(),
    };
    assert_eq!(
        wanted(&entry, &electrician(), &index()),
        vec![stock("wh-1"), stock("wh-2")]
    );
    assert_eq!(stock_changed(Vec::new()), None);
}

#[test]
fn an_entry_is_taken_whole_or_left_for_the_next_page() {
    let stock = |sku: &str| Wanted::Stock {
        sku: sku.into(),
        warehouse: "w".into(),
    };
    let mut page = DeltaPage::new(0, 3);
    assert!(page.take(1, vec![stock("a")]));
    // Two new items, one already on the page: it fits.
    assert!(page.take(2, vec![stock("a"), stock("b")]));
    assert!(!page.is_done());
    assert!(!page.take(3, vec![stock("c"), stock("d")]));
    assert!(page.is_done());
    assert_eq!(page.items, vec![stock("a"), stock("b")]);
    assert_eq!(page.last, 2, "the next page starts at the entry left out");

    // An empty page takes an entry larger than itself: pages move on.
    let mut page = DeltaPage::new(2, 1);
    assert!(page.take(3, vec![stock("c"), stock("d")]));
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.last, 3);
}

#[test]
fn a_reset_ends_the_page() {
    let mut page = DeltaPage::new(0, 100);
    page.take(1, vec![Wanted::Order("o".into())]);
    page.take(2, vec![Wanted::Reset]);
    assert!(page.is_done());
    assert!(page.reset);
}

#[test]
fn cursors_round_trip_and_garbage_names_the_field() {
    let cursor = Cursor::new(
        7,
        Position::Snapshot {
            at: 42,
            phase: Phase::Orders {
                account: 1,
                after: "ffff/ord-1".into(),
            },
        },
    );
    let decoded = Cursor::decode(&cursor.encode()).unwrap();
    assert_eq!(decoded, Some(cursor));
    assert_eq!(Cursor::decode("").unwrap(), None);
    for garbage in [
        "not a cursor!",
        "eyJ2IjoyfQ",
        &URL_SAFE_NO_PAD.encode(br#"{"v":2,"r":7,"p":{"Delta":{"after":1}}}"#),
        &URL_SAFE_NO_PAD.encode(
            br#"{"v":1,"r":7,"p":{"Snapshot":{"at":1,"phase":{"Products":{"slot":3,"last":""}}}}}"#,
        ),
    ] {
        match Cursor::decode(garbage) {
            Err(DomainError::InvalidArgument { violations, .. }) => {
                assert_eq!(violations[0].field, "cursor", "{garbage}")
            }
            other => panic!("{garbage}: {other:?}"),
        }
    }
}

#[test]
fn cursors_resume_or_start_over() {
    let delta = |after| Some(Cursor::new(7, Position::Delta { after }));
    assert_eq!(resume(None, 7, 0, 10), Resume::Start { reset: false });
    assert_eq!(resume(delta(5), 7, 0, 10), Resume::Delta(5));
    assert_eq!(resume(delta(5), 7, 5, 10), Resume::Delta(5));
    // Older than the log holds.
    assert_eq!(resume(delta(4), 7, 5, 10), Resume::Start { reset: true });
    // Ahead of anything this log wrote.
    assert_eq!(resume(delta(11), 7, 0, 10), Resume::Start { reset: true });
    // Made for someone else.
    assert_eq!(resume(delta(5), 8, 0, 10), Resume::Start { reset: true });
    let snapshot = Cursor::new(
        7,
        Position::Snapshot {
            at: 3,
            phase: Phase::Stock { after: "k".into() },
        },
    );
    assert_eq!(
        resume(Some(snapshot), 7, 0, 10),
        Resume::Continue(3, Phase::Stock { after: "k".into() })
    );
}

#[test]
fn page_sizes_default_cap_and_refuse_negatives() {
    assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE);
    assert_eq!(page_size(7).unwrap(), 7);
    assert_eq!(page_size(1_000_000).unwrap(), MAX_PAGE);
    assert!(page_size(-1).is_err());
}

#[test]
fn fingerprints_tell_readers_apart() {
    let all: HashSet<u64> = [
        fingerprint(&["u", "a"]),
        fingerprint(&["ua", ""]),
        fingerprint(&["u", ""]),
        fingerprint(&["u"]),
    ]
    .into_iter()
    .collect();
    assert_eq!(all.len(), 4);
    assert_eq!(fingerprint(&["u", "a"]), fingerprint(&["u", "a"]));
}

#[test]
fn a_product_write_records_where_the_product_was() {
    let index = index();
    assert_eq!(
        product_changed(&index, "p-cable"),
        FeedEntry::Product {
            id: "p-cable".into(),
            before: placement("SKU-CABLE", &["elec", "cable"], true),
        }
    );
    assert_eq!(
        product_changed(&index, "p-new"),
        FeedEntry::Product {
            id: "p-new".into(),
            before: None,
        }
    );
}

fn price_list(
    id: &str,
    scope: PriceListScope,
    entries: &[(&str, &str)],
) -> crate::pricing::PriceList {
    crate::pricing::PriceList {
        id: id.into(),
        name: id.into(),
        currency: "EUR".into(),
        scope,
        valid_from: None,
        valid_until: None,
        entries: entries
            .iter()
            .map(|(sku, price)| {
                (
                    sku.to_string(),
                    vec![crate::pricing::PriceBreak {
                        min_quantity: Decimal::ZERO,
                        unit_price: price.parse().unwrap(),
                    }],
                )
            })
            .collect(),
    }
}

#[test]
fn a_price_import_records_only_the_skus_whose_prices_differ() {
    let acc = || PriceListScope::Customer("acc-1".into());
    let before = vec![price_list(
        "l1",
        acc(),
        &[("A", "1"), ("B", "2"), ("C", "3")],
    )];
    let after = vec![
        price_list("l1", acc(), &[("A", "1"), ("B", "2.5"), ("D", "4")]),
        price_list("l2", PriceListScope::Tier("gold".into()), &[("A", "0.9")]),
    ];
    let entries = price_changes(&before, &after);
    let skus: Vec<(&str, Audience)> = entries
        .iter()
        .map(|e| match e {
            FeedEntry::Prices { sku, audience } => (sku.as_str(), audience.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    let account = Audience::Account("acc-1".into());
    assert_eq!(
        skus,
        vec![
            ("B", account.clone()),
            ("D", account.clone()),
            ("C", account),
            ("A", Audience::Tier("gold".into())),
        ]
    );
    // A list moved to another account touches both accounts' prices.
    let moved = vec![price_list(
        "l1",
        PriceListScope::Customer("acc-2".into()),
        &[("A", "1")],
    )];
    let entries = price_changes(&before, &moved);
    assert_eq!(entries.len(), 4);
}

#[test]
fn a_readers_copy_holds_the_orders_of_the_account_it_acts_in_or_a_reps_own() {
    use crate::identity::{CallerKind, Role};
    let caller = |account: Option<&str>, roles: Vec<Role>| Caller {
        kind: CallerKind::User,
        id: "usr-1".into(),
        account_id: account.map(Into::into),
        roles,
        session_id: None,
        on_behalf_of: None,
        assigned_accounts: vec!["acc-9".into(), "acc-2".into(), "acc-9".into()],
        territories: vec![],
    };
    let buyer = Reader::new(
        &caller(Some("acc-1"), vec![Role::Buyer]),
        Some(("acc-1".into(), "gold".into())),
        Visible::Everything,
    );
    assert_eq!(buyer.order_accounts, ["acc-1"]);
    let rep = Reader::new(
        &caller(None, vec![Role::SalesRep]),
        None,
        Visible::Everything,
    );
    assert_eq!(rep.order_accounts, ["acc-2", "acc-9"]);
    let silver = Reader::new(
        &caller(Some("acc-1"), vec![Role::Buyer]),
        Some(("acc-1".into(), "silver".into())),
        Visible::Everything,
    );
    assert_ne!(
        buyer.fingerprint, silver.fingerprint,
        "a new tier starts over"
    );
}
