//! The pricing engine over a loaded pricebook.

use std::collections::HashMap;

use rust_decimal::Decimal;
use time::Date;

use super::rounding::round_money;
use super::{Discount, PriceList, PriceListScope, Promotion, PromotionTarget};
use crate::domain::decimal::parse_decimal;
use crate::domain::{DomainError, FieldViolation};

/// Lines a cart may hold.
pub const MAX_CART_LINES: usize = 1000;

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

/// Price lists and promotions, and where each SKU sits in the category tree
/// (for category promotions).
#[derive(Debug, Default, Clone)]
pub struct Pricebook {
    lists: Vec<PriceList>,
    promotions: Vec<Promotion>,
    category_paths: HashMap<String, Vec<String>>,
}

impl Pricebook {
    pub fn new(
        lists: Vec<PriceList>,
        mut promotions: Vec<Promotion>,
        category_paths: HashMap<String, Vec<String>>,
    ) -> Self {
        promotions.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
        Self {
            lists,
            promotions,
            category_paths,
        }
    }

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

    /// The list that prices `sku` for this customer: the highest-ranked
    /// applicable one holding the SKU; among equals, the most recently
    /// started, then the lowest id, so the choice never depends on order.
    fn list_for(&self, ctx: &PricingContext<'_>, sku: &str) -> Option<&PriceList> {
        self.lists
            .iter()
            .filter(|l| l.entries.contains_key(sku) && self.applies_to(l, ctx))
            .max_by(|a, b| {
                a.scope
                    .rank()
                    .cmp(&b.scope.rank())
                    .then_with(|| a.valid_from.cmp(&b.valid_from))
                    .then_with(|| b.id.cmp(&a.id))
            })
    }

    fn eligible(&self, promotion: &Promotion, ctx: &PricingContext<'_>, sku: &str) -> bool {
        let in_window = promotion.valid_from.is_none_or(|f| ctx.date >= f)
            && promotion.valid_until.is_none_or(|u| ctx.date <= u);
        let under_cap = promotion
            .per_customer_cap
            .is_none_or(|cap| ctx.promotion_uses.get(&promotion.id).copied().unwrap_or(0) < cap);
        let currency_fits = match promotion.discount {
            Discount::Percent(_) => true,
            Discount::AmountOff(_) => promotion.currency == ctx.currency,
        };
        let targeted = match &promotion.target {
            PromotionTarget::Skus(skus) => skus.iter().any(|s| s == sku),
            PromotionTarget::AccountGroups(groups) => groups.iter().any(|g| g == ctx.tier),
            PromotionTarget::Categories(categories) => self
                .category_paths
                .get(sku)
                .is_some_and(|path| path.iter().any(|c| categories.contains(c))),
        };
        in_window && under_cap && currency_fits && targeted
    }

    fn discounted(price: Decimal, discount: &Discount) -> Decimal {
        let next = match discount {
            Discount::Percent(p) => price - price * p / Decimal::ONE_HUNDRED,
            Discount::AmountOff(a) => price - a,
        };
        next.max(Decimal::ZERO)
    }

    /// Prices `quantity` of `sku`.
    pub fn price(
        &self,
        ctx: &PricingContext<'_>,
        sku: &str,
        quantity: Decimal,
    ) -> Option<LineQuote> {
        if !(ctx.visible)(sku) {
            return None;
        }
        let list = self.list_for(ctx, sku)?;
        let breaks = list.entries.get(sku)?;
        let list_unit_price = breaks
            .iter()
            .filter(|b| b.min_quantity.is_zero())
            .map(|b| b.unit_price)
            .next()
            .or_else(|| breaks.first().map(|b| b.unit_price))?;
        let mut steps = vec![PricingStep {
            kind: StepKind::PriceList,
            source_id: list.id.clone(),
            description: format!("{} ({})", list.name, scope_name(&list.scope)),
            unit_price: list_unit_price,
        }];
        let mut price = list_unit_price;
        if let Some(volume) = breaks
            .iter()
            .filter(|b| !b.min_quantity.is_zero() && b.min_quantity <= quantity)
            .max_by(|a, b| a.min_quantity.cmp(&b.min_quantity))
        {
            price = volume.unit_price;
            steps.push(PricingStep {
                kind: StepKind::VolumeBreak,
                source_id: list.id.clone(),
                description: format!(
                    "volume break from {} units",
                    volume.min_quantity.normalize()
                ),
                unit_price: price,
            });
        }

        let eligible: Vec<&Promotion> = self
            .promotions
            .iter()
            .filter(|p| self.eligible(p, ctx, sku))
            .collect();
        let mut stacked = price;
        let mut stacked_steps = Vec::new();
        for promotion in eligible.iter().filter(|p| !p.exclusive) {
            stacked = Self::discounted(stacked, &promotion.discount);
            stacked_steps.push(promotion_step(promotion, stacked));
        }
        let best_exclusive = eligible
            .iter()
            .filter(|p| p.exclusive)
            .map(|p| (Self::discounted(price, &p.discount), *p))
            .min_by(|a, b| a.0.cmp(&b.0));
        let promotions = match best_exclusive {
            Some((exclusive_price, promotion)) if exclusive_price < stacked => {
                price = exclusive_price;
                steps.push(promotion_step(promotion, price));
                vec![promotion.id.clone()]
            }
            _ => {
                price = stacked;
                steps.extend(stacked_steps);
                eligible
                    .iter()
                    .filter(|p| !p.exclusive)
                    .map(|p| p.id.clone())
                    .collect()
            }
        };

        let unit_price = round_money(price, ctx.currency);
        if unit_price != price {
            steps.push(PricingStep {
                kind: StepKind::Rounding,
                source_id: ctx.currency.to_string(),
                description: "rounded to the currency's minor unit, half away from zero".into(),
                unit_price,
            });
        }
        let line_total = round_money(unit_price * quantity, ctx.currency);
        let discount_total = round_money(list_unit_price * quantity, ctx.currency) - line_total;
        Some(LineQuote {
            sku: sku.to_string(),
            quantity,
            list_unit_price,
            unit_price,
            line_total,
            discount_total,
            steps,
            promotions,
        })
    }

    /// Prices a cart in one call; every bad line is reported by its index.
    pub fn price_cart(
        &self,
        ctx: &PricingContext<'_>,
        lines: &[CartLine],
    ) -> Result<CartQuote, DomainError> {
        if lines.is_empty() {
            return Err(DomainError::invalid(
                "EMPTY_CART",
                "lines",
                "give at least one line",
            ));
        }
        if lines.len() > MAX_CART_LINES {
            return Err(DomainError::invalid(
                "CART_TOO_LARGE",
                "lines",
                format!("at most {MAX_CART_LINES} lines"),
            ));
        }
        let mut violations = Vec::new();
        let mut quotes = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let quantity = match parse_decimal(&format!("lines[{i}].quantity"), &line.quantity) {
                Ok(q) if q > Decimal::ZERO => q,
                Ok(_) => {
                    violations.push(FieldViolation::new(
                        format!("lines[{i}].quantity"),
                        "must be greater than zero",
                    ));
                    continue;
                }
                Err(DomainError::InvalidArgument { violations: v, .. }) => {
                    violations.extend(v);
                    continue;
                }
                Err(e) => return Err(e),
            };
            match self.price(ctx, &line.sku, quantity) {
                Some(quote) => quotes.push(quote),
                None => violations.push(FieldViolation::new(
                    format!("lines[{i}].sku"),
                    format!(
                        "{:?} has no {} price for this customer",
                        line.sku, ctx.currency
                    ),
                )),
            }
        }
        if !violations.is_empty() {
            return Err(DomainError::InvalidArgument {
                reason: "INVALID_CART",
                violations,
            });
        }
        let subtotal = quotes.iter().map(|q| q.line_total).sum();
        let discount_total = quotes.iter().map(|q| q.discount_total).sum();
        Ok(CartQuote {
            currency: ctx.currency.to_string(),
            lines: quotes,
            subtotal,
            discount_total,
        })
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
#[path = "engine_tests.rs"]
mod tests;
