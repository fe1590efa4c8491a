//! What every order write adds to its commit: the order itself, its list
//! entries when it is new, the notifications its change is worth and its
//! feed entry; and the stock a confirmed order reserves.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Orders, Result, keys};
use crate::service::inventory::LevelsRead;
use crate::store::Commit;
use tradeport_domain::inventory::StockLevel;
use tradeport_domain::orders::Order;

impl Orders {
    /// Adds the order, its list entries (when new), the notifications its
    /// change from `before` is worth and its feed entry to `commit`. Every
    /// order write goes through here.
    pub(super) fn put_order(
        &self,
        commit: Commit,
        before: Option<&Order>,
        order: &Order,
    ) -> Result<Commit> {
        let commit = self.notify(commit, before, order)?;
        // Feed readers read orders from the store: the commit's own ticket
        // is hold enough.
        let (commit, _) = self.feed.stage(
            commit,
            [tradeport_domain::feed::FeedEntry::Order {
                account_id: order.account_id.clone(),
                id: order.id.clone(),
            }],
        )?;
        let mut commit = commit.put_record(&keys::order(&order.id), order)?;
        if before.is_none() {
            commit = commit
                .put(
                    keys::by_account(&order.account_id, order.placed_at, &order.id),
                    Vec::new(),
                )
                .put(keys::all(order.placed_at, &order.id), Vec::new());
        }
        Ok(commit)
    }

    /// Adds reserving the order's stock to `commit`, SKU by SKU.
    pub(super) fn reserve(
        &self,
        commit: Commit,
        order: &mut Order,
        read_ahead: Option<&LevelsRead>,
    ) -> Result<(Commit, Vec<StockLevel>)> {
        let mut wanted: BTreeMap<String, Decimal> = BTreeMap::new();
        for line in &order.lines {
            *wanted.entry(line.sku.clone()).or_default() += line.quantity;
        }
        let wanted: Vec<(String, Decimal)> = wanted.into_iter().collect();
        let (commit, reserved, levels) = self
            .inventory
            .stage_reservations(commit, &wanted, read_ahead)?;
        order.reservations = reserved;
        Ok((commit, levels))
    }
}
