//! Building the pricebook: the catalog's list prices as base lists, the
//! stored price lists and promotions, indexed by whom each can apply to,
//! and rebuilt in part when a product, a list or an import changes them.
//! Quoting from it is `quote`'s.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rust_decimal::Decimal;
use time::Date;

use super::compact::{CompactList, SharedList, SkuId, Skus};
use super::{PriceBreak, PriceList, PriceListScope, Promotion, PromotionTarget};

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
    pub(super) skus: Arc<Skus>,
    /// The catalog's base lists first (by currency), then the stored lists.
    pub(super) lists: Vec<SharedList>,
    /// How many of `lists` are base lists made from the catalog's list
    /// prices (0 when the pricebook was given its lists whole).
    pub(super) catalog_base: usize,
    /// Base lists by currency.
    pub(super) base: HashMap<String, Vec<usize>>,
    /// Tier lists by tier.
    pub(super) tiers: HashMap<String, Vec<usize>>,
    /// Customer and contract lists by account.
    pub(super) accounts: HashMap<String, Vec<usize>>,
    pub(super) promotions: Arc<Promotions>,
}

#[derive(Debug, Default)]
pub(super) struct Promotions {
    pub(super) all: Vec<Promotion>,
    /// For each promotion (same order) that targets SKUs, those SKUs as a
    /// set: a clearance of thousands of SKUs is one lookup, not a scan.
    pub(super) skus: Vec<Option<HashSet<String>>>,
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

/// The base list of `currency`, empty: the catalog's list prices.
pub(super) fn base_terms(currency: &str) -> PriceList {
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

/// The one break a list price is: from quantity 0.
pub(super) fn list_price_break(price: Decimal) -> Vec<PriceBreak> {
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

    /// The promotion `id`, if the pricebook holds it.
    pub fn promotion(&self, id: &str) -> Option<&Promotion> {
        self.promotions.all.iter().find(|p| p.id == id)
    }

    /// Every promotion, highest priority first.
    pub fn promotions(&self) -> &[Promotion] {
        &self.promotions.all
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
