//! The pricebook's in-memory form of price lists: every SKU interned once
//! to a number shared by all lists, each list a sorted array of SKU numbers
//! with its breaks in one flat array, and each decimal in 8 bytes when it
//! fits (it nearly always does). Two million customer prices take about a
//! quarter of the memory their stored records (`PriceList`) would.
//!
//! A list is immutable and shared (`Arc`) between pricebook versions; a
//! change to a few SKUs makes a new list from the old one.

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::{PriceBreak, PriceList};

/// A SKU's number in a [`Skus`] table.
pub(super) type SkuId = u32;

/// "No category path known" in [`Skus::path_of`].
const NO_PATH: u32 = u32::MAX;

/// A decimal in 8 bytes: the mantissa and scale inline when the mantissa
/// fits in 57 bits and a sign, else an index into the list's overflow
/// decimals. Unpacking gives back the very same decimal (mantissa and
/// scale), so a price prints as it was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed(u64);

const INLINE_LIMIT: i128 = 1 << 57;

impl Packed {
    fn pack(d: Decimal, overflow: &mut Vec<Decimal>) -> Self {
        let mantissa = d.mantissa();
        let negative_zero = mantissa == 0 && d.is_sign_negative();
        match i64::try_from(mantissa) {
            Ok(m) if (-INLINE_LIMIT..INLINE_LIMIT).contains(&mantissa) && !negative_zero => {
                // Bit 0: inline (0); bits 1-5: scale (at most 28); bits 6-63: mantissa.
                Packed(((m << 6) as u64) | (u64::from(d.scale()) << 1))
            }
            _ => {
                overflow.push(d);
                Packed((((overflow.len() - 1) as u64) << 1) | 1)
            }
        }
    }

    fn unpack(self, overflow: &[Decimal]) -> Decimal {
        if self.0 & 1 == 0 {
            let mantissa = (self.0 as i64) >> 6;
            let scale = ((self.0 >> 1) & 31) as u32;
            Decimal::try_from_i128_with_scale(i128::from(mantissa), scale).unwrap_or_default()
        } else {
            overflow
                .get((self.0 >> 1) as usize)
                .copied()
                .unwrap_or_default()
        }
    }
}

/// "No SKU number known for this catalog slot" in [`Skus::by_slot`].
const NO_SKU: SkuId = SkuId::MAX;

/// Every SKU any list or the catalog names, by number, with its category
/// path (for category promotions). Only grows: a number, once given, stays.
#[derive(Debug, Default, Clone)]
pub(super) struct Skus {
    ids: HashMap<Box<str>, SkuId>,
    /// Per SKU number: its path's number in `paths`, or [`NO_PATH`].
    path_of: Vec<u32>,
    /// Distinct category paths, root first (a catalog has few).
    paths: Vec<Vec<String>>,
    /// The number of the catalog product at each slot of the catalog index
    /// the pricebook was made from, or [`NO_SKU`]: a search pricing
    /// thousands of hits in slot order reads these in turn rather than
    /// hashing each SKU (which was half of pricing a hit).
    by_slot: Vec<SkuId>,
}

impl Skus {
    pub(super) fn id(&self, sku: &str) -> Option<SkuId> {
        self.ids.get(sku).copied()
    }

    /// The number of the catalog product at `slot`, if the catalog said.
    pub(super) fn at_slot(&self, slot: usize) -> Option<SkuId> {
        self.by_slot.get(slot).copied().filter(|&id| id != NO_SKU)
    }

    pub(super) fn set_slot(&mut self, slot: usize, id: SkuId) {
        if self.by_slot.len() <= slot {
            self.by_slot.resize(slot + 1, NO_SKU);
        }
        self.by_slot[slot] = id;
    }

    /// The number of `sku`, giving it one if it has none.
    pub(super) fn intern(&mut self, sku: &str) -> SkuId {
        if let Some(&id) = self.ids.get(sku) {
            return id;
        }
        let id = SkuId::try_from(self.path_of.len()).unwrap_or(SkuId::MAX);
        self.ids.insert(sku.into(), id);
        self.path_of.push(NO_PATH);
        id
    }

    pub(super) fn set_path(&mut self, id: SkuId, path: &[String]) {
        let number = match self.paths.iter().position(|p| p.as_slice() == path) {
            Some(n) => n,
            None => {
                self.paths.push(path.to_vec());
                self.paths.len() - 1
            }
        };
        if let Some(slot) = self.path_of.get_mut(id as usize) {
            *slot = u32::try_from(number).unwrap_or(NO_PATH);
        }
    }

    pub(super) fn clear_path(&mut self, id: SkuId) {
        if let Some(slot) = self.path_of.get_mut(id as usize) {
            *slot = NO_PATH;
        }
    }

    /// The category path of SKU `id`, root first, if known.
    pub(super) fn path(&self, id: SkuId) -> Option<&[String]> {
        let number = *self.path_of.get(id as usize)?;
        self.paths.get(number as usize).map(Vec::as_slice)
    }
}

/// One price list: its terms (a [`PriceList`] without entries) and its
/// prices by SKU number.
#[derive(Debug)]
pub(super) struct CompactList {
    /// The list's id, name, currency, scope and dates; `entries` is empty.
    pub(super) terms: PriceList,
    /// SKU numbers, ascending.
    skus: Vec<SkuId>,
    /// SKU `skus[i]`'s breaks are `breaks[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    /// (min quantity, unit price).
    breaks: Vec<(Packed, Packed)>,
    overflow: Vec<Decimal>,
}

/// A SKU's breaks in a [`CompactList`].
#[derive(Clone, Copy)]
pub(super) struct Breaks<'a> {
    list: &'a CompactList,
    packed: &'a [(Packed, Packed)],
}

impl<'a> Breaks<'a> {
    pub(super) fn iter(self) -> impl Iterator<Item = PriceBreak> + 'a {
        let overflow = self.list.overflow.as_slice();
        self.packed.iter().map(move |(q, p)| PriceBreak {
            min_quantity: q.unpack(overflow),
            unit_price: p.unpack(overflow),
        })
    }
}

impl CompactList {
    /// A list from its record, numbering its SKUs in `skus`.
    pub(super) fn from_list(list: PriceList, skus: &mut Skus) -> Self {
        Self::numbered_by(list, |sku| Some(skus.intern(sku)))
    }

    /// [`CompactList::from_list`] for a list whose SKUs all have numbers
    /// in `skus` already (one that has none is left out).
    pub(super) fn from_known(list: PriceList, skus: &Skus) -> Self {
        Self::numbered_by(list, |sku| skus.id(sku))
    }

    fn numbered_by(mut list: PriceList, mut number: impl FnMut(&str) -> Option<SkuId>) -> Self {
        let entries = std::mem::take(&mut list.entries);
        let mut numbered: Vec<(SkuId, Vec<PriceBreak>)> = entries
            .into_iter()
            .filter_map(|(sku, breaks)| Some((number(&sku)?, breaks)))
            .collect();
        numbered.sort_by_key(|(id, _)| *id);
        Self::from_numbered(list, numbered)
    }

    pub(super) fn from_numbered(terms: PriceList, numbered: Vec<(SkuId, Vec<PriceBreak>)>) -> Self {
        let mut out = Self {
            terms,
            skus: Vec::with_capacity(numbered.len()),
            starts: Vec::with_capacity(numbered.len() + 1),
            breaks: Vec::with_capacity(numbered.iter().map(|(_, b)| b.len()).sum()),
            overflow: Vec::new(),
        };
        for (id, breaks) in numbered {
            out.push(id, &breaks);
        }
        out.starts.push(out.len_breaks());
        out
    }

    fn len_breaks(&self) -> u32 {
        u32::try_from(self.breaks.len()).unwrap_or(u32::MAX)
    }

    fn push(&mut self, id: SkuId, breaks: &[PriceBreak]) {
        self.skus.push(id);
        self.starts.push(self.len_breaks());
        for b in breaks {
            let q = Packed::pack(b.min_quantity, &mut self.overflow);
            let p = Packed::pack(b.unit_price, &mut self.overflow);
            self.breaks.push((q, p));
        }
    }

    /// The breaks of SKU `id`, if the list holds it.
    pub(super) fn get(&self, id: SkuId) -> Option<Breaks<'_>> {
        let i = self.skus.binary_search(&id).ok()?;
        let from = *self.starts.get(i)? as usize;
        let to = *self.starts.get(i + 1)? as usize;
        Some(Breaks {
            list: self,
            packed: self.breaks.get(from..to)?,
        })
    }

    pub(super) fn contains(&self, id: SkuId) -> bool {
        self.skus.binary_search(&id).is_ok()
    }

    /// Appends the `i`th SKU of `from` (another list) as it is.
    fn copy(&mut self, from: &CompactList, i: usize) {
        let (Some(&id), Some(&start), Some(&end)) =
            (from.skus.get(i), from.starts.get(i), from.starts.get(i + 1))
        else {
            return;
        };
        self.skus.push(id);
        self.starts.push(self.len_breaks());
        for &(q, p) in from
            .breaks
            .get(start as usize..end as usize)
            .unwrap_or_default()
        {
            let q = Packed::pack(q.unpack(&from.overflow), &mut self.overflow);
            let p = Packed::pack(p.unpack(&from.overflow), &mut self.overflow);
            self.breaks.push((q, p));
        }
    }

    /// This list with `changes` applied: a SKU number with breaks gets
    /// them, one with `None` leaves the list. Copies the list once.
    pub(super) fn patched(&self, changes: &HashMap<SkuId, Option<Vec<PriceBreak>>>) -> Self {
        let mut out = Self {
            terms: self.terms.clone(),
            skus: Vec::with_capacity(self.skus.len() + changes.len()),
            starts: Vec::with_capacity(self.skus.len() + changes.len() + 1),
            breaks: Vec::with_capacity(self.breaks.len() + changes.len()),
            overflow: Vec::new(),
        };
        let mut added: Vec<(SkuId, &Vec<PriceBreak>)> = changes
            .iter()
            .filter_map(|(&id, b)| b.as_ref().map(|b| (id, b)))
            .filter(|(id, _)| !self.contains(*id))
            .collect();
        added.sort_by_key(|(id, _)| *id);
        let mut added = added.into_iter().peekable();
        for (i, &id) in self.skus.iter().enumerate() {
            while let Some((new_id, breaks)) = added.next_if(|(n, _)| *n < id) {
                out.push(new_id, breaks);
            }
            match changes.get(&id) {
                Some(Some(breaks)) => out.push(id, breaks),
                Some(None) => {}
                None => out.copy(self, i),
            }
        }
        for (new_id, breaks) in added {
            out.push(new_id, breaks);
        }
        out.starts.push(out.len_breaks());
        out
    }
}

/// A shared list, as the pricebook holds them.
pub(super) type SharedList = Arc<CompactList>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_come_back_exactly() {
        let mut overflow = Vec::new();
        let samples = [
            "0",
            "-0",
            "1",
            "12.50",
            "12.5",
            "-3.1400",
            "0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "144115188075855871",
            "144115188075855872",
            "-144115188075855872",
            "-144115188075855873",
        ];
        for s in samples {
            let d: Decimal = s.parse().unwrap();
            let back = Packed::pack(d, &mut overflow).unpack(&overflow);
            assert_eq!(back, d, "{s}");
            assert_eq!(back.to_string(), d.to_string(), "{s}");
            assert_eq!(back.scale(), d.scale(), "{s}");
        }
    }

    #[test]
    fn a_patched_pricebook_prices_as_a_rebuilt_one() {
        use crate::pricing::{
            CatalogPrice, Discount, Pricebook, PricingContext, Promotion, PromotionTarget,
        };

        let paths = [
            vec!["cat-a".to_string()],
            vec!["cat-a".to_string(), "cat-b".to_string()],
        ];
        // (slot in the catalog, SKU, currency, list price, path)
        let price =
            |slot: usize, sku: &'static str, currency: &'static str, cents: i64, path: usize| {
                (slot, sku, currency, Decimal::new(cents, 2), path)
            };
        let before = vec![
            price(0, "A", "EUR", 1000, 0),
            price(1, "B", "EUR", 2050, 1),
            price(2, "C", "USD", 990, 0),
            price(3, "D", "EUR", 100, 1),
        ];
        // D's slot now holds F; E is added at a new slot.
        let changes = vec![
            price(0, "A", "EUR", 1100, 0),
            price(1, "B", "USD", 2050, 0),
            price(4, "E", "GBP", 500, 1),
            price(3, "F", "EUR", 700, 0),
        ];
        let promotion = Promotion {
            id: "p".into(),
            name: "p".into(),
            currency: "EUR".into(),
            target: PromotionTarget::Categories(vec!["cat-b".into()]),
            discount: Discount::Percent(Decimal::TEN),
            valid_from: None,
            valid_until: None,
            exclusive: false,
            priority: 1,
            per_customer_cap: None,
        };
        type Row = (usize, &'static str, &'static str, Decimal, usize);
        let as_prices = |rows: &[Row]| {
            rows.iter()
                .map(|&(slot, sku, currency, list_price, path)| CatalogPrice {
                    slot,
                    sku,
                    currency,
                    list_price,
                    path: paths[path].as_slice(),
                })
                .collect::<Vec<_>>()
        };
        let book = Pricebook::for_catalog(as_prices(&before), vec![promotion.clone()]);
        let patched = book.with_products(as_prices(&changes), &["D"]);
        let mut after: Vec<_> = before.clone();
        for c in &changes {
            match after.iter().position(|b| b.0 == c.0) {
                Some(i) => after[i] = *c,
                None => after.push(*c),
            }
        }
        let rebuilt = Pricebook::for_catalog(as_prices(&after), vec![promotion]);
        let uses = HashMap::new();
        let everything = |_: &str| true;
        for currency in ["EUR", "USD", "GBP"] {
            let ctx = PricingContext {
                account_id: "acc",
                tier: "gold",
                currency,
                date: time::macros::date!(2026 - 11 - 24),
                promotion_uses: &uses,
                visible: &everything,
            };
            for sku in ["A", "B", "C", "D", "E", "F"] {
                assert_eq!(
                    patched.price(&ctx, sku, Decimal::ONE),
                    rebuilt.price(&ctx, sku, Decimal::ONE),
                    "{currency} {sku}"
                );
            }
            // By slot, as search prices, the same as by SKU.
            let prices = patched.for_customer(&ctx);
            for &(slot, sku, ..) in &after {
                assert_eq!(
                    prices.unit_price_at(slot, sku, Decimal::ONE),
                    rebuilt.unit_price(&ctx, sku, Decimal::ONE),
                    "{currency} {sku} at slot {slot}"
                );
            }
        }
        // The first book is untouched.
        let ctx = PricingContext {
            account_id: "acc",
            tier: "gold",
            currency: "EUR",
            date: time::macros::date!(2026 - 11 - 24),
            promotion_uses: &uses,
            visible: &everything,
        };
        assert_eq!(
            book.unit_price(&ctx, "B", Decimal::ONE),
            Some(Decimal::new(1845, 2))
        );
    }
}
