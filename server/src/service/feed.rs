//! The reference-data feed: what a device keeps of the catalog at its
//! user's prices, stock and their orders, pulled page by page with a
//! cursor. A first pull (or a reset) walks a snapshot pinned at a log
//! position, then the feed goes on from that position; later pulls read
//! the log (`store::feed`) after the cursor and send each item that
//! concerns the caller as it is now (`domain::feed` decides which).
//!
//! Products are rendered from the in-memory catalog view and priced by the
//! one pricing engine, in bulk; stock and orders are read from the store.
//! Never blocks writers: it reads the log only up to its watermark.

use std::sync::Arc;

use crate::service::catalog::{Buyer, Catalog, CatalogView, PricedProduct};
use crate::service::identity::Identity;
use crate::service::inventory::Inventory;
use crate::service::orders::Orders;
use crate::store::feed::FeedLog;
use tradeport_domain::catalog::Product;
use tradeport_domain::feed::{self, Cursor, DeltaPage, Phase, Position, Reader, Resume, Wanted};
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::inventory::StockLevel;
use tradeport_domain::orders::Order;
use tradeport_domain::pricing::CustomerPrices;

/// Log entries read per store scan.
const READ_BATCH: usize = 2_000;
/// Log entries one pull may read past without filling its page: a reader
/// few entries concern gets a short page rather than a long wait.
const MAX_SCANNED: usize = 200_000;
/// Stock levels one snapshot page may read past.
const MAX_LEVELS_SCANNED: usize = 200_000;

pub use crate::service::Result;

/// One change to apply to a reader's copy.
#[derive(Debug, Clone)]
pub enum Change {
    Product(PricedProduct),
    /// The product id the reader may no longer see.
    ProductRemoved(String),
    Stock(StockLevel),
    Order(Box<Order>),
}

#[derive(Debug, Clone)]
pub struct FeedPage {
    pub changes: Vec<Change>,
    pub next_cursor: String,
    pub up_to_date: bool,
    pub reset: bool,
    /// On a snapshot's first page: the pages the whole snapshot takes at
    /// this page size (an estimate); 0 on every other page.
    pub snapshot_pages: u32,
}

/// The feed use case. Cheap to clone: every part is shared.
#[derive(Clone)]
pub struct Feed {
    log: Arc<FeedLog>,
    catalog: Arc<Catalog>,
    identity: Arc<Identity>,
    inventory: Arc<Inventory>,
    orders: Arc<Orders>,
}

/// The reading buyer's prices from the pull's view; none for brand staff.
type Prices<'p> = Option<&'p CustomerPrices<'p>>;

/// What one pull works with: who reads, their terms, the catalog as read.
struct Pull<'a> {
    reader: Reader,
    buyer: Option<Buyer>,
    view: Arc<CatalogView>,
    feed: &'a Feed,
    today: time::Date,
}

impl Feed {
    pub fn new(
        log: Arc<FeedLog>,
        catalog: Arc<Catalog>,
        identity: Arc<Identity>,
        inventory: Arc<Inventory>,
        orders: Arc<Orders>,
    ) -> Self {
        Self {
            log,
            catalog,
            identity,
            inventory,
            orders,
        }
    }

    /// The log itself (for trimming, and tests).
    pub fn log(&self) -> &Arc<FeedLog> {
        &self.log
    }

    /// The next page for `caller` after `cursor` (empty: a first sync).
    /// Blocks on the store: run it off the async threads.
    pub fn pull(&self, caller: &Caller, cursor: &str, page_size: i32) -> Result<FeedPage> {
        caller.authorize_action(Action::CatalogRead)?;
        let size = feed::page_size(page_size)?;
        let cursor = Cursor::decode(cursor)?;
        // The watermark before the view: every entry up to it is already
        // visible in the view read after it.
        let watermark = self.log.watermark();
        let floor = self.log.floor()?;
        let pull = self.start(caller)?;
        // The buyer's prices, resolved once for every product of the page.
        let terms = pull.buyer.as_ref().map(|b| b.own_terms(pull.today));
        let prices = terms.as_ref().map(|t| pull.view.pricebook.for_customer(t));
        let prices = prices.as_ref();
        let page = match feed::resume(cursor, pull.reader.fingerprint, floor, watermark) {
            Resume::Start { reset } => {
                let mut page = pull.snapshot(prices, watermark, first_phase(), reset, size)?;
                page.snapshot_pages = pull.snapshot_pages(size)?;
                page
            }
            Resume::Continue(at, phase) => pull.snapshot(prices, at, phase, false, size)?,
            Resume::Delta(after) => pull.delta(prices, after, watermark, size)?,
        };
        // A change a device is told of must survive a crash before it is
        // told. (A cursor moved past entries of no concern needs no flush:
        // sequences are never handed out twice.)
        if !page.changes.is_empty() {
            self.log.flush()?;
        }
        Ok(page)
    }

    fn start(&self, caller: &Caller) -> Result<Pull<'_>> {
        let buyer = Buyer::of(caller, &self.identity, &self.catalog)?;
        let view = self.catalog.view();
        let visible = Buyer::visible(buyer.as_ref(), &view);
        let account = buyer
            .as_ref()
            .map(|b| (b.account.id.clone(), b.account.tier.clone()));
        let reader = Reader::new(caller, account, visible);
        Ok(Pull {
            reader,
            buyer,
            view,
            feed: self,
            today: self.catalog.today(),
        })
    }
}

fn first_phase() -> Phase {
    Phase::Products {
        slot: 0,
        last: String::new(),
    }
}

impl Pull<'_> {
    fn cursor(&self, position: Position) -> String {
        Cursor::new(self.reader.fingerprint, position).encode()
    }

    /// `product` at the buyer's `prices` (none for brand staff), with the
    /// price breaks a copy prices larger quantities by.
    fn priced(&self, prices: Prices<'_>, product: &Arc<Product>) -> PricedProduct {
        let mut priced = PricedProduct::shown(&self.view, prices, product);
        if let Some(prices) = prices {
            priced.price_breaks = prices.price_breaks(&product.sku);
        }
        priced
    }

    /// The pages a whole snapshot for this reader takes at `size` changes
    /// a page: its products, stock levels and orders counted as the
    /// snapshot reads them. Read once, on a snapshot's first page.
    fn snapshot_pages(&self, size: usize) -> Result<u32> {
        let index = &self.view.index;
        let mut changes: u64 = 0;
        let mut slot = 0;
        while let Some(product) = index.at(slot) {
            slot += 1;
            changes += u64::from(index.may_see(product, &self.reader.visible));
        }
        let mut after: Option<Vec<u8>> = None;
        loop {
            let batch = self
                .feed
                .inventory
                .all_levels(after.as_deref(), READ_BATCH)?;
            let exhausted = batch.len() < READ_BATCH;
            for (key, level) in batch {
                changes += u64::from(index.sku_visible(&level.sku, &self.reader.visible));
                after = Some(key);
            }
            if exhausted {
                break;
            }
        }
        for account in &self.reader.order_accounts {
            let mut after = String::new();
            loop {
                let orders = self
                    .feed
                    .orders
                    .account_orders_after(account, &after, READ_BATCH)?;
                changes += orders.len() as u64;
                match orders.last() {
                    Some((position, _)) if orders.len() == READ_BATCH => {
                        after = position.clone();
                    }
                    _ => break,
                }
            }
        }
        let pages = changes.div_ceil(size.max(1) as u64).max(1);
        Ok(u32::try_from(pages).unwrap_or(u32::MAX))
    }

    /// A snapshot page from `phase`, pinned at log position `at`.
    fn snapshot(
        &self,
        prices: Prices<'_>,
        at: u64,
        phase: Phase,
        reset: bool,
        size: usize,
    ) -> Result<FeedPage> {
        let mut changes = Vec::with_capacity(size.min(1024));
        let mut phase = phase;
        loop {
            if changes.len() >= size {
                return Ok(self.snapshot_page(changes, at, Some(phase), reset));
            }
            phase = match phase {
                Phase::Products { slot, last } => {
                    let index = &self.view.index;
                    // Slots hold for the life of a process: after a restart
                    // the snapshot cannot resume where it was.
                    if slot > 0 && index.at(slot - 1).is_none_or(|p| p.id != last) {
                        let watermark = self.feed.log.watermark();
                        return self.snapshot(prices, watermark, first_phase(), true, size);
                    }
                    let mut next = slot;
                    while changes.len() < size {
                        let Some(product) = index.at(next) else { break };
                        next += 1;
                        if index.may_see(product, &self.reader.visible) {
                            changes.push(Change::Product(self.priced(prices, product)));
                        }
                    }
                    if let (Some(_), Some(before)) = (index.at(next), index.at(next - 1)) {
                        Phase::Products {
                            slot: next,
                            last: before.id.clone(),
                        }
                    } else {
                        Phase::Stock {
                            after: String::new(),
                        }
                    }
                }
                Phase::Stock { after } => {
                    let (phase, capped) = self.snapshot_stock(after, size, &mut changes)?;
                    if capped {
                        return Ok(self.snapshot_page(changes, at, Some(phase), reset));
                    }
                    phase
                }
                Phase::Orders { account, after } => {
                    let Some(id) = self.reader.order_accounts.get(account) else {
                        return Ok(self.snapshot_page(changes, at, None, reset));
                    };
                    let wanted = size - changes.len();
                    let orders = self.feed.orders.account_orders_after(id, &after, wanted)?;
                    let exhausted = orders.len() < wanted;
                    let mut after = after;
                    for (position, order) in orders {
                        after = position;
                        changes.push(Change::Order(Box::new(order)));
                    }
                    if exhausted {
                        Phase::Orders {
                            account: account + 1,
                            after: String::new(),
                        }
                    } else {
                        Phase::Orders { account, after }
                    }
                }
            };
        }
    }

    /// Stock levels of products the reader sees, after level key `after`;
    /// the phase after them, and whether the page must end for having
    /// read enough.
    fn snapshot_stock(
        &self,
        after: String,
        size: usize,
        changes: &mut Vec<Change>,
    ) -> Result<(Phase, bool)> {
        let index = &self.view.index;
        let mut after = after;
        let mut scanned = 0;
        while changes.len() < size && scanned < MAX_LEVELS_SCANNED {
            let batch = self
                .feed
                .inventory
                .all_levels((!after.is_empty()).then_some(after.as_bytes()), READ_BATCH)?;
            let exhausted = batch.len() < READ_BATCH;
            for (key, level) in batch {
                scanned += 1;
                after = String::from_utf8_lossy(&key).into_owned();
                if index.sku_visible(&level.sku, &self.reader.visible) {
                    changes.push(Change::Stock(level));
                    if changes.len() >= size {
                        break;
                    }
                }
            }
            if exhausted && changes.len() < size {
                let orders = Phase::Orders {
                    account: 0,
                    after: String::new(),
                };
                return Ok((orders, false));
            }
        }
        Ok((Phase::Stock { after }, changes.len() < size))
    }

    /// `phase`: where the snapshot goes on; `None` when it is complete and
    /// the feed goes on from `at`.
    fn snapshot_page(
        &self,
        changes: Vec<Change>,
        at: u64,
        phase: Option<Phase>,
        reset: bool,
    ) -> FeedPage {
        match phase {
            Some(phase) => FeedPage {
                changes,
                next_cursor: self.cursor(Position::Snapshot { at, phase }),
                up_to_date: false,
                reset,
                snapshot_pages: 0,
            },
            None => FeedPage {
                changes,
                next_cursor: self.cursor(Position::Delta { after: at }),
                up_to_date: at >= self.feed.log.watermark(),
                reset,
                snapshot_pages: 0,
            },
        }
    }

    /// The changes after `after` that concern the reader, up to `size`
    /// items, reading no further than `watermark`.
    fn delta(
        &self,
        prices: Prices<'_>,
        after: u64,
        watermark: u64,
        size: usize,
    ) -> Result<FeedPage> {
        let mut page = DeltaPage::new(after, size);
        let mut scanned = 0;
        let mut reached = after >= watermark;
        while !page.is_done() && !reached && scanned < MAX_SCANNED {
            let batch = self.feed.log.read(page.last, watermark, READ_BATCH)?;
            let exhausted = batch.len() < READ_BATCH;
            for (seq, entry) in batch {
                if page.is_done() {
                    break;
                }
                scanned += 1;
                if !page.take(seq, feed::wanted(&entry, &self.reader, &self.view.index)) {
                    break;
                }
            }
            // Past the last entry read lie only gaps up to the watermark.
            reached = exhausted && !page.is_done();
        }
        if page.reset {
            return self.snapshot(prices, watermark, first_phase(), true, size);
        }
        let position = if reached { watermark } else { page.last };
        let mut changes = Vec::with_capacity(page.items.len());
        for wanted in &page.items {
            if let Some(change) = self.render(prices, wanted)? {
                changes.push(change);
            }
        }
        Ok(FeedPage {
            changes,
            next_cursor: self.cursor(Position::Delta { after: position }),
            up_to_date: position >= watermark,
            reset: false,
            snapshot_pages: 0,
        })
    }

    /// An item as it is now.
    fn render(&self, prices: Prices<'_>, wanted: &Wanted) -> Result<Option<Change>> {
        Ok(match wanted {
            Wanted::Product(id) => self
                .view
                .index
                .get(id)
                .map(|p| Change::Product(self.priced(prices, p))),
            Wanted::Removed(id) => Some(Change::ProductRemoved(id.clone())),
            Wanted::Stock { sku, warehouse } => self
                .feed
                .inventory
                .level(sku, warehouse)?
                .map(Change::Stock),
            Wanted::Order(id) => self
                .feed
                .orders
                .order_record(id)?
                .map(|o| Change::Order(Box::new(o))),
            Wanted::Reset => None,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "feed_tests.rs"]
mod tests;
