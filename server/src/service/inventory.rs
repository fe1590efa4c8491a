//! Inventory use cases: applying the ERP's stock feed atomically per
//! warehouse, reading levels, the alert list, and the broadcast of changes
//! that live watches subscribe to.
//!
//! Keys: `stock/<sku>/<warehouse>` levels, `stockseq/<warehouse>` the last
//! applied feed sequence, `stockalert/<warehouse>/<sku>` while a level is
//! below its safety stock.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::broadcast;

use rust_decimal::Decimal;

use crate::store::feed::FeedLog;
use crate::store::versioned::{Versioned, get, get_value, scan};
use crate::store::{Commit, Store, StoreError};
use tradeport_domain::feed::{self, LevelRef};
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::inventory::{
    AlertChange, FeedOutcome, RawLevel, Reservation, StockLevel, alert_change, allocate,
    check_skus, feed_outcome, parse_levels,
};
use tradeport_domain::paging::{Page, PageLimits};

const CHANGES_BUFFERED: usize = 4096;

pub use crate::service::Result;

/// What an applied feed update did.
#[derive(Debug, Clone)]
pub struct FeedResult {
    pub outcome: FeedOutcome,
    pub alerts_raised: Vec<String>,
    pub alerts_cleared: Vec<String>,
}

pub struct Inventory {
    store: Arc<dyn Store>,
    /// Every level written is recorded in the same commit.
    feed: Arc<FeedLog>,
    changes: broadcast::Sender<StockLevel>,
    /// Flips to true when the server shuts down, ending every watch.
    closing: tokio::sync::watch::Sender<bool>,
}

/// Where every stock level's key starts.
const LEVELS: &str = "stock/";

/// The most warehouses one SKU's levels are read from.
const MAX_WAREHOUSES: usize = 1000;

fn level_key(sku: &str, warehouse: &str) -> String {
    format!("{}{warehouse}", sku_levels(sku))
}

/// Where the keys of one SKU's levels start.
fn sku_levels(sku: &str) -> String {
    format!("{LEVELS}{sku}/")
}

/// Whether a store key (as a conflict names it) is a stock level's.
pub fn is_level_key(key: &str) -> bool {
    key.starts_with(LEVELS)
}

/// Stock levels read ahead of a reservation: [`Inventory::read_levels`].
#[derive(Debug, Default)]
pub struct LevelsRead {
    by_sku: HashMap<String, Vec<crate::store::Entry>>,
}

fn alert_key(warehouse: &str, sku: &str) -> String {
    format!("stockalert/{warehouse}/{sku}")
}

fn sequence_key(warehouse: &str) -> String {
    format!("stockseq/{warehouse}")
}

/// Expects the sequence read (or its absence) to be unchanged at commit.
fn expect_sequence(commit: Commit, key: &str, last: Option<&Versioned<u64>>) -> Commit {
    match last {
        Some(last) => commit.expect_version(key, last),
        None => commit.expect_absent(key),
    }
}

impl Inventory {
    pub fn new(store: Arc<dyn Store>, feed: Arc<FeedLog>) -> Self {
        let (changes, _) = broadcast::channel(CHANGES_BUFFERED);
        let (closing, _) = tokio::sync::watch::channel(false);
        Self {
            store,
            feed,
            changes,
            closing,
        }
    }

    /// Resolves when the server starts shutting down.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            // An error means the sender is gone: the server is gone too.
            let _ = closing.wait_for(|closed| *closed).await;
        }
    }

    /// Ends every watch, now and from now on.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Every level change from now on. A watcher that falls more than the
    /// buffer behind is told it lagged and resubscribes.
    pub fn subscribe(&self) -> broadcast::Receiver<StockLevel> {
        self.changes.subscribe()
    }

    /// Applies one feed update for a warehouse, atomically: levels, alerts
    /// and the warehouse's sequence move together or not at all.
    pub fn apply_feed(
        &self,
        warehouse_id: &str,
        sequence: u64,
        raw: &[RawLevel],
    ) -> Result<FeedResult> {
        let levels = parse_levels(warehouse_id, sequence, raw)?;
        let warehouse = warehouse_id.trim();
        // Two feeds racing for one warehouse: the loser re-reads the
        // sequence and, being older, is then reported stale.
        for _ in 0..8 {
            let seq_key = sequence_key(warehouse);
            let last = get::<u64>(self.store.as_ref(), &seq_key)?;
            let outcome = feed_outcome(last.as_ref().map(|l| l.value), sequence);
            if let FeedOutcome::Stale { .. } = outcome {
                return Ok(FeedResult {
                    outcome,
                    alerts_raised: vec![],
                    alerts_cleared: vec![],
                });
            }
            let commit = expect_sequence(Commit::new(), &seq_key, last.as_ref())
                .put_record(&seq_key, &sequence)?;
            let (commit, raised, cleared) = self.stage(commit, warehouse, &levels)?;
            match self.store.commit(commit) {
                Err(StoreError::Conflict { .. }) => continue,
                other => other?,
            }
            self.announce(levels);
            return Ok(FeedResult {
                outcome,
                alerts_raised: raised,
                alerts_cleared: cleared,
            });
        }
        Err(StoreError::Conflict {
            key: sequence_key(warehouse),
        }
        .into())
    }

    /// Sets levels in several warehouses in one atomic step, each
    /// warehouse taking its next feed sequence (a bulk import: the ERP's
    /// next update then follows on). Levels must have been checked.
    pub fn import_levels(&self, by_warehouse: &[(String, Vec<RawLevel>)]) -> Result<()> {
        for _ in 0..8 {
            let mut commit = Commit::new();
            let mut all = Vec::new();
            for (warehouse, raw) in by_warehouse {
                let seq_key = sequence_key(warehouse);
                let last = get::<u64>(self.store.as_ref(), &seq_key)?;
                let sequence = last.as_ref().map_or(0, |l| l.value) + 1;
                let levels = parse_levels(warehouse, sequence, raw)?;
                commit = expect_sequence(commit, &seq_key, last.as_ref())
                    .put_record(&seq_key, &sequence)?;
                commit = self.stage(commit, warehouse, &levels)?.0;
                all.extend(levels);
            }
            match self.store.commit(commit) {
                Err(StoreError::Conflict { .. }) => continue,
                other => other?,
            }
            self.announce(all);
            return Ok(());
        }
        Err(StoreError::Conflict {
            key: "stockseq/".into(),
        }
        .into())
    }

    /// Adds `levels` of one warehouse, with the alerts they raise or
    /// clear and their feed entries, to `commit`. Every level write goes
    /// through here.
    fn stage(
        &self,
        commit: Commit,
        warehouse: &str,
        levels: &[StockLevel],
    ) -> Result<(Commit, Vec<String>, Vec<String>)> {
        let mut befores = Vec::with_capacity(levels.len());
        for level in levels {
            let key = level_key(&level.sku, warehouse);
            befores.push(get_value::<StockLevel>(self.store.as_ref(), &key)?);
        }
        let changes = befores
            .iter()
            .zip(levels)
            .map(|(before, level)| (before.as_ref(), level, warehouse));
        self.stage_changes(commit, changes)
    }

    /// [`Inventory::stage`] for levels, of any warehouses, whose stored
    /// value the caller has read: (as read, new, warehouse).
    fn stage_changes<'a>(
        &self,
        mut commit: Commit,
        changes: impl Iterator<Item = (Option<&'a StockLevel>, &'a StockLevel, &'a str)> + Clone,
    ) -> Result<(Commit, Vec<String>, Vec<String>)> {
        let (mut raised, mut cleared) = (Vec::new(), Vec::new());
        for (before, level, warehouse) in changes.clone() {
            match alert_change(before, level) {
                AlertChange::Raised => {
                    commit = commit.put(alert_key(warehouse, &level.sku), Vec::new());
                    raised.push(level.sku.clone());
                }
                AlertChange::Cleared => {
                    commit = commit.delete(alert_key(warehouse, &level.sku));
                    cleared.push(level.sku.clone());
                }
                AlertChange::Unchanged => {}
            }
            commit = commit.put_record(&level_key(&level.sku, warehouse), level)?;
        }
        // Feed readers read levels from the store: the commit's own ticket
        // is hold enough.
        let levels = changes
            .map(|(_, level, warehouse)| LevelRef {
                sku: level.sku.clone(),
                warehouse: warehouse.to_string(),
            })
            .collect();
        let (commit, _) = self.feed.stage(commit, feed::stock_changed(levels))?;
        Ok((commit, raised, cleared))
    }

    /// Adds reserving `wanted` (SKU, quantity) to `commit`, each SKU from
    /// the warehouses with the most available; returns the reservations and
    /// the levels to [`Inventory::announce`] once the commit holds. Each
    /// level read is expected unchanged, so a feed racing it conflicts.
    pub fn stage_reservations(
        &self,
        mut commit: Commit,
        wanted: &[(String, Decimal)],
        read_ahead: Option<&LevelsRead>,
    ) -> Result<(Commit, Vec<Reservation>, Vec<StockLevel>)> {
        let mut reserved = Vec::new();
        // (as read, new, warehouse)
        let mut changes: Vec<(StockLevel, StockLevel, String)> = Vec::new();
        for (sku, quantity) in wanted {
            let scanned;
            let raw = match read_ahead.and_then(|r| r.by_sku.get(sku)) {
                Some(raw) => raw,
                None => {
                    scanned = self.scan_levels(sku)?;
                    &scanned
                }
            };
            let mut current = Vec::with_capacity(raw.len());
            for (key, bytes) in raw {
                current.push(crate::store::decode::<StockLevel>(key, bytes)?);
            }
            let taken = allocate(&current, *quantity);
            let short = taken.iter().map(|(_, take)| *take).sum::<Decimal>() < *quantity;
            let mut expected = vec![false; raw.len()];
            for (warehouse, take) in taken {
                let Some(i) = current.iter().position(|l| l.warehouse_id == warehouse) else {
                    continue;
                };
                let mut next = current[i].clone();
                next.reserved += take;
                expected[i] = true;
                reserved.push((sku.clone(), warehouse.clone(), take));
                changes.push((current[i].clone(), next, warehouse));
            }
            // Levels not taken from matter only when the SKU is short:
            // one of them may have gained stock since it was read, and
            // the order must not be backordered for what is there.
            for (i, (key, bytes)) in raw.iter().enumerate() {
                if expected[i] || short {
                    commit = commit.expect(key.clone(), Some(bytes.clone()));
                }
            }
        }
        // Every level's write, alert and feed entry at once.
        let (commit, _, _) = self.stage_changes(
            commit,
            changes
                .iter()
                .map(|(before, next, warehouse)| (Some(before), next, warehouse.as_str())),
        )?;
        let changed = changes.into_iter().map(|(_, next, _)| next).collect();
        Ok((commit, reserved, changed))
    }

    /// The stored levels of `skus`, read ahead of the turn in which they
    /// are reserved from. What is reserved from them is expected unchanged
    /// at commit, so a level that moved meanwhile makes the commit conflict
    /// on its key (see [`is_level_key`]) and the reservation is staged
    /// again from fresh reads.
    pub fn read_levels<'a>(&self, skus: impl IntoIterator<Item = &'a str>) -> Result<LevelsRead> {
        let mut by_sku = HashMap::new();
        for sku in skus {
            if !by_sku.contains_key(sku) {
                by_sku.insert(sku.to_string(), self.scan_levels(sku)?);
            }
        }
        Ok(LevelsRead { by_sku })
    }

    /// A SKU's levels as stored: raw, because a commit expects exactly the
    /// bytes it allocated from.
    fn scan_levels(&self, sku: &str) -> Result<Vec<crate::store::Entry>> {
        Ok(self.store.scan(
            crate::store::KeyRange::prefix(sku_levels(sku).as_bytes()),
            MAX_WAREHOUSES,
        )?)
    }

    /// Adds giving back `reservations` (SKU, warehouse, quantity) to
    /// `commit` — an order cancelled — or taking them out of stock for
    /// good when `shipped`.
    pub fn stage_release(
        &self,
        mut commit: Commit,
        reservations: &[Reservation],
        shipped: bool,
    ) -> Result<(Commit, Vec<StockLevel>)> {
        let mut changed = Vec::new();
        for (sku, warehouse, quantity) in reservations {
            let key = level_key(sku, warehouse);
            let Some(level) = get::<StockLevel>(self.store.as_ref(), &key)? else {
                continue;
            };
            let mut next = level.value.clone();
            next.reserved = (next.reserved - quantity).max(Decimal::ZERO);
            if shipped {
                next.on_hand = (next.on_hand - quantity).max(Decimal::ZERO);
            }
            commit = commit.expect_version(&key, &level);
            commit = self
                .stage(commit, warehouse, std::slice::from_ref(&next))?
                .0;
            changed.push(next);
        }
        Ok((commit, changed))
    }

    /// Tells every watch about levels a commit changed.
    pub fn announce(&self, levels: Vec<StockLevel>) {
        for level in levels {
            // No watcher is fine: the send only fails when none listens.
            let _ = self.changes.send(level);
        }
    }

    /// Every level, by SKU then warehouse, a page at a time: up to `limit`
    /// after the level key `after`.
    pub fn all_levels(
        &self,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, StockLevel)>> {
        Ok(scan::<StockLevel>(
            self.store.as_ref(),
            LEVELS,
            after,
            limit,
        )?)
    }

    /// One warehouse's level of `sku`, if it has one.
    pub fn level(&self, sku: &str, warehouse: &str) -> Result<Option<StockLevel>> {
        Ok(get_value::<StockLevel>(
            self.store.as_ref(),
            &level_key(sku, warehouse),
        )?)
    }

    /// Whether `warehouse` can sell some of `sku` now. A store failure
    /// reads as "no": a search filter must not fail a whole search.
    pub fn has_available(&self, sku: &str, warehouse: &str) -> bool {
        match get::<StockLevel>(self.store.as_ref(), &level_key(sku, warehouse)) {
            Ok(level) => level.is_some_and(|l| l.value.available() > rust_decimal::Decimal::ZERO),
            Err(error) => {
                tracing::warn!(%error, sku, warehouse, "stock level unreadable");
                false
            }
        }
    }

    /// Every warehouse's level of each SKU, for a caller's request.
    fn levels(&self, skus: &[String]) -> Result<Vec<StockLevel>> {
        check_skus(skus)?;
        self.levels_of(skus)
    }

    /// Every warehouse's level of each SKU, for a bounded list the server
    /// made itself (a quick order's lines).
    pub fn levels_of(&self, skus: &[String]) -> Result<Vec<StockLevel>> {
        let mut out = Vec::new();
        for sku in skus {
            out.extend(
                scan::<StockLevel>(self.store.as_ref(), &sku_levels(sku), None, MAX_WAREHOUSES)?
                    .into_iter()
                    .map(|(_, l)| l),
            );
        }
        Ok(out)
    }

    /// Levels below their safety stock, by warehouse then SKU.
    fn alerts(&self) -> Result<Vec<StockLevel>> {
        let mut out = Vec::new();
        for (key, _) in self
            .store
            .scan(crate::store::KeyRange::prefix(b"stockalert/"), 1_000_000)?
        {
            let rest = String::from_utf8_lossy(&key["stockalert/".len()..]).into_owned();
            if let Some((warehouse, sku)) = rest.split_once('/')
                && let Some(level) =
                    get_value::<StockLevel>(self.store.as_ref(), &level_key(sku, warehouse))?
            {
                out.push(level);
            }
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> Result<bool> {
        Ok(self
            .store
            .scan(crate::store::KeyRange::prefix(b"stockseq/"), 1)?
            .is_empty())
    }
}

/// A watch of some SKUs' stock.
pub struct StockWatch<F> {
    /// Their levels when the watch began.
    pub snapshot: Vec<StockLevel>,
    /// Every level change since.
    pub changes: broadcast::Receiver<StockLevel>,
    /// Whether a change is of a watched SKU.
    pub wants: F,
}

const ALERT_PAGES: PageLimits = PageLimits {
    default_size: 100,
    max_size: 1000,
};

/// What callers ask of stock. Every signed-in caller may read levels (as
/// they may browse); the ERP's feed and the alert list have roles of
/// their own.
impl Inventory {
    /// Every warehouse's level of each of `skus`.
    pub fn stock(&self, caller: &Caller, skus: &[String]) -> Result<Vec<StockLevel>> {
        caller.authorize_action(Action::CatalogRead)?;
        self.levels(skus)
    }

    /// A watch of `skus`, subscribed to changes before their levels are
    /// read: a change landing between the two is seen twice at worst,
    /// never missed.
    pub fn watch(
        &self,
        caller: &Caller,
        skus: Vec<String>,
    ) -> Result<StockWatch<impl Fn(&StockLevel) -> bool + Send + 'static>> {
        caller.authorize_action(Action::CatalogRead)?;
        check_skus(&skus)?;
        let changes = self.subscribe();
        let snapshot = self.levels(&skus)?;
        let wanted: std::collections::HashSet<String> = skus.into_iter().collect();
        Ok(StockWatch {
            snapshot,
            changes,
            wants: move |level: &StockLevel| wanted.contains(&level.sku),
        })
    }

    /// The ERP's update of one warehouse (see [`Inventory::apply_feed`]).
    pub fn feed_stock(
        &self,
        caller: &Caller,
        warehouse_id: &str,
        sequence: u64,
        raw: &[RawLevel],
    ) -> Result<FeedResult> {
        caller.authorize_action(Action::FeedStock)?;
        self.apply_feed(warehouse_id, sequence, raw)
    }

    /// A page of the levels below their safety stock, and the next
    /// page's token.
    pub fn alert_page(
        &self,
        caller: &Caller,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<StockLevel>, String)> {
        caller.authorize_action(Action::ReadStockAlerts)?;
        let mut alerts = self.alerts()?;
        let page = Page::parse(page_size, page_token, 1, ALERT_PAGES)?;
        let next_page_token = page.next_token(alerts.len());
        let window = page.window(alerts.len());
        Ok((alerts.drain(window).collect(), next_page_token))
    }
}
