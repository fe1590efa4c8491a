//! Product search: the text part comes from the full-text index as a list
//! of hits (see the server's `search::text`); this module decides everything
//! else — what the caller may see, category, attribute, price and stock
//! filters, facets, sort and paging. Attribute filters and facets read
//! the index's attribute columns (see `attributes`).
//!
//! Facets are disjunctive: a facet's counts ignore the filter on its own
//! key, so a buyer sees how many products each other value would give.
//! Price filters and sorting use the caller's own price, which the caller
//! of [`CatalogIndex::search`] supplies as a function.

use std::cmp::Ordering;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use rust_decimal::Decimal;

use super::attributes::{FacetTally, Filter, MAX_FILTER_BITS, Selection};
use super::{CatalogIndex, Product, Visible};
use crate::decimal::parse_decimal;
use crate::paging::{Page, PageLimits};
use crate::{DomainError, FieldViolation};

const LIMITS: PageLimits = PageLimits {
    default_size: 20,
    max_size: 200,
};
const MAX_QUERY_CHARS: usize = 256;
const MAX_FILTERS: usize = 20;
const _: () = assert!(MAX_FILTERS <= MAX_FILTER_BITS);
const MAX_FILTER_VALUES: usize = 100;
const MAX_FACET_KEYS: usize = 20;
/// Ranks an exact SKU or barcode hit above any sum of word weights.
const EXACT_CODE_SCORE: f32 = 1.0e6;

/// A search as the caller asked for it, before validation.
#[derive(Debug, Clone, Default, Hash)]
pub struct SearchRequest {
    pub query: String,
    pub category_id: String,
    pub filters: Vec<RawFilter>,
    pub facet_keys: Vec<String>,
    pub order_by: String,
    pub page_size: i32,
    pub page_token: String,
    /// Bounds on the caller's unit price, decimal strings, either may be empty.
    pub price_min: String,
    pub price_max: String,
    /// Only products with stock available in this warehouse.
    pub in_stock_at: String,
}

/// A product the text index matched, by its slot in the [`CatalogIndex`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextHit {
    pub slot: u64,
    pub score: f32,
    /// The query was exactly this product's SKU or barcode.
    pub exact_code: bool,
}

/// What a search needs besides the request: who is asking and what the
/// text index said.
pub struct SearchContext<'a> {
    pub visible: &'a Visible,
    /// `None` when the query has no words: everything matches.
    pub text: Option<&'a [TextHit]>,
    /// The caller's unit price of a product, by its slot, if it has one.
    pub price: &'a (dyn Fn(usize, &Product) -> Option<Decimal> + Sync),
    /// Whether a SKU has stock available in a warehouse.
    pub in_stock: &'a (dyn Fn(&str, &str) -> bool + Sync),
}

#[derive(Debug, Clone, Default, Hash)]
pub struct RawFilter {
    pub key: String,
    pub values: Vec<String>,
    pub min: String,
    pub max: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facet {
    pub key: String,
    pub values: Vec<FacetCount>,
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub products: Vec<Arc<Product>>,
    pub next_page_token: String,
    pub total: usize,
    pub facets: Vec<Facet>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Relevance,
    Name,
    Sku,
    Price,
}

#[derive(Debug, Clone, Copy)]
struct Order {
    key: SortKey,
    descending: bool,
}

fn parse_order(raw: &str) -> Result<Order, FieldViolation> {
    let mut words = raw.split_whitespace();
    let key = match words.next() {
        None | Some("relevance") => SortKey::Relevance,
        Some("name") => SortKey::Name,
        Some("sku") => SortKey::Sku,
        Some("price") => SortKey::Price,
        Some(other) => {
            return Err(FieldViolation::new(
                "order_by",
                format!("cannot sort by {other:?}; use relevance, name, sku or price"),
            ));
        }
    };
    let descending = match (words.next(), words.next()) {
        (None, None) => false,
        (Some("asc"), None) => false,
        (Some("desc"), None) => true,
        _ => {
            return Err(FieldViolation::new(
                "order_by",
                format!("{raw:?} is not \"<field>\" or \"<field> desc\""),
            ));
        }
    };
    if key == SortKey::Relevance && descending {
        return Err(FieldViolation::new(
            "order_by",
            "relevance is always best first",
        ));
    }
    Ok(Order { key, descending })
}

/// A search, validated.
struct Plan {
    filters: Vec<Filter>,
    order: Order,
    price_min: Option<Decimal>,
    price_max: Option<Decimal>,
}

impl CatalogIndex {
    /// Searches what `ctx.visible` lets the caller see: hits, totals and
    /// facets all stay within it.
    pub fn search(
        &self,
        request: &SearchRequest,
        ctx: &SearchContext<'_>,
    ) -> Result<SearchResults, DomainError> {
        let plan = self.validate(request)?;
        let page = Page::parse(
            request.page_size,
            &request.page_token,
            fingerprint(request),
            LIMITS,
        )?;

        let filter_keys = plan.filters.iter().map(|f| f.key.as_str());
        let mut facet_keys: Vec<&str> = Vec::new();
        for key in filter_keys.chain(request.facet_keys.iter().map(String::as_str)) {
            if !key.is_empty() && !facet_keys.contains(&key) {
                facet_keys.push(key);
            }
        }
        let selection = self.attributes.select(&plan.filters, &facet_keys);
        let found = match ctx.text {
            // Only the text hits can match: no need to look at the rest.
            Some(hits) => self.gather(request, ctx, &plan, &selection, self.scores(hits)),
            None => {
                let everything = (0..self.products.len()).map(|slot| (slot, 0.0));
                self.gather(request, ctx, &plan, &selection, everything)
            }
        };
        let facets = selection.facets(found.facets);
        let mut hits = found.hits;
        let window = page.window(hits.len());
        self.sort_window(&mut hits, plan.order, window.end);
        Ok(SearchResults {
            products: hits[window]
                .iter()
                .map(|hit| Arc::clone(&self.products[hit.slot]))
                .collect(),
            next_page_token: page.next_token(hits.len()),
            total: hits.len(),
            facets,
        })
    }

    /// Collects from `candidates` (slot and text score, ascending by slot)
    /// the products in scope and within the price and stock filters: those
    /// passing every attribute filter as hits, and those a facet counts.
    fn gather(
        &self,
        request: &SearchRequest,
        ctx: &SearchContext<'_>,
        plan: &Plan,
        selection: &Selection<'_>,
        candidates: impl IntoIterator<Item = (usize, f32)>,
    ) -> Found {
        let scope = self.scope(ctx.visible, &request.category_id);
        let price_filtered = plan.price_min.is_some() || plan.price_max.is_some();
        let needs_price = price_filtered || plan.order.key == SortKey::Price;
        let mut found = Found {
            hits: Vec::new(),
            facets: selection.tally(),
        };
        for (slot, score) in candidates {
            if !self.in_scope(&scope, slot) {
                continue;
            }
            // The attribute columns are cheap to ask: the caller's price and
            // the stock are only looked up for a product that shows somewhere.
            let failed = selection.failed(slot);
            if !selection.counts(failed) {
                continue;
            }
            let product = &self.products[slot];
            let mut price = None;
            if needs_price {
                price = (ctx.price)(slot, product);
                let in_range = price.is_some_and(|p| {
                    plan.price_min.is_none_or(|min| p >= min)
                        && plan.price_max.is_none_or(|max| p <= max)
                });
                if price_filtered && !in_range {
                    continue;
                }
            }
            // Last: the stock check is the dearest filter.
            if !request.in_stock_at.is_empty()
                && !(ctx.in_stock)(&product.sku, &request.in_stock_at)
            {
                continue;
            }
            selection.count(&mut found.facets, slot, failed);
            if failed == 0 {
                found.hits.push(Hit { slot, score, price });
            }
        }
        found
    }

    /// Text scores by slot, ascending; an exact SKU or barcode outranks
    /// everything.
    fn scores(&self, hits: &[TextHit]) -> Vec<(usize, f32)> {
        let mut scores: Vec<(usize, f32)> = hits
            .iter()
            .filter_map(|hit| {
                let slot = usize::try_from(hit.slot).ok()?;
                // A slot from a newer index than this one: not ours yet.
                (slot < self.products.len()).then_some((
                    slot,
                    if hit.exact_code {
                        EXACT_CODE_SCORE
                    } else {
                        hit.score
                    },
                ))
            })
            .collect();
        // Stable, so of a slot listed twice the last score counts.
        scores.sort_by_key(|&(slot, _)| slot);
        scores.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1 = later.1;
            }
            same
        });
        scores
    }

    fn validate(&self, request: &SearchRequest) -> Result<Plan, DomainError> {
        let mut violations = Vec::new();
        if request.query.chars().count() > MAX_QUERY_CHARS {
            violations.push(FieldViolation::new(
                "query",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        if !request.category_id.is_empty() && !self.tree.contains(&request.category_id) {
            violations.push(FieldViolation::new(
                "category_id",
                format!("no category {:?}", request.category_id),
            ));
        }
        if request.filters.len() > MAX_FILTERS {
            violations.push(FieldViolation::new(
                "filters",
                format!("at most {MAX_FILTERS} filters"),
            ));
        }
        if request.facet_keys.len() > MAX_FACET_KEYS {
            violations.push(FieldViolation::new(
                "facet_keys",
                format!("at most {MAX_FACET_KEYS} keys"),
            ));
        }
        let mut filters = Vec::with_capacity(request.filters.len());
        for (i, raw) in request.filters.iter().enumerate() {
            match parse_filter(i, raw) {
                Ok(f) => filters.push(f),
                Err(mut v) => violations.append(&mut v),
            }
        }
        let (price_min, price_max) = parse_range(
            "price_min",
            &request.price_min,
            "price_max",
            &request.price_max,
        )
        .unwrap_or_else(|mut v| {
            violations.append(&mut v);
            (None, None)
        });
        let order = parse_order(&request.order_by).map_err(|v| violations.push(v));
        match (violations.is_empty(), order) {
            (true, Ok(order)) => Ok(Plan {
                filters,
                order,
                price_min,
                price_max,
            }),
            _ => Err(DomainError::InvalidArgument {
                reason: "INVALID_SEARCH",
                violations,
            }),
        }
    }

    /// Puts in order the first `end` of `hits`, as if all were sorted:
    /// only a page is returned, so the rest stays unordered.
    fn sort_window(&self, hits: &mut [Hit], order: Order, end: usize) {
        let compare = |a: &Hit, b: &Hit| self.compare(a, b, order);
        if end == 0 {
            return;
        }
        if end < hits.len() {
            hits.select_nth_unstable_by(end - 1, compare);
        }
        hits[..end].sort_unstable_by(compare);
    }

    fn compare(&self, a: &Hit, b: &Hit, order: Order) -> Ordering {
        let product = |hit: &Hit| &self.products[hit.slot];
        let primary = match order.key {
            SortKey::Relevance => b.score.total_cmp(&a.score),
            SortKey::Name => product(a).name.cmp(&product(b).name),
            SortKey::Sku => product(a).sku.cmp(&product(b).sku),
            // Products without a price for the caller sort last.
            SortKey::Price => match (a.price, b.price) {
                (Some(x), Some(y)) => x.cmp(&y),
                (x, y) => y.is_some().cmp(&x.is_some()),
            },
        };
        let primary = if order.descending {
            primary.reverse()
        } else {
            primary
        };
        // Ties break by name then id so pages never overlap or skip.
        primary.then_with(|| {
            self.name_order
                .rank(a.slot)
                .cmp(&self.name_order.rank(b.slot))
        })
    }
}

/// What a search found.
struct Found {
    /// In slot order.
    hits: Vec<Hit>,
    /// What facets count: every product in scope and within the price and
    /// stock filters, by the attribute filters it fails.
    facets: FacetTally,
}

/// A product passing every filter, with what sorting needs.
#[derive(Debug, Clone, Copy)]
struct Hit {
    slot: usize,
    /// The text score (0 without a query).
    score: f32,
    /// The caller's price, if the search looked it up.
    price: Option<Decimal>,
}

/// Parses an optional inclusive decimal range.
fn parse_range(
    min_field: &str,
    min: &str,
    max_field: &str,
    max: &str,
) -> Result<(Option<Decimal>, Option<Decimal>), Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut bound = |field: &str, raw: &str| -> Option<Decimal> {
        if raw.is_empty() {
            return None;
        }
        parse_decimal(field, raw)
            .map_err(|e| match e {
                DomainError::InvalidArgument { violations: v, .. } => violations.extend(v),
                other => violations.push(FieldViolation::new(field, other.to_string())),
            })
            .ok()
    };
    let lo = bound(min_field, min);
    let hi = bound(max_field, max);
    if let (Some(lo), Some(hi)) = (lo, hi)
        && lo > hi
    {
        violations.push(FieldViolation::new(
            min_field,
            format!("{lo} is above {max_field} {hi}"),
        ));
    }
    if violations.is_empty() {
        Ok((lo, hi))
    } else {
        Err(violations)
    }
}

fn parse_filter(i: usize, raw: &RawFilter) -> Result<Filter, Vec<FieldViolation>> {
    let field = |name: &str| format!("filters[{i}].{name}");
    let mut violations = Vec::new();
    if raw.key.trim().is_empty() {
        violations.push(FieldViolation::new(field("key"), "must name an attribute"));
    }
    if raw.values.len() > MAX_FILTER_VALUES {
        violations.push(FieldViolation::new(
            field("values"),
            format!("at most {MAX_FILTER_VALUES} values"),
        ));
    }
    let (min, max) =
        parse_range(&field("min"), &raw.min, &field("max"), &raw.max).unwrap_or_else(|mut v| {
            violations.append(&mut v);
            (None, None)
        });
    if raw.values.is_empty() && raw.min.is_empty() && raw.max.is_empty() {
        violations.push(FieldViolation::new(
            field("values"),
            "give values, or min and/or max",
        ));
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(Filter {
        key: raw.key.trim().to_string(),
        numbers: raw
            .values
            .iter()
            .filter_map(|v| parse_decimal("", v).ok())
            .collect(),
        values: raw.values.clone(),
        min,
        max,
    })
}

/// Identifies a query apart from its paging, so a page token can only be
/// used with the query that produced it.
fn fingerprint(request: &SearchRequest) -> u64 {
    let mut hasher = DefaultHasher::new();
    request.query.hash(&mut hasher);
    request.category_id.hash(&mut hasher);
    request.filters.hash(&mut hasher);
    request.facet_keys.hash(&mut hasher);
    request.order_by.hash(&mut hasher);
    request.price_min.hash(&mut hasher);
    request.price_max.hash(&mut hasher);
    request.in_stock_at.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
