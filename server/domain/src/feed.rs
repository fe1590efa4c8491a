//! The reference-data feed's rules: what a feed entry records, which
//! entries concern which reader, how a page of changes is assembled, and
//! the cursor a device keeps between pulls. Pure: no store, no clock.
//!
//! An entry names an item that changed, never its new state: a page renders
//! each item as it is when the page is read, so an item changed several
//! times is sent once, and entries committed out of order still converge.
//! A cursor is opaque to clients and must never be trusted: every cursor is
//! decoded and checked here before anything reads the log.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::DomainError;
use super::catalog::{AssortmentScope, CatalogIndex, Visible};
use super::identity::{Action, Caller};
use super::paging::PageLimits;
use super::pricing::{PriceList, PriceListScope};

pub mod prices;
pub use prices::Reach;

/// Changes a page holds when the device does not say.
pub const DEFAULT_PAGE: usize = 500;
/// The most changes one page holds.
pub const MAX_PAGE: usize = 5_000;
const CURSOR_VERSION: u8 = 1;

/// Whose prices a price change touches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Audience {
    /// Every customer (a base list, a promotion).
    All,
    /// One customer account (its own or contract list, its assortment).
    Account(String),
    /// Every account of a tier.
    Tier(String),
}

/// Where a product sat before a change: enough to tell whether a reader
/// could see it then, so only those who could are told it is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub sku: String,
    /// Its category path, root first.
    pub path: Vec<String>,
    pub listed: bool,
}

/// One change in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedEntry {
    /// A product record was created or changed; `before` is where it sat
    /// before (absent for a new product).
    Product {
        id: String,
        before: Option<Placement>,
    },
    /// A SKU's price changed for `audience` (its visibility did not).
    Prices { sku: String, audience: Audience },
    /// The prices of the products in `reach` changed for `audience`
    /// without their lists being written: a promotion's cap reached, a
    /// window opened or closed (see [`prices`]). One entry for them all.
    PricesOf { reach: Reach, audience: Audience },
    /// A stock level changed (one entry per level: written by earlier
    /// builds, still read).
    Stock { sku: String, warehouse: String },
    /// Stock levels changed together, e.g. an order's reservation. One
    /// entry for them all: an order's commit writes one log key instead of
    /// one per level, and every key a commit writes costs the store's
    /// single writer time.
    StockLevels { levels: Vec<LevelRef> },
    /// An order changed.
    Order { account_id: String, id: String },
    /// What `audience` may see changed as a whole (an assortment): their
    /// devices start over from a snapshot, so revoked products leave too.
    Visibility { audience: Audience },
}

/// One stock level: a SKU in a warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelRef {
    pub sku: String,
    pub warehouse: String,
}

/// The entry for stock levels that changed together; `None` for none.
pub fn stock_changed(levels: Vec<LevelRef>) -> Option<FeedEntry> {
    match levels.len() {
        0 => None,
        _ => Some(FeedEntry::StockLevels { levels }),
    }
}

/// The entry for a write of product `id`, judged against `index` as it
/// stands before the write.
pub fn product_changed(index: &CatalogIndex, id: &str) -> FeedEntry {
    FeedEntry::Product {
        id: id.to_string(),
        before: index.get(id).map(|p| Placement {
            sku: p.sku.clone(),
            path: index.path(p).to_vec(),
            listed: p.listed(),
        }),
    }
}

/// Who an assortment's change reaches.
pub fn assortment_audience(scope: &AssortmentScope) -> Audience {
    match scope {
        AssortmentScope::Account(account) => Audience::Account(account.clone()),
        AssortmentScope::Tier(tier) => Audience::Tier(tier.clone()),
    }
}

/// Whose prices a list holds.
pub fn audience_of(scope: &PriceListScope) -> Audience {
    match scope {
        PriceListScope::Base => Audience::All,
        PriceListScope::Tier(tier) => Audience::Tier(tier.clone()),
        PriceListScope::Customer(account) => Audience::Account(account.clone()),
        PriceListScope::Contract { account_id, .. } => Audience::Account(account_id.clone()),
    }
}

/// The entries for replacing the lists in `before` by those in `after`
/// with the same id (a list only in `after` is new): one per SKU whose
/// price may differ, for the audience of its list. A list whose terms
/// changed (whom it applies to, currency, dates) touches all its SKUs.
pub fn price_changes(before: &[PriceList], after: &[PriceList]) -> Vec<FeedEntry> {
    let mut out: Vec<FeedEntry> = Vec::new();
    let mut seen: HashSet<(String, Audience)> = HashSet::new();
    let mut add = |sku: &String, scope: &PriceListScope| {
        let audience = audience_of(scope);
        if seen.insert((sku.clone(), audience.clone())) {
            out.push(FeedEntry::Prices {
                sku: sku.clone(),
                audience,
            });
        }
    };
    for new in after {
        match before.iter().find(|old| old.id == new.id) {
            Some(old)
                if old.scope == new.scope
                    && old.currency == new.currency
                    && old.valid_from == new.valid_from
                    && old.valid_until == new.valid_until =>
            {
                for (sku, breaks) in &new.entries {
                    if old.entries.get(sku) != Some(breaks) {
                        add(sku, &new.scope);
                    }
                }
                for sku in old.entries.keys() {
                    if !new.entries.contains_key(sku) {
                        add(sku, &old.scope);
                    }
                }
            }
            Some(old) => {
                for sku in old.entries.keys() {
                    add(sku, &old.scope);
                }
                for sku in new.entries.keys() {
                    add(sku, &new.scope);
                }
            }
            None => {
                for sku in new.entries.keys() {
                    add(sku, &new.scope);
                }
            }
        }
    }
    out
}

/// Who reads the feed, as the rules need them.
#[derive(Debug, Clone)]
pub struct Reader {
    /// The customer account the reader buys for and its tier; `None` for
    /// brand staff browsing as themselves (list prices, everything).
    pub account: Option<(String, String)>,
    pub visible: Visible,
    /// Accounts whose orders the reader's copy holds.
    pub order_accounts: Vec<String>,
    /// Names the reader's view of the data: a cursor made for another one
    /// starts over (a rep who now acts for another customer).
    pub fingerprint: u64,
}

impl Reader {
    /// `caller` reading as the buyer of `account` (its id and tier; none
    /// for brand staff browsing as themselves), who sees `visible`. Their
    /// copy holds the orders of the account they act in, or a rep's
    /// directly assigned accounts; brand-wide staff follow no account's
    /// orders (they are not what a device carries), nor does a caller who
    /// may not read orders. A new tier or a rep's new accounts change
    /// what the copy should hold as a whole: the fingerprint covers them,
    /// so the copy's cursor no longer fits and it starts over.
    pub fn new(caller: &Caller, account: Option<(String, String)>, visible: Visible) -> Self {
        let order_accounts = if caller.authorize_action(Action::ReadOrders).is_err() {
            Vec::new()
        } else if let Some(account) = caller.acting_account() {
            vec![account.to_string()]
        } else {
            let mut accounts = caller.assigned_accounts.clone();
            accounts.sort();
            accounts.dedup();
            accounts
        };
        let (acting, tier) = account
            .as_ref()
            .map_or(("", ""), |(a, t)| (a.as_str(), t.as_str()));
        let fingerprint = fingerprint(&[&caller.id, acting, tier, &order_accounts.join(",")]);
        Self {
            account,
            visible,
            order_accounts,
            fingerprint,
        }
    }

    /// Whether a price change or assortment for `audience` reaches this
    /// reader's prices or view. Brand staff see list prices only.
    pub fn hears(&self, audience: &Audience) -> bool {
        let Some((account, tier)) = &self.account else {
            return false;
        };
        match audience {
            Audience::All => true,
            Audience::Account(a) => a == account,
            Audience::Tier(t) => t == tier,
        }
    }
}

/// A stable fingerprint of a reader's identity and the account they act
/// for (FNV-1a: the same on every build and every run).
pub fn fingerprint(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// What an entry asks of a reader's page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Wanted {
    /// Send the product (by id) as it is now, at the reader's prices.
    Product(String),
    /// Tell the device the product (by id) is no longer there for it.
    Removed(String),
    Stock {
        sku: String,
        warehouse: String,
    },
    /// Send the order (by id) as it is now.
    Order(String),
    /// Start the reader over with a fresh snapshot.
    Reset,
}

/// Which item a wanted change is about: a page sends each item once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ItemKey {
    Product(String),
    Stock(String, String),
    Order(String),
}

impl Wanted {
    fn key(&self) -> Option<ItemKey> {
        match self {
            Wanted::Product(id) | Wanted::Removed(id) => Some(ItemKey::Product(id.clone())),
            Wanted::Stock { sku, warehouse } => {
                Some(ItemKey::Stock(sku.clone(), warehouse.clone()))
            }
            Wanted::Order(id) => Some(ItemKey::Order(id.clone())),
            Wanted::Reset => None,
        }
    }
}

/// What `entry` means for `reader`, judged against the catalog as it is
/// now: nothing when it does not concern them, several items for an entry
/// of several levels.
pub fn wanted(entry: &FeedEntry, reader: &Reader, index: &CatalogIndex) -> Vec<Wanted> {
    let sees_sku = |sku: &str| {
        index
            .get_sku(sku)
            .filter(|p| index.may_see(p, &reader.visible))
    };
    let stock = |sku: &str, warehouse: &str| {
        sees_sku(sku).map(|_| Wanted::Stock {
            sku: sku.to_string(),
            warehouse: warehouse.to_string(),
        })
    };
    let one = match entry {
        FeedEntry::Product { id, before } => match index.get(id) {
            Some(p) if index.may_see(p, &reader.visible) => Some(Wanted::Product(id.clone())),
            _ => before
                .as_ref()
                .filter(|b| reader.visible.allows(&b.sku, &b.path, b.listed))
                .map(|_| Wanted::Removed(id.clone())),
        },
        FeedEntry::Prices { sku, audience } if reader.hears(audience) => {
            sees_sku(sku).map(|p| Wanted::Product(p.id.clone()))
        }
        FeedEntry::Prices { .. } => None,
        FeedEntry::PricesOf { reach, audience } => {
            if !reader.hears(audience) {
                return Vec::new();
            }
            return reach
                .products(index, &reader.visible)
                .into_iter()
                .map(|p| Wanted::Product(p.id.clone()))
                .collect();
        }
        FeedEntry::Stock { sku, warehouse } => stock(sku, warehouse),
        FeedEntry::StockLevels { levels } => {
            return levels
                .iter()
                .filter_map(|l| stock(&l.sku, &l.warehouse))
                .collect();
        }
        FeedEntry::Order { account_id, id } => reader
            .order_accounts
            .contains(account_id)
            .then(|| Wanted::Order(id.clone())),
        FeedEntry::Visibility { audience } => reader.hears(audience).then_some(Wanted::Reset),
    };
    one.into_iter().collect()
}

/// A delta page as it fills: each item once, in the order first met.
#[derive(Debug)]
pub struct DeltaPage {
    limit: usize,
    seen: HashSet<ItemKey>,
    pub items: Vec<Wanted>,
    /// The position of the last entry taken in.
    pub last: u64,
    /// An entry asked for a fresh snapshot.
    pub reset: bool,
    /// An entry did not fit.
    full: bool,
}

impl DeltaPage {
    /// A page of at most `limit` items after position `after`.
    pub fn new(after: u64, limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            seen: HashSet::new(),
            items: Vec::new(),
            last: after,
            reset: false,
            full: false,
        }
    }

    /// Whether the page takes no more entries.
    pub fn is_done(&self) -> bool {
        self.reset || self.full || self.items.len() >= self.limit
    }

    /// Takes in the entry at position `seq`, meaning `wanted` for the
    /// reader, whole or not at all: positions name entries, so a page
    /// cannot end inside one. An entry whose new items would overflow a
    /// page that holds some already is left for the next page; an empty
    /// page takes it whole even if it is larger than the limit, so every
    /// page moves on. Call only while [`DeltaPage::is_done`] is false;
    /// returns whether the entry was taken.
    pub fn take(&mut self, seq: u64, wanted: Vec<Wanted>) -> bool {
        if wanted.iter().any(|w| matches!(w, Wanted::Reset)) {
            self.last = self.last.max(seq);
            self.reset = true;
            return true;
        }
        let new: Vec<Wanted> = wanted
            .into_iter()
            .filter(|w| w.key().is_some_and(|key| !self.seen.contains(&key)))
            .collect();
        if !self.items.is_empty() && self.items.len() + new.len() > self.limit {
            self.full = true;
            return false;
        }
        self.last = self.last.max(seq);
        for w in new {
            if let Some(key) = w.key()
                && self.seen.insert(key)
            {
                self.items.push(w);
            }
        }
        true
    }
}

/// How a pull's pages are sized.
pub const PAGES: PageLimits = PageLimits {
    default_size: DEFAULT_PAGE,
    max_size: MAX_PAGE,
};

/// The page size to use: 0 is the default, above the maximum is capped.
pub fn page_size(requested: i32) -> Result<usize, DomainError> {
    PAGES.size(requested)
}

/// Where a snapshot stands between pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Products from catalog slot `slot` on; `last` is the id of the
    /// product before it, which must still sit there (slots are kept for
    /// the life of a process only).
    Products { slot: usize, last: String },
    /// Stock levels after the level key `after` (empty: from the start).
    Stock { after: String },
    /// Orders of the reader's `account`-th order account, after the index
    /// key suffix `after` (empty: from the newest).
    Orders { account: usize, after: String },
}

/// The position a device sends back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Position {
    /// In a snapshot pinned at log position `at`: once it ends, the feed
    /// goes on from `at`, so nothing changed meanwhile is lost.
    Snapshot { at: u64, phase: Phase },
    /// Every entry up to `after` is in the device's copy.
    Delta { after: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "v")]
    version: u8,
    #[serde(rename = "r")]
    pub reader: u64,
    #[serde(rename = "p")]
    pub position: Position,
}

impl Cursor {
    pub fn new(reader: u64, position: Position) -> Self {
        Self {
            version: CURSOR_VERSION,
            reader,
            position,
        }
    }

    pub fn encode(&self) -> String {
        // Serialising plain enums and strings cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decodes what a device sent; `None` for an empty cursor (a first
    /// sync). Anything unreadable is refused, naming the field.
    pub fn decode(raw: &str) -> Result<Option<Self>, DomainError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let bad = || {
            DomainError::invalid(
                "INVALID_CURSOR",
                "cursor",
                "is not a cursor this feed issued: send back next_cursor unchanged, or empty to start over",
            )
        };
        if raw.len() > 4096 {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cursor.version != CURSOR_VERSION {
            return Err(bad());
        }
        if let Position::Snapshot {
            phase: Phase::Products { slot, last },
            ..
        } = &cursor.position
            && (*slot == 0) != last.is_empty()
        {
            return Err(bad());
        }
        Ok(Some(cursor))
    }
}

/// What to do with a decoded cursor, given the reader, the oldest log
/// position still held (`floor`: entries at or below it are gone) and the
/// newest readable one (`watermark`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Start a snapshot; `reset` tells the device to drop what it holds.
    Start { reset: bool },
    /// Continue the snapshot pinned at the position, from the phase.
    Continue(u64, Phase),
    /// Read entries after this position.
    Delta(u64),
}

pub fn resume(cursor: Option<Cursor>, reader: u64, floor: u64, watermark: u64) -> Resume {
    let Some(cursor) = cursor else {
        return Resume::Start { reset: false };
    };
    if cursor.reader != reader {
        return Resume::Start { reset: true };
    }
    let at = match &cursor.position {
        Position::Snapshot { at, .. } => *at,
        Position::Delta { after } => *after,
    };
    // Older than what the log still holds, or from a log this server
    // never wrote that far (another store): start over.
    if at < floor || at > watermark {
        return Resume::Start { reset: true };
    }
    match cursor.position {
        Position::Snapshot { at, phase } => Resume::Continue(at, phase),
        Position::Delta { after } => Resume::Delta(after),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "feed_tests.rs"]
mod tests;
