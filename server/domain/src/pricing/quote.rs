//! Quoting: what a customer pays for a quantity of a SKU, from the
//! pricebook as built (`pricebook`) — the applicable lists, the volume
//! break, promotions and rounding, each step explained on request.

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::Date;

use super::compact::{Breaks, SkuId};
use super::customer::{Applicable, CustomerPrices};
use super::pricebook::Pricebook;
use super::rounding::round_money;
use super::{Discount, PriceList, PriceListScope, Promotion, PromotionTarget};
use crate::DomainError;

/// Lines a cart may hold.
pub const MAX_CART_LINES: usize = 1000;
/// The most a line or a cart may come to, in its currency's units: past
/// any real order, and far enough below `Decimal`'s limit that tax, duty
/// and totals computed from it never overflow.
pub const MAX_CART_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x38D7E, 0, false, 0);

/// Who is buying, when, in which currency.
#[derive(Clone)]
pub struct PricingContext<'a> {
    pub account_id: &'a str,
    pub tier: &'a str,
    pub currency: &'a str,
    pub date: Date,
    /// How often this customer has used each promotion already.
    pub promotion_uses: &'a HashMap<String, u32>,
    /// Whether the customer's assortment holds a SKU: outside it, a SKU
    /// has no price, exactly as if it did not exist.
    pub visible: &'a (dyn Fn(&str) -> bool + Sync),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    PriceList,
    VolumeBreak,
    Promotion,
    Rounding,
}

/// One rule that shaped a price, with the unit price after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingStep {
    pub kind: StepKind,
    /// The price list or promotion id.
    pub source_id: String,
    pub description: String,
    pub unit_price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineQuote {
    pub sku: String,
    pub quantity: Decimal,
    /// The unit price from the applicable price list, before breaks and promotions.
    pub list_unit_price: Decimal,
    /// The net unit price, rounded.
    pub unit_price: Decimal,
    pub line_total: Decimal,
    /// What the customer saves against the list price on this line.
    pub discount_total: Decimal,
    pub steps: Vec<PricingStep>,
    /// Promotions that applied, for usage counting when an order is placed.
    pub promotions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartQuote {
    pub currency: String,
    pub lines: Vec<LineQuote>,
    pub subtotal: Decimal,
    pub discount_total: Decimal,
}

/// A cart line as the caller sent it.
#[derive(Debug, Clone)]
pub struct CartLine {
    pub sku: String,
    pub quantity: String,
}

/// What the shared pricing function records when asked to explain.
#[derive(Default)]
pub(super) struct Explanation {
    pub(super) steps: Vec<PricingStep>,
    pub(super) promotions: Vec<String>,
}

/// A price before it becomes a quote.
pub(super) struct Priced {
    pub(super) list_unit_price: Decimal,
    pub(super) unit_price: Decimal,
}

impl Pricebook {
    fn applies_to(&self, list: &PriceList, ctx: &PricingContext<'_>) -> bool {
        list.currency == ctx.currency
            && list.valid_on(ctx.date)
            && match &list.scope {
                PriceListScope::Base => true,
                PriceListScope::Tier(tier) => tier == ctx.tier,
                PriceListScope::Customer(account) => account == ctx.account_id,
                PriceListScope::Contract { account_id, .. } => account_id == ctx.account_id,
            }
    }

    /// What of this pricebook can apply to the customer of `ctx` at all,
    /// whatever the SKU.
    pub(super) fn applicable(&self, ctx: &PricingContext<'_>) -> Applicable {
        let applying = |bucket: Option<&Vec<usize>>| -> Vec<usize> {
            bucket
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| {
                    self.lists
                        .get(i)
                        .is_some_and(|list| self.applies_to(&list.terms, ctx))
                })
                .collect()
        };
        Applicable {
            lists: [
                applying(self.accounts.get(ctx.account_id)),
                applying(self.tiers.get(ctx.tier)),
                applying(self.base.get(ctx.currency)),
            ],
            promotions: (0..self.promotions.all.len())
                .filter(|&i| self.promotion_applies(i, ctx))
                .collect(),
        }
    }

    /// The list that prices SKU `id`: the highest-ranked applicable one
    /// holding it; among equals, the most recently started, then the lowest
    /// id, so the choice never depends on order.
    ///
    /// The customer's account lists outrank their tier's, which outrank the
    /// base lists, so the buckets are tried in that order and the first
    /// that holds an applicable list decides.
    pub(super) fn list_for(
        &self,
        applicable: &Applicable,
        id: SkuId,
    ) -> Option<(&PriceList, Breaks<'_>)> {
        applicable.lists.iter().find_map(|bucket| {
            bucket
                .iter()
                .filter_map(|&i| {
                    let list = self.lists.get(i)?;
                    Some((&list.terms, list.get(id)?))
                })
                .max_by(|(a, _), (b, _)| {
                    a.scope
                        .rank()
                        .cmp(&b.scope.rank())
                        .then_with(|| a.valid_from.cmp(&b.valid_from))
                        .then_with(|| b.id.cmp(&a.id))
                })
        })
    }

    /// Whether promotion `i` may apply to this customer on this date,
    /// before asking about the SKU: its window, the customer's use of it,
    /// its currency, and whom it targets when that is account groups.
    fn promotion_applies(&self, i: usize, ctx: &PricingContext<'_>) -> bool {
        let Some(promotion) = self.promotions.all.get(i) else {
            return false;
        };
        // The same two rules decide which feed entries a day or a use
        // brings (`feed::prices`): keep them the promotion's own.
        let in_window = promotion.valid_on(ctx.date);
        let under_cap =
            promotion.under_cap(ctx.promotion_uses.get(&promotion.id).copied().unwrap_or(0));
        let currency_fits = match promotion.discount {
            Discount::Percent(_) => true,
            Discount::AmountOff(_) => promotion.currency == ctx.currency,
        };
        let customer_targeted = match &promotion.target {
            PromotionTarget::AccountGroups(groups) => groups.iter().any(|g| g == ctx.tier),
            PromotionTarget::Skus(_) | PromotionTarget::Categories(_) => true,
        };
        in_window && under_cap && currency_fits && customer_targeted
    }

    /// Whether promotion `i` aims at `sku` (numbered `id`).
    fn targets(&self, i: usize, sku: &str, id: SkuId) -> bool {
        let Some(promotion) = self.promotions.all.get(i) else {
            return false;
        };
        match &promotion.target {
            PromotionTarget::Skus(skus) => match self.promotions.skus.get(i) {
                Some(Some(set)) => set.contains(sku),
                _ => skus.iter().any(|s| s == sku),
            },
            PromotionTarget::AccountGroups(_) => true,
            PromotionTarget::Categories(categories) => self
                .skus
                .path(id)
                .is_some_and(|path| path.iter().any(|c| categories.contains(c))),
        }
    }

    fn discounted(price: Decimal, discount: &Discount) -> Decimal {
        // Checked: list prices have no upper bound, and an overflow must
        // not take the server down. A cut that does not fit takes it all.
        let next = match discount {
            Discount::Percent(p) => price
                .checked_mul(*p)
                .and_then(|cut| cut.checked_div(Decimal::ONE_HUNDRED))
                .and_then(|cut| price.checked_sub(cut)),
            Discount::AmountOff(a) => price.checked_sub(*a),
        };
        next.unwrap_or(Decimal::ZERO).max(Decimal::ZERO)
    }

    /// This customer's prices, with what can apply to them resolved once:
    /// for pricing many SKUs (a search, a cart, a feed).
    pub fn for_customer<'a>(&'a self, ctx: &'a PricingContext<'a>) -> CustomerPrices<'a> {
        CustomerPrices::new(self, ctx)
    }

    /// Prices `quantity` of `sku`, explaining every rule that applied.
    pub fn price(
        &self,
        ctx: &PricingContext<'_>,
        sku: &str,
        quantity: Decimal,
    ) -> Option<LineQuote> {
        self.for_customer(ctx).price(sku, quantity)
    }

    /// The net unit price of `quantity` of `sku`: exactly
    /// [`Pricebook::price`]'s `unit_price`, without building the
    /// explanation.
    pub fn unit_price(
        &self,
        ctx: &PricingContext<'_>,
        sku: &str,
        quantity: Decimal,
    ) -> Option<Decimal> {
        self.for_customer(ctx).unit_price(sku, quantity)
    }

    /// See [`CustomerPrices::price_breaks`].
    pub fn price_breaks(&self, ctx: &PricingContext<'_>, sku: &str) -> Vec<(Decimal, Decimal)> {
        self.for_customer(ctx).price_breaks(sku)
    }

    /// The breaks of the list that prices `sku` for this customer.
    pub(super) fn breaks_for(
        &self,
        applicable: &Applicable,
        ctx: &PricingContext<'_>,
        sku: &str,
    ) -> Option<Breaks<'_>> {
        if !(ctx.visible)(sku) {
            return None;
        }
        let id = self.skus.id(sku)?;
        self.list_for(applicable, id).map(|(_, breaks)| breaks)
    }

    /// The number of `sku`.
    pub(super) fn sku_id(&self, sku: &str) -> Option<SkuId> {
        self.skus.id(sku)
    }

    /// The number of the catalog product at `slot`, whose SKU is `sku`,
    /// without hashing the SKU when the catalog gave its slots.
    pub(super) fn catalog_sku_id(&self, slot: usize, sku: &str) -> Option<SkuId> {
        match self.skus.at_slot(slot) {
            Some(id) => {
                // The catalog view swaps its index and pricebook together.
                debug_assert_eq!(self.skus.id(sku), Some(id), "slot {slot} is not {sku:?}");
                Some(id)
            }
            None => self.skus.id(sku),
        }
    }

    /// The pricing rules, once: list, volume break, promotions, rounding,
    /// for `sku`, whose number is `id`. Records each step in `explain`
    /// when given.
    pub(super) fn apply_rules(
        &self,
        applicable: &Applicable,
        ctx: &PricingContext<'_>,
        (sku, id): (&str, SkuId),
        quantity: Decimal,
        mut explain: Option<&mut Explanation>,
    ) -> Option<Priced> {
        if !(ctx.visible)(sku) {
            return None;
        }
        let (list, breaks) = self.list_for(applicable, id)?;
        let list_unit_price = breaks
            .iter()
            .filter(|b| b.min_quantity.is_zero())
            .map(|b| b.unit_price)
            .next()
            .or_else(|| breaks.iter().next().map(|b| b.unit_price))?;
        if let Some(e) = explain.as_deref_mut() {
            e.steps.push(PricingStep {
                kind: StepKind::PriceList,
                source_id: list.id.clone(),
                description: format!("{} ({})", list.name, scope_name(&list.scope)),
                unit_price: list_unit_price,
            });
        }
        let mut price = list_unit_price;
        if let Some(volume) = breaks
            .iter()
            .filter(|b| !b.min_quantity.is_zero() && b.min_quantity <= quantity)
            .max_by(|a, b| a.min_quantity.cmp(&b.min_quantity))
        {
            price = volume.unit_price;
            if let Some(e) = explain.as_deref_mut() {
                e.steps.push(PricingStep {
                    kind: StepKind::VolumeBreak,
                    source_id: list.id.clone(),
                    description: format!(
                        "volume break from {} units",
                        volume.min_quantity.normalize()
                    ),
                    unit_price: price,
                });
            }
        }

        // Every eligible stackable promotion in priority order, or the best
        // single exclusive one if that is cheaper.
        let mut stacked = price;
        let mut stacked_steps = Vec::new();
        let mut stacked_ids = Vec::new();
        let mut best_exclusive: Option<(Decimal, &Promotion)> = None;
        for &i in &applicable.promotions {
            let Some(promotion) = self.promotions.all.get(i) else {
                continue;
            };
            if !self.targets(i, sku, id) {
                continue;
            }
            if promotion.exclusive {
                let candidate = Self::discounted(price, &promotion.discount);
                // The first of equally cheap ones wins.
                if best_exclusive.is_none_or(|(best, _)| candidate < best) {
                    best_exclusive = Some((candidate, promotion));
                }
            } else {
                stacked = Self::discounted(stacked, &promotion.discount);
                if explain.is_some() {
                    stacked_steps.push(promotion_step(promotion, stacked));
                    stacked_ids.push(promotion.id.clone());
                }
            }
        }
        match best_exclusive {
            Some((exclusive_price, promotion)) if exclusive_price < stacked => {
                price = exclusive_price;
                if let Some(e) = explain.as_deref_mut() {
                    e.steps.push(promotion_step(promotion, price));
                    e.promotions.push(promotion.id.clone());
                }
            }
            _ => {
                price = stacked;
                if let Some(e) = explain.as_deref_mut() {
                    e.steps.extend(stacked_steps);
                    e.promotions.extend(stacked_ids);
                }
            }
        }

        let unit_price = round_money(price, ctx.currency);
        if unit_price != price
            && let Some(e) = explain
        {
            e.steps.push(PricingStep {
                kind: StepKind::Rounding,
                source_id: ctx.currency.to_string(),
                description: "rounded to the currency's minor unit, half away from zero".into(),
                unit_price,
            });
        }
        Some(Priced {
            list_unit_price,
            unit_price,
        })
    }

    /// See [`CustomerPrices::price_cart`].
    pub fn price_cart(
        &self,
        ctx: &PricingContext<'_>,
        lines: &[CartLine],
    ) -> Result<CartQuote, DomainError> {
        self.for_customer(ctx).price_cart(lines)
    }
}

fn scope_name(scope: &PriceListScope) -> String {
    match scope {
        PriceListScope::Base => "base prices".into(),
        PriceListScope::Tier(t) => format!("{t} tier prices"),
        PriceListScope::Customer(_) => "your customer prices".into(),
        PriceListScope::Contract { contract_id, .. } => format!("contract {contract_id}"),
    }
}

fn promotion_step(promotion: &Promotion, unit_price: Decimal) -> PricingStep {
    let what = match &promotion.discount {
        Discount::Percent(p) => format!("{}% off", p.normalize()),
        Discount::AmountOff(a) => format!("{} {} off each", a.normalize(), promotion.currency),
    };
    PricingStep {
        kind: StepKind::Promotion,
        source_id: promotion.id.clone(),
        description: format!(
            "{}: {what}{}",
            promotion.name,
            if promotion.exclusive {
                " (exclusive)"
            } else {
                ""
            }
        ),
        unit_price,
    }
}

#[cfg(test)]
#[path = "quote_tests.rs"]
mod tests;

// The index tests patch lists as a product write does.
#[cfg(test)]
use super::pricebook::list_price_break;

#[cfg(test)]
#[path = "quote_index_tests.rs"]
mod index_tests;
