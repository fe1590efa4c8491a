//! Listing orders, newest first, through the per-account and brand-wide
//! indexes: a page reads index entries in order and keeps the orders that
//! pass the filter, so a page costs what it shows plus what it skips.

use std::collections::VecDeque;

use super::{Orders, Result, keys, not_found};
use crate::store::KeyRange;
use crate::store::versioned::get_value;
use tradeport_domain::identity::{Action, Caller};
use tradeport_domain::orders::scope::OrderScope;
use tradeport_domain::orders::{Millis, Order, OrderStatus};
use tradeport_domain::paging::PageLimits;

const PAGES: PageLimits = PageLimits {
    default_size: 50,
    max_size: 200,
};
/// Index entries read per store scan.
const SCAN: usize = 256;
/// Entries one page may skip over before it answers with what it has: a
/// rare filter must not make one call read a whole history.
const MAX_SKIPPED: usize = 20_000;

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Empty: the caller's own account, or everything for brand staff.
    pub account_id: String,
    pub statuses: Vec<OrderStatus>,
    pub placed_after: Option<Millis>,
    pub placed_before: Option<Millis>,
    pub po_number: String,
    pub sku: String,
    pub page_size: i32,
    pub page_token: String,
}

impl OrderFilter {
    fn keeps(&self, order: &Order) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&order.status))
            && self.placed_after.is_none_or(|t| order.placed_at >= t)
            && self.placed_before.is_none_or(|t| order.placed_at < t)
            && (self.po_number.is_empty() || order.po_number == self.po_number)
            && (self.sku.is_empty() || order.lines.iter().any(|l| l.sku == self.sku))
    }
}

impl Orders {
    /// A page of orders and the token of the next (empty at the end).
    pub fn list(&self, caller: &Caller, filter: &OrderFilter) -> Result<(Vec<Order>, String)> {
        caller.authorize_action(Action::ReadOrders)?;
        let prefixes: Vec<String> = match (filter.account_id.trim(), OrderScope::of(caller)) {
            ("", OrderScope::Account(own)) => vec![keys::account_orders(&own)],
            (asked, OrderScope::Account(own)) if asked == own => vec![keys::account_orders(&own)],
            // Another account's orders are not there for this caller.
            (asked, OrderScope::Account(_)) => return Err(not_found("account", asked).into()),
            ("", OrderScope::BrandWide) => vec![keys::ALL.to_string()],
            ("", OrderScope::Assigned(accounts)) => {
                accounts.iter().map(|a| keys::account_orders(a)).collect()
            }
            (asked, _) => {
                // An account that does not exist answers as one the caller
                // may not see: NOT_FOUND either way, so a rep cannot tell
                // which accounts exist.
                let record = self
                    .identity
                    .account_record(asked)?
                    .ok_or_else(|| not_found("account", asked))?;
                caller.authorize(Action::ReadOrders, Some(&record), "account", asked)?;
                vec![keys::account_orders(asked)]
            }
        };
        let size = PAGES.size(filter.page_size)?;
        let token = filter.page_token.as_str();
        let mut lists: Vec<IndexWalk> = prefixes
            .into_iter()
            .map(|prefix| IndexWalk::new(prefix, token))
            .collect();
        let mut orders = Vec::with_capacity(size);
        let mut skipped = 0;
        let mut last: String;
        // Merge the lists newest first: their entries sort alike.
        loop {
            for list in &mut lists {
                list.refill(self)?;
            }
            let Some(next) = lists
                .iter_mut()
                .filter(|l| !l.pending.is_empty())
                .min_by(|a, b| a.pending[0].cmp(&b.pending[0]))
            else {
                return Ok((orders, String::new()));
            };
            let Some(suffix) = next.pending.pop_front() else {
                continue;
            };
            let id = suffix.rsplit('/').next().unwrap_or_default();
            match get_value::<Order>(self.store(), &keys::order(id))? {
                Some(order) if filter.keeps(&order) => orders.push(order),
                _ => skipped += 1,
            }
            last = suffix;
            if orders.len() == size || skipped >= MAX_SKIPPED {
                break;
            }
        }
        Ok((orders, last))
    }
}

impl Orders {
    /// An order as stored, for a reader already told it may see its
    /// account (the reference-data feed).
    pub fn order_record(&self, id: &str) -> Result<Option<Order>> {
        Ok(get_value::<Order>(self.store(), &keys::order(id))?)
    }

    /// Up to `limit` of `account`'s orders, newest first, after the index
    /// position `after` (empty: from the newest), each with its position;
    /// for a reader already told it may see the account.
    pub fn account_orders_after(
        &self,
        account: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(String, Order)>> {
        let prefix = keys::account_orders(account);
        let range = if after.is_empty() {
            KeyRange::prefix(prefix.as_bytes())
        } else {
            KeyRange::prefix_after(prefix.as_bytes(), format!("{prefix}{after}").as_bytes())
        };
        let mut out = Vec::new();
        for (key, _) in self.store.scan(range, limit)? {
            let key = String::from_utf8_lossy(&key).into_owned();
            let suffix = key[prefix.len().min(key.len())..].to_string();
            let id = suffix.rsplit('/').next().unwrap_or_default();
            if let Some(order) = get_value::<Order>(self.store(), &keys::order(id))? {
                out.push((suffix, order));
            }
        }
        Ok(out)
    }
}

/// One newest-first index read a page at a time.
struct IndexWalk {
    prefix: String,
    /// Suffixes (`<time>/<id>`) read and not yet taken.
    pending: VecDeque<String>,
    after: Option<String>,
    exhausted: bool,
}

impl IndexWalk {
    fn new(prefix: String, token: &str) -> Self {
        Self {
            after: (!token.is_empty()).then(|| format!("{prefix}{token}")),
            prefix,
            pending: VecDeque::new(),
            exhausted: false,
        }
    }

    fn refill(&mut self, orders: &Orders) -> Result<()> {
        if !self.pending.is_empty() || self.exhausted {
            return Ok(());
        }
        let range = match &self.after {
            Some(after) => KeyRange::prefix_after(self.prefix.as_bytes(), after.as_bytes()),
            None => KeyRange::prefix(self.prefix.as_bytes()),
        };
        let entries = orders.store.scan(range, SCAN)?;
        self.exhausted = entries.len() < SCAN;
        for (key, _) in entries {
            let key = String::from_utf8_lossy(&key).into_owned();
            self.pending
                .push_back(key[self.prefix.len().min(key.len())..].to_string());
            self.after = Some(key);
        }
        Ok(())
    }
}
