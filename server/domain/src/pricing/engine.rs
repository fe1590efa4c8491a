//! The pricing engine over a loaded pricebook.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rust_decimal::Decimal;
use time::Date;

use super::compact::{Breaks, CompactList, SharedList, SkuId, Skus};
use super::customer::{Applicable, CustomerPrices};
use super::rounding::round_money;
use super::{Discount, PriceBreak, PriceList, PriceListScope, Promotion, PromotionTarget};
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

/// Price lists and promotions, and where each SKU sits in the category tree
/// (for category promotions).
///
/// Lists are indexed by whom they can apply to, so pricing a SKU looks only
/// at the caller's own account lists, their tier's lists and the base lists
/// of their currency, not at every customer's. The lists are held compactly
/// (see `compact`) and shared (`Arc`) between pricebook versions: a product
/// write patches the base list of its currency and copies no customer's
/// prices.
#[derive(Debug, Default, Clone)]
pub struct Pricebook {
    skus: Arc<Skus>,
    /// The catalog's base lists first (by currency), then the stored lists.
    lists: Vec<SharedList>,
    /// How many of `lists` are base lists made from the catalog's list
    /// prices (0 when the pricebook was given its lists whole).
    catalog_base: usize,
    /// Base lists by currency.
    base: HashMap<String, Vec<usize>>,
    /// Tier lists by tier.
    tiers: HashMap<String, Vec<usize>>,
    /// Customer and contract lists by account.
    accounts: HashMap<String, Vec<usize>>,
    promotions: Arc<Promotions>,
}

#[derive(Debug, Default)]
struct Promotions {
    all: Vec<Promotion>,
    /// For each promotion (same order) that targets SKUs, those SKUs as a
    /// set: a clearance of thousands of SKUs is one lookup, not a scan.
    skus: Vec<Option<HashSet<String>>>,
}

impl Promotions {
    fn new(mut promotions: Vec<Promotion>) -> Self {
        promotions.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
        let skus = promotions
            .iter()
            .map(|p| match &p.target {
                PromotionTarget::Skus(skus) => Some(skus.iter().cloned().collect()),
                _ => None,
            })
            .collect();
        Self {
            all: promotions,
            skus,
        }
    }
}

/// A catalog product as its base price list and category promotions see it.
#[derive(Debug, Clone, Copy)]
pub struct CatalogPrice<'a> {
    /// Where the product sits in the catalog index: search prices hits by
    /// slot (see [`CustomerPrices::unit_price_at`]).
    pub slot: usize,
    pub sku: &'a str,
    pub currency: &'a str,
    pub list_price: Decimal,
    /// Its category path, root first.
    pub path: &'a [String],
}

/// Stored price lists being read into a pricebook one by one, so a store's
/// records are never all in memory at once (see [`Pricebook::lists_loader`]).
pub struct ListLoader {
    skus: Skus,
    lists: Vec<SharedList>,
}

impl ListLoader {
    pub fn add(&mut self, list: PriceList) {
        self.lists
            .push(Arc::new(CompactList::from_list(list, &mut self.skus)));
    }
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

fn base_terms(currency: &str) -> PriceList {
    PriceList {
        id: format!("base-{}", currency.to_lowercase()),
        name: "List prices".into(),
        currency: currency.to_string(),
        scope: PriceListScope::Base,
        valid_from: None,
        valid_until: None,
        entries: Default::default(),
    }
}

fn list_price_break(price: Decimal) -> Vec<PriceBreak> {
    vec![PriceBreak {
        min_quantity: Decimal::ZERO,
        unit_price: price,
    }]
}

impl Pricebook {
    pub fn new(
        lists: Vec<PriceList>,
        promotions: Vec<Promotion>,
        category_paths: HashMap<String, Vec<String>>,
    ) -> Self {
        let mut skus = Skus::default();
        for (sku, path) in &category_paths {
            let id = skus.intern(sku);
            skus.set_path(id, path);
        }
        let lists = lists
            .into_iter()
            .map(|l| Arc::new(CompactList::from_list(l, &mut skus)))
            .collect();
        Self::assemble(
            Arc::new(skus),
            lists,
            0,
            Arc::new(Promotions::new(promotions)),
        )
    }

    /// The pricebook of a catalog: its products' list prices as the base
    /// lists (one per currency), no stored lists yet (see
    /// [`Pricebook::with_lists`]), and `promotions`.
    pub fn for_catalog<'a>(
        products: impl IntoIterator<Item = CatalogPrice<'a>>,
        promotions: Vec<Promotion>,
    ) -> Self {
        let mut skus = Skus::default();
        let mut by_currency: std::collections::BTreeMap<&str, Vec<(SkuId, Vec<PriceBreak>)>> =
            std::collections::BTreeMap::new();
        for p in products {
            let id = skus.intern(p.sku);
            skus.set_path(id, p.path);
            skus.set_slot(p.slot, id);
            by_currency
                .entry(p.currency)
                .or_default()
                .push((id, list_price_break(p.list_price)));
        }
        let lists: Vec<SharedList> = by_currency
            .into_iter()
            .map(|(currency, numbered)| {
                Arc::new(CompactList::from_numbered(
                    base_terms(currency),
                    last_of_each(numbered),
                ))
            })
            .collect();
        let catalog_base = lists.len();
        Self::assemble(
            Arc::new(skus),
            lists,
            catalog_base,
            Arc::new(Promotions::new(promotions)),
        )
    }

    /// Starts reading stored lists to replace this pricebook's.
    pub fn lists_loader(&self) -> ListLoader {
        ListLoader {
            skus: Skus::clone(&self.skus),
            lists: Vec::new(),
        }
    }

    /// This pricebook with the stored lists `loader` read and `promotions`
    /// instead of its own; the catalog's base lists stay.
    pub fn with_lists(&self, loader: ListLoader, promotions: Vec<Promotion>) -> Self {
        let mut lists: Vec<SharedList> = self.lists[..self.catalog_base].to_vec();
        lists.extend(loader.lists);
        Self::assemble(
            Arc::new(loader.skus),
            lists,
            self.catalog_base,
            Arc::new(Promotions::new(promotions)),
        )
    }

    /// This pricebook with `changed` stored lists in place of those with
    /// the same ids (new ones added), keeping its promotions: an import of
    /// one customer's prices rebuilds that list only. Every other list is
    /// shared, and the SKU table is copied only when a list names a SKU
    /// it has no number for.
    pub fn with_changed_lists(&self, changed: Vec<PriceList>) -> Self {
        let mut skus = Arc::clone(&self.skus);
        let mut lists = self.lists.clone();
        for list in changed {
            let at = lists[self.catalog_base..]
                .iter()
                .position(|l| l.terms.id == list.id)
                .map(|i| i + self.catalog_base);
            let known = list.entries.keys().all(|sku| skus.id(sku).is_some());
            let compact = Arc::new(if known {
                CompactList::from_known(list, &skus)
            } else {
                CompactList::from_list(list, Arc::make_mut(&mut skus))
            });
            match at {
                Some(i) => lists[i] = compact,
                None => lists.push(compact),
            }
        }
        Self::assemble(skus, lists, self.catalog_base, Arc::clone(&self.promotions))
    }

    /// This pricebook with `changed` catalog products' list prices and
    /// category paths, and the SKUs `gone` no longer in the catalog: only
    /// the base lists holding them are copied, and the SKU table only when
    /// a SKU is new or moved category.
    pub fn with_products<'a>(
        &self,
        changed: impl IntoIterator<Item = CatalogPrice<'a>>,
        gone: &[&str],
    ) -> Self {
        let changed: Vec<CatalogPrice<'a>> = changed.into_iter().collect();
        let stale = !gone.is_empty()
            || changed.iter().any(|p| {
                self.skus.id(p.sku).is_none_or(|id| {
                    self.skus.path(id) != Some(p.path) || self.skus.at_slot(p.slot) != Some(id)
                })
            });
        let skus = if stale {
            let mut skus = Skus::clone(&self.skus);
            for sku in gone {
                if let Some(id) = skus.id(sku) {
                    skus.clear_path(id);
                }
            }
            for p in &changed {
                let id = skus.intern(p.sku);
                skus.set_path(id, p.path);
                skus.set_slot(p.slot, id);
            }
            Arc::new(skus)
        } else {
            Arc::clone(&self.skus)
        };
        let mut base: Vec<SharedList> = self.lists[..self.catalog_base].to_vec();
        for p in &changed {
            if !base.iter().any(|l| l.terms.currency == p.currency) {
                base.push(Arc::new(CompactList::from_numbered(
                    base_terms(p.currency),
                    Vec::new(),
                )));
            }
        }
        base.sort_by(|a, b| a.terms.currency.cmp(&b.terms.currency));
        for list in &mut base {
            let mut changes: HashMap<SkuId, Option<Vec<PriceBreak>>> = HashMap::new();
            for id in gone.iter().filter_map(|sku| skus.id(sku)) {
                if list.contains(id) {
                    changes.insert(id, None);
                }
            }
            for p in &changed {
                let Some(id) = skus.id(p.sku) else { continue };
                if p.currency == list.terms.currency {
                    changes.insert(id, Some(list_price_break(p.list_price)));
                } else if list.contains(id) {
                    changes.insert(id, None);
                }
            }
            if !changes.is_empty() {
                *list = Arc::new(list.patched(&changes));
            }
        }
        let catalog_base = base.len();
        base.extend(self.lists[self.catalog_base..].iter().cloned());
        Self::assemble(skus, base, catalog_base, Arc::clone(&self.promotions))
    }

    fn assemble(
        skus: Arc<Skus>,
        lists: Vec<SharedList>,
        catalog_base: usize,
        promotions: Arc<Promotions>,
    ) -> Self {
        let mut base: HashMap<String, Vec<usize>> = HashMap::new();
        let mut tiers: HashMap<String, Vec<usize>> = HashMap::new();
        let mut accounts: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, list) in lists.iter().enumerate() {
            let (bucket, key) = match &list.terms.scope {
                PriceListScope::Base => (&mut base, &list.terms.currency),
                PriceListScope::Tier(tier) => (&mut tiers, tier),
                PriceListScope::Customer(account) => (&mut accounts, account),
                PriceListScope::Contract { account_id, .. } => (&mut accounts, account_id),
            };
            bucket.entry(key.clone()).or_default().push(i);
        }
        Self {
            skus,
            lists,
            catalog_base,
            base,
            tiers,
            accounts,
            promotions,
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
    fn list_for(&self, applicable: &Applicable, id: SkuId) -> Option<(&PriceList, Breaks<'_>)> {
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
        let in_window = promotion.valid_from.is_none_or(|f| ctx.date >= f)
            && promotion.valid_until.is_none_or(|u| ctx.date <= u);
        let under_cap = promotion
            .per_customer_cap
            .is_none_or(|cap| ctx.promotion_uses.get(&promotion.id).copied().unwrap_or(0) < cap);
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

    /// The contract under which `account_id` buys on `date`: the contract
    /// price list valid then (the most recently started, if several).
    pub fn active_contract(&self, account_id: &str, date: Date) -> Option<&str> {
        self.accounts
            .get(account_id)?
            .iter()
            .filter_map(|&i| self.lists.get(i).map(|l| &l.terms))
            .filter(|l| l.valid_on(date))
            .filter_map(|l| match &l.scope {
                PriceListScope::Contract { contract_id, .. } => Some((l.valid_from, contract_id)),
                _ => None,
            })
            .max()
            .map(|(_, id)| id.as_str())
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

/// `numbered` sorted by SKU number, the last entry of a number given twice
/// kept (as a map built from them in order would).
fn last_of_each(mut numbered: Vec<(SkuId, Vec<PriceBreak>)>) -> Vec<(SkuId, Vec<PriceBreak>)> {
    numbered.reverse();
    // Stable: of equal numbers, the one given last comes first.
    numbered.sort_by_key(|(id, _)| *id);
    numbered.dedup_by_key(|(id, _)| *id);
    numbered
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

#[cfg(test)]
#[path = "engine_index_tests.rs"]
mod index_tests;
