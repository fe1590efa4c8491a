//! Price changes no write names: a promotion's per-customer cap reached
//! (or freed again), a price list's or a promotion's validity window
//! opening or closing as the days pass. Nothing about the product or its
//! list changed, yet a customer's effective price did, so the feed must
//! say so or devices keep a price the server no longer charges.
//!
//! These rules decide who is affected (the [`Audience`]: one account for
//! its cap, a list's or a promotion's customers for a window) and which
//! products (the [`Reach`]); the feed renders each product as it is when
//! read, so an entry never carries a price.
//!
//! Windows are judged by comparing two days, not by listing edges: the
//! feed has told devices the prices of day `from` (the last day swept),
//! and whatever is valid on one day and not the other changed for them.
//! A window that opened and closed between the two changed nothing, and a
//! clock set back is swept like one moving on. Anything dated — price
//! lists and promotions today, contracts once they exist — takes part by
//! implementing [`Dated`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::Date;

use super::{Audience, FeedEntry, audience_of};
use crate::catalog::{CatalogIndex, Product, Visible};
use crate::pricing::{PriceList, Promotion, PromotionTarget};

/// Which products a price change touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reach {
    /// These SKUs (a list's, a SKU promotion's).
    Skus(Vec<String>),
    /// Products in these categories or below them.
    Categories(Vec<String>),
    /// Every product (a promotion for whole account groups).
    Everything,
}

impl Reach {
    /// The products a promotion discounts, whoever it is for.
    pub fn of_promotion(target: &PromotionTarget) -> Self {
        match target {
            PromotionTarget::Skus(skus) => Reach::Skus(skus.clone()),
            PromotionTarget::Categories(categories) => Reach::Categories(categories.clone()),
            PromotionTarget::AccountGroups(_) => Reach::Everything,
        }
    }

    /// The products of `index` in reach that `visible` lets a reader see,
    /// each once.
    pub fn products<'i>(
        &self,
        index: &'i CatalogIndex,
        visible: &Visible,
    ) -> Vec<&'i Arc<Product>> {
        let seen = |p: &&Arc<Product>| index.may_see(p, visible);
        match self {
            Reach::Skus(skus) => {
                let mut found: Vec<&Arc<Product>> = skus
                    .iter()
                    .filter_map(|s| index.get_sku(s))
                    .filter(seen)
                    .collect();
                found.sort_by(|a, b| a.id.cmp(&b.id));
                found.dedup_by(|a, b| a.id == b.id);
                found
            }
            Reach::Categories(categories) => index
                .products()
                .map(|(_, p)| p)
                .filter(|p| index.path(p).iter().any(|c| categories.contains(c)))
                .filter(seen)
                .collect(),
            Reach::Everything => index.products().map(|(_, p)| p).filter(seen).collect(),
        }
    }
}

/// The entry for `account_id`'s use count of `promotion` moving from
/// `before` to `after`: only when that puts the customer on the other side
/// of its cap (a fifth use of five, or a cancelled one freeing it again),
/// and only for that customer.
pub fn promotion_use_changed(
    promotion: &Promotion,
    account_id: &str,
    before: u32,
    after: u32,
) -> Option<FeedEntry> {
    (promotion.under_cap(before) != promotion.under_cap(after)).then(|| FeedEntry::PricesOf {
        reach: Reach::of_promotion(&promotion.target),
        audience: Audience::Account(account_id.to_string()),
    })
}

/// Something whose validity window decides prices.
pub trait Dated {
    /// Whether it applies on `date`.
    fn valid_on(&self, date: Date) -> bool;
    /// The entries telling its audience that its prices changed.
    fn price_entries(&self) -> Vec<FeedEntry>;
}

impl Dated for PriceList {
    fn valid_on(&self, date: Date) -> bool {
        PriceList::valid_on(self, date)
    }

    fn price_entries(&self) -> Vec<FeedEntry> {
        vec![FeedEntry::PricesOf {
            reach: Reach::Skus(self.entries.keys().cloned().collect()),
            audience: audience_of(&self.scope),
        }]
    }
}

impl Dated for Promotion {
    fn valid_on(&self, date: Date) -> bool {
        Promotion::valid_on(self, date)
    }

    /// A promotion for account groups reaches those tiers only; any other
    /// is for every customer.
    fn price_entries(&self) -> Vec<FeedEntry> {
        let reach = Reach::of_promotion(&self.target);
        match &self.target {
            PromotionTarget::AccountGroups(groups) => groups
                .iter()
                .map(|tier| FeedEntry::PricesOf {
                    reach: reach.clone(),
                    audience: Audience::Tier(tier.clone()),
                })
                .collect(),
            _ => vec![FeedEntry::PricesOf {
                reach,
                audience: Audience::All,
            }],
        }
    }
}

/// Whether `item` applies on one of the days and not the other: its
/// prices on `to` differ from those on `from`.
pub fn window_moved(item: &dyn Dated, from: Date, to: Date) -> bool {
    item.valid_on(from) != item.valid_on(to)
}

/// The entries for everything in `items` whose window opened or closed
/// between day `from` and day `to` (either way round).
pub fn window_changes<'a>(
    items: impl IntoIterator<Item = &'a dyn Dated>,
    from: Date,
    to: Date,
) -> Vec<FeedEntry> {
    items
        .into_iter()
        .filter(|item| window_moved(*item, from, to))
        .flat_map(|item| item.price_entries())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "prices_tests.rs"]
mod tests;
