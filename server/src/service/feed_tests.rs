//! The feed over a real store and the demo data: a snapshot in pages, then
//! exactly the changes made since, then a reset when the assortment moves.

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;

use super::*;
use crate::config::Config;
use crate::service::ServiceError;
use crate::service::orders::{LineInput, Submission};
use crate::store::{SledStore, Store};
use tradeport_domain::DomainError;
use tradeport_domain::catalog::{Assortment, AssortmentScope};
use tradeport_domain::identity::{CallerKind, Role};
use tradeport_domain::inventory::RawLevel;

struct Demo {
    _dir: tempfile::TempDir,
    app: crate::App,
    /// The standard-tier customer (their assortment excludes tools).
    account: String,
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    let config = Config {
        demo: true,
        demo_order_history: false,
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let app = crate::App::with_store(config, store).unwrap();
    let identity = Arc::clone(app.identity());
    let account = app
        .demo_credentials()
        .unwrap()
        .accounts
        .iter()
        .map(|(_, id)| id.clone())
        .find(|id| identity.account_record(id).unwrap().unwrap().tier == "standard")
        .expect("a standard-tier demo account");
    Demo {
        _dir: dir,
        app,
        account,
    }
}

fn buyer(account: &str) -> Caller {
    Caller {
        kind: CallerKind::User,
        id: "feed-test-buyer".into(),
        account_id: Some(account.to_string()),
        roles: vec![Role::Buyer],
        session_id: None,
        on_behalf_of: None,
        assigned_accounts: vec![],
        territories: vec![],
    }
}

/// What a device holds: applied page by page as the feed says.
#[derive(Default)]
struct Copy {
    products: HashMap<String, PricedProduct>,
    stock: HashMap<(String, String), StockLevel>,
    orders: HashMap<String, Order>,
    cursor: String,
    pages: usize,
    resets: usize,
}

impl Copy {
    /// Pulls until up to date; returns every change of the pulls.
    fn sync(&mut self, feed: &Feed, caller: &Caller, page_size: i32) -> Vec<Change> {
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let page = feed.pull(caller, &self.cursor, page_size).unwrap();
            assert!(page.changes.len() <= tradeport_domain::feed::page_size(page_size).unwrap());
            if page.reset {
                self.resets += 1;
                self.products.clear();
                self.stock.clear();
                self.orders.clear();
                all.clear();
            }
            for change in &page.changes {
                match change {
                    Change::Product(p) => {
                        self.products.insert(p.product.id.clone(), p.clone());
                    }
                    Change::ProductRemoved(id) => {
                        self.products.remove(id);
                    }
                    Change::Stock(level) => {
                        self.stock.insert(
                            (level.sku.clone(), level.warehouse_id.clone()),
                            level.clone(),
                        );
                    }
                    Change::Order(order) => {
                        self.orders.insert(order.id.clone(), (**order).clone());
                    }
                }
            }
            all.extend(page.changes);
            self.cursor = page.next_cursor;
            self.pages += 1;
            if page.up_to_date {
                return all;
            }
        }
        panic!("the feed never came up to date");
    }
}

fn is_tool(path: &[String]) -> bool {
    path.iter().any(|c| c == "cat-to")
}

#[test]
fn a_snapshot_then_exactly_the_changes_since_then_a_reset_when_the_assortment_moves() {
    let demo = demo();
    let feed = demo.app.feed();
    let caller = buyer(&demo.account);
    let view = feed.catalog.view();
    let visible = Buyer::visible(
        Buyer::of(&caller, &feed.identity, &feed.catalog)
            .unwrap()
            .as_ref(),
        &view,
    );
    let expected: BTreeSet<String> = view
        .index
        .products()
        .filter(|(_, p)| view.index.may_see(p, &visible))
        .map(|(_, p)| p.id.clone())
        .collect();
    assert!(expected.len() > 10);
    assert!(
        view.index
            .products()
            .any(|(_, p)| is_tool(view.index.path(p))),
        "the demo has tools, which standard customers do not see"
    );

    // 1. The snapshot, in small pages.
    let mut copy = Copy::default();
    copy.sync(feed, &caller, 97);
    assert!(copy.pages > 2);
    let held: BTreeSet<String> = copy.products.keys().cloned().collect();
    assert_eq!(held, expected);
    assert!(copy.products.values().all(|p| !is_tool(&p.path)));
    let priced = copy.products.values().next().unwrap();
    let (currency, price) = priced.your_price.clone().unwrap();
    assert_eq!(currency, "EUR");
    assert_eq!(priced.price_breaks[0], (Decimal::ZERO, price));
    assert_eq!(
        copy.stock.len(),
        3 * expected.len(),
        "three warehouses each"
    );
    assert!(copy.orders.is_empty());

    // Caught up: nothing more.
    let quiet = feed.pull(&caller, &copy.cursor, 0).unwrap();
    assert!(quiet.changes.is_empty() && quiet.up_to_date && !quiet.reset);

    // 2. Changes: one visible product renamed, one tool renamed (not the
    // customer's), a stock feed for the renamed product, an order.
    let product = view
        .index
        .products()
        .map(|(_, p)| p)
        .find(|p| {
            expected.contains(&p.id)
                && p.sku.starts_with("TP-EL-")
                && p.quantity_rule.minimum.is_zero()
                && p.quantity_rule.multiple.is_none()
        })
        .unwrap()
        .clone();
    let tool = view
        .index
        .products()
        .map(|(_, p)| p)
        .find(|p| is_tool(view.index.path(p)))
        .unwrap()
        .clone();
    for (p, name) in [
        (&product, "Renamed for the feed"),
        (&tool, "A renamed tool"),
    ] {
        let mut patch = (**p).clone();
        patch.name = name.into();
        feed.catalog
            .update_product("manager", "", patch, &["name".to_string()])
            .unwrap();
    }
    feed.inventory
        .apply_feed(
            "WH-HAM",
            2,
            &[RawLevel {
                sku: product.sku.clone(),
                on_hand: "777".into(),
                reserved: "0".into(),
                safety_stock: "5".into(),
                incoming: vec![],
            }],
        )
        .unwrap();
    let order = feed
        .orders
        .submit(
            &caller,
            Submission {
                lines: vec![LineInput {
                    sku: product.sku.clone(),
                    quantity: "3".into(),
                    expected_unit_price: String::new(),
                }],
                po_number: "PO-FEED".into(),
                ..Default::default()
            },
        )
        .unwrap();

    // 3. The delta: exactly those, each once, as they are now.
    let changes = copy.sync(feed, &caller, 0);
    let mut products = Vec::new();
    let mut levels = BTreeSet::new();
    let mut orders = Vec::new();
    for change in &changes {
        match change {
            Change::Product(p) => products.push(p.product.name.clone()),
            Change::ProductRemoved(id) => panic!("nothing was removed, yet {id}"),
            Change::Stock(l) => {
                levels.insert((l.sku.clone(), l.warehouse_id.clone()));
            }
            Change::Order(o) => orders.push(o.id.clone()),
        }
    }
    assert_eq!(products, vec!["Renamed for the feed".to_string()]);
    assert_eq!(orders, vec![order.id.clone()]);
    let mut expected_levels: BTreeSet<(String, String)> = order
        .reservations
        .iter()
        .map(|(sku, warehouse, _)| (sku.clone(), warehouse.clone()))
        .collect();
    expected_levels.insert((product.sku.clone(), "WH-HAM".into()));
    assert_eq!(levels, expected_levels);
    assert_eq!(changes.len(), 2 + expected_levels.len());
    let ham = &copy.stock[&(product.sku.clone(), "WH-HAM".to_string())];
    assert_eq!(ham.on_hand, Decimal::from(777));
    assert_eq!(copy.orders[&order.id].po_number, "PO-FEED");

    // 4. The standard tier loses electrical: the device starts over, and
    // the electrical products leave it.
    let mut narrowed = view
        .assortments
        .iter()
        .find(|a| a.scope == AssortmentScope::Tier("standard".into()))
        .unwrap()
        .clone();
    narrowed.categories.retain(|c| c != "cat-el");
    feed.catalog.put_assortment(narrowed).unwrap();
    let resets = copy.resets;
    copy.sync(feed, &caller, 500);
    assert_eq!(copy.resets, resets + 1);
    assert!(!copy.products.contains_key(&product.id));
    assert!(
        copy.products
            .values()
            .all(|p| !p.path.iter().any(|c| c == "cat-el" || c == "cat-to"))
    );
    assert!(!copy.products.is_empty());
    assert!(copy.orders.contains_key(&order.id), "orders come back too");

    // Another account's assortment is none of this customer's business.
    feed.catalog
        .put_assortment(Assortment {
            id: "someone-else".into(),
            name: "Someone else".into(),
            scope: AssortmentScope::Account("acc-elsewhere".into()),
            categories: vec!["cat-el".into()],
            skus: vec![],
        })
        .unwrap();
    let after = feed.pull(&caller, &copy.cursor, 0).unwrap();
    assert!(!after.reset && after.changes.is_empty() && after.up_to_date);
}

#[test]
fn a_garbage_cursor_is_refused_naming_the_field() {
    let demo = demo();
    let caller = buyer(&demo.account);
    match demo.app.feed().pull(&caller, "definitely-not-a-cursor", 0) {
        Err(ServiceError::Domain(DomainError::InvalidArgument { violations, .. })) => {
            assert_eq!(violations[0].field, "cursor")
        }
        other => panic!("{:?}", other.map(|p| p.changes.len())),
    }
    match demo.app.feed().pull(&caller, "", -1) {
        Err(ServiceError::Domain(DomainError::InvalidArgument { violations, .. })) => {
            assert_eq!(violations[0].field, "page_size")
        }
        other => panic!("{:?}", other.map(|p| p.changes.len())),
    }
}

#[test]
fn a_cursor_made_for_another_account_starts_over() {
    let demo = demo();
    let feed = demo.app.feed();
    let first = feed.pull(&buyer(&demo.account), "", 10).unwrap();
    assert!(!first.reset);
    let other = demo
        .app
        .demo_credentials()
        .unwrap()
        .accounts
        .iter()
        .map(|(_, id)| id.clone())
        .find(|id| *id != demo.account)
        .unwrap();
    let page = feed.pull(&buyer(&other), &first.next_cursor, 10).unwrap();
    assert!(page.reset);
}
