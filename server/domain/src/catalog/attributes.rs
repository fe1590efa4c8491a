//! Product attributes as columns, for filters and facets: per attribute
//! key, each product slot's value as a small id into a table of the key's
//! distinct values.
//!
//! A catalog has many products but few distinct values per key, so a search
//! decides once per distinct value whether a filter accepts it (comparing
//! text, parsing labels) and then tests one id per product; facets count
//! into a vector by id. Finding a key among a product's attributes and
//! comparing or hashing its value for each of 100,000 products was most of
//! the time of a filtered, faceted search over the whole catalog.

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::{AttributeValue, Facet, FacetCount, Product};

/// The id of a slot whose product has no attribute with the column's key.
const ABSENT: u32 = u32::MAX;

/// At most this many filters fit the per-product bitmask of
/// [`Selection::failed`].
pub(super) const MAX_FILTER_BITS: usize = u32::BITS as usize;

/// The columns of every key some product has.
#[derive(Debug, Default, Clone)]
pub(super) struct AttributeColumns {
    /// Each column is behind its own `Arc`: an index made after a write
    /// shares every column whose value at the written slot stayed the same,
    /// and a write that changes no attribute copies not even the map.
    columns: Arc<HashMap<String, Arc<Column>>>,
}

#[derive(Debug, Default, Clone)]
struct Column {
    /// Per slot, the id of its value in `values`. Slots past the end hold
    /// none, so adding a product copies only the columns of its own keys.
    ids: Vec<u32>,
    values: Vec<Distinct>,
    /// The id of each value some slot holds.
    lookup: HashMap<AttributeValue, u32>,
    /// Ids no slot holds any longer, taken again by the next new value so
    /// that edits do not grow the table without end.
    free: Vec<u32>,
}

#[derive(Debug, Clone)]
struct Distinct {
    value: AttributeValue,
    /// Kept, not rebuilt per search: a number's label ("230 V") is what
    /// facets show and what a filter value may name.
    label: String,
    /// How many slots hold the value; none: the id is free.
    uses: u32,
}

impl AttributeColumns {
    /// Makes `slot` hold `new`'s attribute values where it held `old`'s
    /// (`None`: a new slot). Copies (if shared) only the columns whose
    /// value at the slot changes.
    pub(super) fn put(&mut self, slot: usize, old: Option<&Product>, new: &Product) {
        let old = old.map(first_values).unwrap_or_default();
        let new = first_values(new);
        fn value_in<'p>(
            values: &[(&str, &'p AttributeValue)],
            key: &str,
        ) -> Option<&'p AttributeValue> {
            values.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
        }
        let mut changes: Vec<(&str, Option<&AttributeValue>)> = old
            .iter()
            .filter(|(key, _)| value_in(&new, key).is_none())
            .map(|(key, _)| (*key, None))
            .collect();
        changes.extend(
            new.iter()
                .filter(|(key, value)| value_in(&old, key) != Some(*value))
                .map(|(key, value)| (*key, Some(*value))),
        );
        if changes.is_empty() {
            return;
        }
        let columns = Arc::make_mut(&mut self.columns);
        for (key, value) in changes {
            if !columns.contains_key(key) {
                if value.is_none() {
                    continue;
                }
                columns.insert(key.to_string(), Arc::default());
            }
            let Some(column) = columns.get_mut(key) else {
                continue;
            };
            let column = Arc::make_mut(column);
            column.set(slot, value);
            // Like the attribute kinds, a key no product has is forgotten.
            if column.lookup.is_empty() {
                columns.remove(key);
            }
        }
    }

    /// The filters resolved against the columns, for a search that counts
    /// facets on `facet_keys` (each given once).
    pub(super) fn select<'a>(
        &'a self,
        filters: &'a [Filter],
        facet_keys: &[&'a str],
    ) -> Selection<'a> {
        debug_assert!(filters.len() <= MAX_FILTER_BITS);
        let resolved = filters
            .iter()
            .map(|filter| {
                let column = self.column(&filter.key);
                // Which of the column's value ids the filter accepts.
                let accepted = column
                    .map(|c| c.values.iter().map(|d| filter.accepts(d)).collect())
                    .unwrap_or_default();
                (column, accepted)
            })
            .collect();
        let facets = facet_keys
            .iter()
            .map(|&key| FacetKey {
                key,
                column: self.column(key),
                own_filters: filters
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.key == key)
                    .fold(0, |bits, (i, _)| bits | (1 << i)),
            })
            .collect();
        Selection {
            filters: resolved,
            facets,
        }
    }

    fn column(&self, key: &str) -> Option<&Column> {
        self.columns.get(key).map(Arc::as_ref)
    }
}

/// Each key's value as [`Product::attribute`] finds it: the first attribute
/// with the key.
fn first_values(product: &Product) -> Vec<(&str, &AttributeValue)> {
    let mut values: Vec<(&str, &AttributeValue)> = Vec::with_capacity(product.attributes.len());
    for attribute in &product.attributes {
        if !values.iter().any(|(key, _)| *key == attribute.key) {
            values.push((&attribute.key, &attribute.value));
        }
    }
    values
}

impl Column {
    fn id(&self, slot: usize) -> u32 {
        self.ids.get(slot).copied().unwrap_or(ABSENT)
    }

    fn set(&mut self, slot: usize, value: Option<&AttributeValue>) {
        let old = self.id(slot);
        if let Some(distinct) = self.values.get_mut(old as usize) {
            distinct.uses = distinct.uses.saturating_sub(1);
            if distinct.uses == 0 {
                self.lookup.remove(&distinct.value);
                self.free.push(old);
            }
        }
        let id = value.map_or(ABSENT, |v| self.intern(v));
        if slot >= self.ids.len() {
            if id == ABSENT {
                return;
            }
            self.ids.resize(slot + 1, ABSENT);
        }
        self.ids[slot] = id;
    }

    /// The id of `value`, counting one more use of it.
    fn intern(&mut self, value: &AttributeValue) -> u32 {
        if let Some(&id) = self.lookup.get(value)
            && let Some(distinct) = self.values.get_mut(id as usize)
        {
            distinct.uses += 1;
            return id;
        }
        let distinct = Distinct {
            value: value.clone(),
            label: value.label(),
            uses: 1,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.values[id as usize] = distinct;
                id
            }
            None => {
                self.values.push(distinct);
                u32::try_from(self.values.len() - 1).unwrap_or(ABSENT)
            }
        };
        self.lookup.insert(value.clone(), id);
        id
    }
}

/// A validated attribute filter.
#[derive(Debug)]
pub(super) struct Filter {
    pub(super) key: String,
    pub(super) values: Vec<String>,
    /// Those of `values` that are decimals.
    pub(super) numbers: Vec<Decimal>,
    pub(super) min: Option<Decimal>,
    pub(super) max: Option<Decimal>,
}

impl Filter {
    /// Whether a product with this value passes: a filter value names text
    /// or an option ignoring case, and a number by its decimal or label
    /// ("230", "230 V"); a range holds only for numbers.
    fn accepts(&self, distinct: &Distinct) -> bool {
        let by_value = self.values.is_empty()
            || match &distinct.value {
                AttributeValue::Text(s) | AttributeValue::Option(s) => {
                    self.values.iter().any(|v| v.eq_ignore_ascii_case(s))
                }
                AttributeValue::Number { value: n, .. } => {
                    self.numbers.contains(n)
                        || self
                            .values
                            .iter()
                            .any(|v| v.eq_ignore_ascii_case(&distinct.label))
                }
            };
        let in_range = match &distinct.value {
            AttributeValue::Number { value, .. } => {
                self.min.is_none_or(|min| *value >= min) && self.max.is_none_or(|max| *value <= max)
            }
            _ => self.min.is_none() && self.max.is_none(),
        };
        by_value && in_range
    }
}

/// A search's filters and facet keys, resolved to columns.
pub(super) struct Selection<'a> {
    /// Per filter: its key's column (none: no product passes) and, by
    /// value id, whether the filter accepts the value.
    filters: Vec<(Option<&'a Column>, Vec<bool>)>,
    facets: Vec<FacetKey<'a>>,
}

struct FacetKey<'a> {
    key: &'a str,
    column: Option<&'a Column>,
    /// The bits of the filters on this key, which its counts ignore.
    own_filters: u32,
}

/// A search's facet counts as it gathers products: per facet key, by
/// value id, the products in scope failing none of the other keys'
/// filters. Counted as each product is looked at rather than from a list
/// of every product in scope, which for a facet over the whole catalog was
/// 100,000 entries to grow and copy per search.
pub(super) struct FacetTally {
    /// Per facet key (as in the selection): counts by value id, empty when
    /// no product has the key.
    counts: Vec<Vec<u32>>,
}

impl Selection<'_> {
    /// The filters the product at `slot` fails, bit `i` for filter `i`.
    pub(super) fn failed(&self, slot: usize) -> u32 {
        let mut failed = 0;
        for (i, (column, accepted)) in self.filters.iter().enumerate() {
            let id = column.map_or(ABSENT, |c| c.id(slot));
            if !accepted.get(id as usize).copied().unwrap_or(false) {
                failed |= 1 << i;
            }
        }
        failed
    }

    /// Whether a product failing `failed` shows anywhere: among the hits
    /// (it fails nothing) or in a facet (it fails only that key's filters).
    pub(super) fn counts(&self, failed: u32) -> bool {
        failed == 0 || self.facets.iter().any(|f| failed & !f.own_filters == 0)
    }

    /// No product counted yet.
    pub(super) fn tally(&self) -> FacetTally {
        FacetTally {
            counts: self
                .facets
                .iter()
                .map(|facet| vec![0; facet.column.map_or(0, |c| c.values.len())])
                .collect(),
        }
    }

    /// Counts the product at `slot`, in scope and failing the filters
    /// `failed`, in the facets whose key's filters are all it fails.
    /// Facets are disjunctive: a key's counts ignore the filters on that
    /// key, so a buyer sees how many products each other value would give.
    pub(super) fn count(&self, tally: &mut FacetTally, slot: usize, failed: u32) {
        for (facet, counts) in self.facets.iter().zip(&mut tally.counts) {
            if failed & !facet.own_filters == 0
                && let Some(column) = facet.column
                // An absent value's id is past the end.
                && let Some(n) = counts.get_mut(column.id(slot) as usize)
            {
                *n += 1;
            }
        }
    }

    /// The facets `tally` counted.
    pub(super) fn facets(&self, tally: FacetTally) -> Vec<Facet> {
        self.facets
            .iter()
            .zip(tally.counts)
            .map(|(facet, counts)| Facet {
                key: facet.key.to_string(),
                values: facet
                    .column
                    .map(|column| column.facet_counts(&counts))
                    .unwrap_or_default(),
            })
            .collect()
    }
}

impl Column {
    /// The counts by label, most first, then by label. Distinct values
    /// can share a label (an option and a text "x"), and a buyer picks
    /// by label, so theirs add up.
    fn facet_counts(&self, counts: &[u32]) -> Vec<FacetCount> {
        let mut labelled: Vec<(&str, u32)> = counts
            .iter()
            .zip(&self.values)
            .filter(|(n, _)| **n > 0)
            .map(|(n, d)| (d.label.as_str(), *n))
            .collect();
        labelled.sort_unstable_by_key(|(label, _)| *label);
        let mut values: Vec<FacetCount> = Vec::with_capacity(labelled.len());
        for (label, n) in labelled {
            match values.last_mut() {
                Some(last) if last.value == label => last.count += n,
                _ => values.push(FacetCount {
                    value: label.to_string(),
                    count: n,
                }),
            }
        }
        values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        values
    }
}

#[cfg(test)]
#[path = "attributes_tests.rs"]
mod tests;
