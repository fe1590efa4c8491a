//! The device's read-only copy of the reference-data feed: products at the
//! caller's prices, stock levels and the caller's orders, kept in one sled
//! tree with the feed's cursor, and the search index over the products.
//!
//! A page of the feed is applied as ONE atomic batch on that tree, its
//! `next_cursor` included, so a crash between pages never skips a page nor
//! applies one twice; a page that starts a new snapshot (`reset`) drops the
//! old copy in that same batch. Changes carry whole items, so applying one
//! again is harmless. A malformed page is refused whole: nothing of it is
//! stored. This module never decides anything the server decides; what it
//! holds is only ever replaced by what the server sends. `categories` is
//! the category tree kept beside the products, and the local products by
//! category.

mod categories;

use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use prost::Message;
use tradeport_proto::catalog::{Product, StockLevel};
use tradeport_proto::orders::Order;
use tradeport_proto::sync::{ProductEntry, PullReferenceDataResponse, reference_change};

use categories::CategoryIndex;
pub use categories::LocalCategory;

use crate::Error;
use crate::local_db::{LocalDb, REFERENCE_TREE};
use crate::search::{Indexed, SearchHit, SearchIndex};

const PRODUCT: &[u8] = b"p/";
const STOCK: &[u8] = b"s/";
const ORDER: &[u8] = b"o/";
const CURSOR: &[u8] = b"cursor";

fn key(prefix: &[u8], parts: &[&str]) -> Vec<u8> {
    let mut key = prefix.to_vec();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            // Ids and SKUs never hold NUL; it keeps "A" apart from "AB".
            key.push(0);
        }
        key.extend_from_slice(part.as_bytes());
    }
    key
}

fn stock_prefix(sku: &str) -> Vec<u8> {
    let mut prefix = key(STOCK, &[sku]);
    prefix.push(0);
    prefix
}

fn decode<M: Message + Default>(bytes: &[u8], what: impl Fn() -> String) -> Result<M, Error> {
    M::decode(bytes).map_err(|e| Error::Corrupt {
        what: what(),
        reason: e.to_string(),
    })
}

fn indexed(entry: &ProductEntry) -> Option<Indexed> {
    let p = entry.product.as_ref()?;
    Some(Indexed {
        id: p.id.clone(),
        sku: p.sku.clone(),
        barcode: p.barcode.clone(),
        name: p.name.clone(),
    })
}

/// What applying one page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Applied {
    pub changes: u64,
    /// Changes of a kind this SDK does not know (a newer server), skipped.
    pub skipped: u64,
}

enum IndexOp {
    Upsert(Indexed, Box<Product>),
    Remove(String),
}

pub(crate) struct ReferenceData {
    tree: sled::Tree,
    index: RwLock<SearchIndex>,
    /// Patched with `index`, under its lock's turn: never out of step.
    categories: RwLock<CategoryIndex>,
}

impl std::fmt::Debug for ReferenceData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceData")
            .field("index", &*self.index())
            .finish()
    }
}

impl ReferenceData {
    /// Opens the copy and builds the search index from it.
    pub(crate) fn open(db: &LocalDb) -> Result<Self, Error> {
        let tree = db.tree(REFERENCE_TREE)?;
        let mut index = SearchIndex::default();
        let mut categories = CategoryIndex::default();
        for entry in tree.scan_prefix(PRODUCT) {
            let (k, v) = entry?;
            let entry: ProductEntry = decode(&v, || {
                format!("local product {}", String::from_utf8_lossy(&k))
            })?;
            if let Some(item) = indexed(&entry) {
                index.upsert(item);
            }
            if let Some(product) = &entry.product {
                categories.upsert(product);
            }
        }
        Ok(Self {
            tree,
            index: RwLock::new(index),
            categories: RwLock::new(categories),
        })
    }

    // The index is rebuilt from the tree on open, and a panic while
    // patching it cannot corrupt the tree: a poisoned lock is still usable.
    fn index(&self) -> RwLockReadGuard<'_, SearchIndex> {
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn index_mut(&self) -> RwLockWriteGuard<'_, SearchIndex> {
        self.index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cursor to send with the next pull; empty before the first page.
    pub(crate) fn cursor(&self) -> Result<String, Error> {
        match self.tree.get(CURSOR)? {
            None => Ok(String::new()),
            Some(raw) => String::from_utf8(raw.to_vec()).map_err(|e| Error::Corrupt {
                what: "the reference-data cursor".into(),
                reason: e.to_string(),
            }),
        }
    }

    /// Applies one page with its cursor atomically, then patches the index.
    pub(crate) fn apply_page(
        &self,
        db: &LocalDb,
        page: &PullReferenceDataResponse,
    ) -> Result<Applied, Error> {
        // The page's net effect, key by key, in order: later changes of a
        // key win, as applying them one by one would.
        let mut planned: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        if page.reset {
            for k in self.tree.iter().keys() {
                planned.insert(k?.to_vec(), None);
            }
        }
        let current = |planned: &BTreeMap<Vec<u8>, Option<Vec<u8>>>,
                       k: &[u8]|
         -> Result<Option<Vec<u8>>, Error> {
            match planned.get(k) {
                Some(v) => Ok(v.clone()),
                None => Ok(self.tree.get(k)?.map(|v| v.to_vec())),
            }
        };
        let mut ops = Vec::new();
        let mut applied = Applied::default();
        for (i, change) in page.changes.iter().enumerate() {
            let bad = |reason: &str| Error::Corrupt {
                what: format!("change {i} of a reference-data page"),
                reason: reason.to_string(),
            };
            match &change.change {
                Some(reference_change::Change::Product(entry)) => {
                    let item =
                        indexed(entry).ok_or_else(|| bad("a product entry without a product"))?;
                    if item.id.is_empty() {
                        return Err(bad("a product without an id"));
                    }
                    planned.insert(key(PRODUCT, &[&item.id]), Some(entry.encode_to_vec()));
                    let product = entry.product.clone().unwrap_or_default();
                    ops.push(IndexOp::Upsert(item, Box::new(product)));
                }
                Some(reference_change::Change::ProductRemoved(id)) => {
                    if id.is_empty() {
                        return Err(bad("a removed product without an id"));
                    }
                    let product_key = key(PRODUCT, &[id]);
                    if let Some(old) = current(&planned, &product_key)? {
                        let old: ProductEntry = decode(&old, || format!("local product {id}"))?;
                        let sku = old.product.map(|p| p.sku).unwrap_or_default();
                        // Its stock goes with it: the caller no longer sees it.
                        let prefix = stock_prefix(&sku);
                        for k in self.tree.scan_prefix(&prefix).keys() {
                            planned.insert(k?.to_vec(), None);
                        }
                        let pending: Vec<Vec<u8>> = planned
                            .range(prefix.clone()..)
                            .take_while(|(k, _)| k.starts_with(&prefix))
                            .map(|(k, _)| k.clone())
                            .collect();
                        for k in pending {
                            planned.insert(k, None);
                        }
                    }
                    planned.insert(product_key, None);
                    ops.push(IndexOp::Remove(id.clone()));
                }
                Some(reference_change::Change::Stock(level)) => {
                    if level.sku.is_empty() {
                        return Err(bad("a stock level without a SKU"));
                    }
                    let k = key(STOCK, &[&level.sku, &level.warehouse_id]);
                    planned.insert(k, Some(level.encode_to_vec()));
                }
                Some(reference_change::Change::Order(order)) => {
                    if order.id.is_empty() {
                        return Err(bad("an order without an id"));
                    }
                    planned.insert(key(ORDER, &[&order.id]), Some(order.encode_to_vec()));
                }
                None => {
                    // A kind of change newer than this SDK: skipping it
                    // keeps the rest of the copy current.
                    applied.skipped += 1;
                    continue;
                }
            }
            applied.changes += 1;
        }
        planned.insert(CURSOR.to_vec(), Some(page.next_cursor.clone().into_bytes()));

        let mut batch = sled::Batch::default();
        for (k, v) in planned {
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        db.apply_batch(&self.tree, batch)?;

        let mut index = self.index_mut();
        let mut categories = self.categories_mut();
        if page.reset {
            index.clear();
            categories.clear();
        }
        for op in ops {
            match op {
                IndexOp::Upsert(item, product) => {
                    index.upsert(item);
                    categories.upsert(&product);
                }
                IndexOp::Remove(id) => {
                    index.remove(&id);
                    categories.remove(&id);
                }
            }
        }
        Ok(applied)
    }

    pub(crate) fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        self.index().search(query, limit)
    }

    pub(crate) fn product_count(&self) -> usize {
        self.index().len()
    }

    /// A product by its id, or else by its SKU.
    pub(crate) fn product(&self, id_or_sku: &str) -> Result<Option<ProductEntry>, Error> {
        let what = || format!("local product {id_or_sku}");
        if let Some(raw) = self.tree.get(key(PRODUCT, &[id_or_sku]))? {
            return decode(&raw, what).map(Some);
        }
        let id = self.index().id_of_sku(id_or_sku).map(str::to_string);
        match id {
            Some(id) => match self.tree.get(key(PRODUCT, &[&id]))? {
                Some(raw) => decode(&raw, what).map(Some),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// The SKU's stock level in each warehouse.
    pub(crate) fn stock(&self, sku: &str) -> Result<Vec<StockLevel>, Error> {
        self.tree
            .scan_prefix(stock_prefix(sku))
            .values()
            .map(|v| decode(&v?, || format!("local stock of {sku}")))
            .collect()
    }

    /// The caller's orders, newest first.
    pub(crate) fn orders(&self) -> Result<Vec<Order>, Error> {
        let mut orders = self
            .tree
            .scan_prefix(ORDER)
            .values()
            .map(|v| decode::<Order>(&v?, || "a local order".into()))
            .collect::<Result<Vec<_>, _>>()?;
        let placed = |o: &Order| o.placed_time.map(|t| (t.seconds, t.nanos));
        orders.sort_by(|a, b| placed(b).cmp(&placed(a)).then_with(|| b.id.cmp(&a.id)));
        Ok(orders)
    }

    pub(crate) fn order(&self, id: &str) -> Result<Option<Order>, Error> {
        match self.tree.get(key(ORDER, &[id]))? {
            Some(raw) => decode(&raw, || format!("local order {id}")).map(Some),
            None => Ok(None),
        }
    }

    /// Keeps an order the server just answered with, unless the feed
    /// already brought it (its state would be as new or newer).
    pub(crate) fn remember_order(&self, order: &Order) -> Result<(), Error> {
        if order.id.is_empty() {
            return Ok(());
        }
        // A single-key compare-and-swap: no batch, no lock needed.
        let _ = self.tree.compare_and_swap(
            key(ORDER, &[&order.id]),
            None as Option<&[u8]>,
            Some(order.encode_to_vec()),
        )?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tradeport_proto::catalog::Product;
    use tradeport_proto::common::Money;
    use tradeport_proto::sync::{PriceBreak, ReferenceChange};

    pub(crate) fn product(id: &str, sku: &str, name: &str, price: &str) -> ReferenceChange {
        ReferenceChange {
            change: Some(reference_change::Change::Product(ProductEntry {
                product: Some(Product {
                    id: id.into(),
                    sku: sku.into(),
                    name: name.into(),
                    ..Default::default()
                }),
                price_breaks: vec![PriceBreak {
                    min_quantity: "1".into(),
                    unit_price: Some(Money {
                        currency_code: "EUR".into(),
                        amount: price.into(),
                    }),
                }],
            })),
        }
    }

    fn removed(id: &str) -> ReferenceChange {
        ReferenceChange {
            change: Some(reference_change::Change::ProductRemoved(id.into())),
        }
    }

    fn stock(sku: &str, warehouse: &str, on_hand: &str) -> ReferenceChange {
        ReferenceChange {
            change: Some(reference_change::Change::Stock(StockLevel {
                sku: sku.into(),
                warehouse_id: warehouse.into(),
                on_hand: on_hand.into(),
                ..Default::default()
            })),
        }
    }

    fn order(id: &str, seconds: i64) -> ReferenceChange {
        ReferenceChange {
            change: Some(reference_change::Change::Order(Order {
                id: id.into(),
                placed_time: Some(prost_types_timestamp(seconds)),
                ..Default::default()
            })),
        }
    }

    fn prost_types_timestamp(seconds: i64) -> ::prost_types::Timestamp {
        ::prost_types::Timestamp { seconds, nanos: 0 }
    }

    fn page(changes: Vec<ReferenceChange>, cursor: &str, reset: bool) -> PullReferenceDataResponse {
        PullReferenceDataResponse {
            changes,
            next_cursor: cursor.into(),
            up_to_date: false,
            reset,
            snapshot_pages: 0,
        }
    }

    fn open(dir: &std::path::Path) -> (LocalDb, ReferenceData) {
        let db = LocalDb::open(dir).unwrap();
        let reference = ReferenceData::open(&db).unwrap();
        (db, reference)
    }

    #[test]
    fn a_page_stores_its_changes_and_cursor_and_reapplying_it_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (db, data) = open(dir.path());
        assert_eq!(data.cursor().unwrap(), "");
        let first = page(
            vec![
                product("p1", "A-1", "Brass valve", "10"),
                product("p2", "B-2", "Copper pipe", "3"),
                stock("A-1", "wh1", "5"),
                stock("A-1", "wh2", "7"),
                order("o1", 100),
                order("o2", 200),
                product("p1", "A-1", "Brass ball valve", "11"),
            ],
            "c1",
            false,
        );
        let applied = data.apply_page(&db, &first).unwrap();
        assert_eq!(applied.changes, 7);
        let check = |data: &ReferenceData| {
            assert_eq!(data.cursor().unwrap(), "c1");
            assert_eq!(data.product_count(), 2);
            let p1 = data.product("A-1").unwrap().unwrap();
            assert_eq!(
                p1.product.unwrap().name,
                "Brass ball valve",
                "the later change wins"
            );
            assert_eq!(data.stock("A-1").unwrap().len(), 2);
            let ids: Vec<String> = data.orders().unwrap().into_iter().map(|o| o.id).collect();
            assert_eq!(ids, ["o2", "o1"], "newest first");
            assert_eq!(data.search("ball", 10).len(), 1);
        };
        check(&data);
        data.apply_page(&db, &first).unwrap();
        check(&data);
        // And after a reopen, from disk, with the index rebuilt.
        drop(data);
        drop(db);
        let (_db, data) = open(dir.path());
        check(&data);
    }

    #[test]
    fn a_removed_product_takes_its_stock_and_leaves_search() {
        let dir = tempfile::tempdir().unwrap();
        let (db, data) = open(dir.path());
        data.apply_page(
            &db,
            &page(
                vec![
                    product("p1", "A-1", "Brass valve", "10"),
                    product("p2", "A-10", "Brass fitting", "2"),
                    stock("A-1", "wh1", "5"),
                    stock("A-10", "wh1", "9"),
                ],
                "c1",
                false,
            ),
        )
        .unwrap();
        data.apply_page(
            &db,
            &page(vec![removed("p1"), removed("nope")], "c2", false),
        )
        .unwrap();
        assert_eq!(data.product("p1").unwrap(), None);
        assert_eq!(data.product("A-1").unwrap(), None);
        assert!(data.stock("A-1").unwrap().is_empty());
        assert_eq!(
            data.stock("A-10").unwrap().len(),
            1,
            "a longer SKU keeps its stock"
        );
        let hits: Vec<String> = data.search("brass", 10).into_iter().map(|h| h.id).collect();
        assert_eq!(hits, ["p2"]);
        assert_eq!(data.cursor().unwrap(), "c2");

        // Added and removed within one page: gone, stock included.
        data.apply_page(
            &db,
            &page(
                vec![
                    product("p3", "C-3", "Temp", "1"),
                    stock("C-3", "wh1", "1"),
                    removed("p3"),
                ],
                "c3",
                false,
            ),
        )
        .unwrap();
        assert_eq!(data.product("p3").unwrap(), None);
        assert!(data.stock("C-3").unwrap().is_empty());
        assert!(data.search("temp", 10).is_empty());
    }

    #[test]
    fn a_reset_page_replaces_everything_in_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let (db, data) = open(dir.path());
        data.apply_page(
            &db,
            &page(
                vec![
                    product("p1", "A-1", "Old one", "10"),
                    stock("A-1", "wh1", "5"),
                    order("o1", 1),
                ],
                "c1",
                false,
            ),
        )
        .unwrap();
        data.apply_page(
            &db,
            &page(vec![product("p9", "Z-9", "New one", "1")], "s1", true),
        )
        .unwrap();
        assert_eq!(data.product("p1").unwrap(), None);
        assert!(data.stock("A-1").unwrap().is_empty());
        assert!(data.orders().unwrap().is_empty());
        assert!(data.search("old", 10).is_empty());
        assert_eq!(data.search("new", 10).len(), 1);
        assert_eq!(data.product_count(), 1);
        assert_eq!(data.cursor().unwrap(), "s1");
    }

    #[test]
    fn a_malformed_page_is_refused_whole_and_unknown_changes_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (db, data) = open(dir.path());
        let bad = page(
            vec![
                product("p1", "A-1", "Fine", "1"),
                product("", "B", "No id", "1"),
            ],
            "c1",
            false,
        );
        assert!(matches!(
            data.apply_page(&db, &bad),
            Err(Error::Corrupt { .. })
        ));
        assert_eq!(data.product("p1").unwrap(), None, "nothing of it stored");
        assert_eq!(data.cursor().unwrap(), "", "the cursor did not move");

        let newer = page(
            vec![
                ReferenceChange { change: None },
                product("p1", "A-1", "Fine", "1"),
            ],
            "c1",
            false,
        );
        let applied = data.apply_page(&db, &newer).unwrap();
        assert_eq!((applied.changes, applied.skipped), (1, 1));
    }

    #[test]
    fn an_order_the_server_answered_with_never_overwrites_the_feeds() {
        let dir = tempfile::tempdir().unwrap();
        let (db, data) = open(dir.path());
        data.apply_page(&db, &page(vec![order("o1", 5)], "c1", false))
            .unwrap();
        let older = Order {
            id: "o1".into(),
            number: "stale".into(),
            ..Default::default()
        };
        data.remember_order(&older).unwrap();
        assert_eq!(data.order("o1").unwrap().unwrap().number, "");
        data.remember_order(&Order {
            id: "o2".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(data.orders().unwrap().len(), 2);
    }
}
