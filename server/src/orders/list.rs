//! Listing orders, newest first, through the per-account and brand-wide
//! indexes: a page reads index entries in order and keeps the orders that
//! pass the filter, so a page costs what it shows plus what it skips.

use std::collections::HashSet;

use super::{Orders, Result, keys, not_found};
use crate::domain::DomainError;
use crate::domain::identity::{Action, Caller};
use crate::domain::orders::{Millis, Order, OrderStatus};
use crate::domain::paging::PageLimits;
use crate::store::KeyRange;
use crate::store::records::get_value;

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
        let account = match (filter.account_id.trim(), caller.acting_account()) {
            ("", Some(own)) => Some(own.to_string()),
            (asked, Some(own)) if asked == own => Some(own.to_string()),
            // Another account's orders are not there for this caller.
            (asked, Some(_)) => return Err(not_found("account", asked).into()),
            ("", None) => None,
            (asked, None) => {
                let record = self.identity.account_record(asked)?;
                caller.authorize(Action::ReadOrders, record.as_ref(), "account", asked)?;
                Some(asked.to_string())
            }
        };
        if account.is_none()
            && !caller
                .roles
                .iter()
                .any(|r| r.is_brand() && *r != crate::domain::identity::Role::SalesRep)
        {
            return Err(DomainError::invalid(
                "ACCOUNT_REQUIRED",
                "account_id",
                "a sales rep lists one assigned account at a time",
            )
            .into());
        }
        let size = match filter.page_size {
            n if n < 0 => {
                return Err(DomainError::invalid(
                    "INVALID_PAGE_SIZE",
                    "page_size",
                    "must not be negative",
                )
                .into());
            }
            0 => PAGES.default_size,
            n => (n as usize).min(PAGES.max_size),
        };
        let prefix = match &account {
            Some(a) => keys::account_orders(a),
            None => keys::ALL.to_string(),
        };
        let after = match filter.page_token.as_str() {
            "" => None,
            token => {
                let key = format!("{prefix}{token}");
                Some(key.into_bytes())
            }
        };
        let mut orders = Vec::with_capacity(size);
        let mut seen = HashSet::new();
        let mut skipped = 0;
        let mut cursor = after;
        let mut last_key: Option<Vec<u8>>;
        'scan: loop {
            let range = match &cursor {
                Some(after) => KeyRange::prefix_after(prefix.as_bytes(), after),
                None => KeyRange::prefix(prefix.as_bytes()),
            };
            let entries = self.store.scan(range, SCAN)?;
            let done = entries.len() < SCAN;
            for (key, _) in entries {
                cursor = Some(key.clone());
                let id = String::from_utf8_lossy(
                    &key[key.iter().rposition(|b| *b == b'/').map_or(0, |i| i + 1)..],
                )
                .into_owned();
                if !seen.insert(id.clone()) {
                    continue;
                }
                match get_value::<Order>(self.store(), &keys::order(&id))? {
                    Some(order) if filter.keeps(&order) => {
                        orders.push(order);
                        last_key = Some(key);
                        if orders.len() == size {
                            break 'scan;
                        }
                    }
                    _ => {
                        skipped += 1;
                        last_key = Some(key);
                        if skipped >= MAX_SKIPPED {
                            break 'scan;
                        }
                    }
                }
            }
            if done {
                // Nothing more: no next page.
                return Ok((orders, String::new()));
            }
        }
        let token = last_key
            .map(|k| String::from_utf8_lossy(&k[prefix.len()..]).into_owned())
            .unwrap_or_default();
        Ok((orders, token))
    }
}
