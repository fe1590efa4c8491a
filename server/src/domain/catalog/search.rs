//! Product search over an in-memory inverted index of the catalog.
//!
//! Relevance: every query word must match (AND) a word of the product, whole
//! or as a prefix ("cab" finds "cable"); fields weigh differently (SKU and
//! barcode over name over attributes over category and description), and a
//! query that is exactly a SKU or barcode puts that product first. Facets
//! are disjunctive: a facet's counts ignore the filter on its own key, so a
//! buyer sees how many products each other value would give.
//!
//! The index is immutable; a catalog change builds a new one and swaps it in.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use rust_decimal::Decimal;

use super::{AttributeValue, Category, CategoryTree, Product, Visible};
use crate::domain::decimal::parse_decimal;
use crate::domain::paging::{Page, PageLimits};
use crate::domain::{DomainError, FieldViolation};

const LIMITS: PageLimits = PageLimits {
    default_size: 20,
    max_size: 200,
};
const MAX_QUERY_CHARS: usize = 256;
const MAX_FILTERS: usize = 20;
const MAX_FILTER_VALUES: usize = 100;
const MAX_FACET_KEYS: usize = 20;
/// Ranks an exact SKU or barcode hit above any sum of word weights.
const EXACT_CODE_SCORE: f32 = 1.0e6;

const WEIGHT_CODE: f32 = 8.0;
const WEIGHT_NAME: f32 = 4.0;
const WEIGHT_ATTRIBUTE: f32 = 2.0;
const WEIGHT_CATEGORY: f32 = 1.5;
const WEIGHT_DESCRIPTION: f32 = 1.0;
/// A prefix match counts for less than the whole word.
const PREFIX_FACTOR: f32 = 0.5;

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

/// A validated filter.
#[derive(Debug)]
struct Filter {
    key: String,
    values: Vec<String>,
    numbers: Vec<Decimal>,
    min: Option<Decimal>,
    max: Option<Decimal>,
}

impl Filter {
    fn matches(&self, product: &Product) -> bool {
        let Some(value) = product.attribute(&self.key) else {
            return false;
        };
        // Searches run this per product and filter: only a number's label
        // ("230 V") needs building; text is compared where it lies.
        let by_value = self.values.is_empty()
            || match value {
                AttributeValue::Text(s) | AttributeValue::Option(s) => {
                    self.values.iter().any(|v| v.eq_ignore_ascii_case(s))
                }
                AttributeValue::Number { value: n, .. } => {
                    self.numbers.contains(n) || {
                        let label = value.label();
                        self.values.iter().any(|v| v.eq_ignore_ascii_case(&label))
                    }
                }
            };
        let in_range = match value {
            AttributeValue::Number { value, .. } => {
                self.min.is_none_or(|min| *value >= min) && self.max.is_none_or(|max| *value <= max)
            }
            // A range can only hold for numbers.
            _ => self.min.is_none() && self.max.is_none(),
        };
        by_value && in_range
    }
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

/// The searchable catalog.
#[derive(Debug, Default)]
pub struct CatalogIndex {
    tree: CategoryTree,
    products: Vec<Arc<Product>>,
    by_id: HashMap<String, usize>,
    /// word → (product, weight of its best field holding that word)
    postings: BTreeMap<String, Vec<(u32, f32)>>,
    /// lower-cased SKU or barcode → product
    codes: HashMap<String, usize>,
    /// exact SKU → product
    by_sku: HashMap<String, usize>,
    /// product counts per category, including descendants
    counts: HashMap<String, u32>,
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

impl CatalogIndex {
    pub fn build(categories: Vec<Category>, products: Vec<Product>) -> Result<Self, String> {
        let tree = CategoryTree::build(categories)?;
        let names: HashMap<&str, &str> = tree
            .depth_first()
            .map(|(c, _)| (c.id.as_str(), c.name.as_str()))
            .collect();
        let mut postings: HashMap<String, HashMap<u32, f32>> = HashMap::new();
        let mut codes = HashMap::new();
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut by_id = HashMap::with_capacity(products.len());
        let mut by_sku = HashMap::with_capacity(products.len());
        for (doc, product) in products.iter().enumerate() {
            if !tree.contains(&product.category_id) {
                return Err(format!(
                    "product {} is in unknown category {}",
                    product.id, product.category_id
                ));
            }
            by_id.insert(product.id.clone(), doc);
            by_sku.insert(product.sku.clone(), doc);
            let mut add = |text: &str, weight: f32| {
                for word in words(text) {
                    let slot = postings
                        .entry(word)
                        .or_default()
                        .entry(doc as u32)
                        .or_default();
                    *slot = slot.max(weight);
                }
            };
            add(&product.sku, WEIGHT_CODE);
            add(product.barcode.as_deref().unwrap_or(""), WEIGHT_CODE);
            add(&product.name, WEIGHT_NAME);
            for attribute in &product.attributes {
                add(&attribute.value.label(), WEIGHT_ATTRIBUTE);
            }
            for id in tree.path(&product.category_id) {
                add(
                    names.get(id.as_str()).copied().unwrap_or(""),
                    WEIGHT_CATEGORY,
                );
                *counts.entry(id.clone()).or_default() += 1;
            }
            add(&product.description, WEIGHT_DESCRIPTION);
            codes.insert(product.sku.to_lowercase(), doc);
            if let Some(barcode) = &product.barcode {
                codes.insert(barcode.to_lowercase(), doc);
            }
        }
        let postings = postings
            .into_iter()
            .map(|(word, docs)| {
                let mut list: Vec<(u32, f32)> = docs.into_iter().collect();
                list.sort_by_key(|(doc, _)| *doc);
                (word, list)
            })
            .collect();
        Ok(Self {
            tree,
            products: products.into_iter().map(Arc::new).collect(),
            by_id,
            postings,
            codes,
            by_sku,
            counts,
        })
    }

    pub fn tree(&self) -> &CategoryTree {
        &self.tree
    }

    pub fn product_count(&self, category_id: &str) -> u32 {
        self.counts.get(category_id).copied().unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Product>> {
        self.by_id.get(id).map(|&i| &self.products[i])
    }

    /// Whether the product with this exact SKU exists and `visible` lets
    /// the caller see it.
    pub fn sku_visible(&self, sku: &str, visible: &Visible) -> bool {
        self.by_sku
            .get(sku)
            .is_some_and(|&doc| self.is_visible(doc, visible))
    }

    /// Whether product `id` exists and is visible.
    pub fn product_visible(&self, id: &str, visible: &Visible) -> bool {
        self.by_id
            .get(id)
            .is_some_and(|&doc| self.is_visible(doc, visible))
    }

    fn is_visible(&self, doc: usize, visible: &Visible) -> bool {
        // Most callers see everything: skip the per-product path lookup.
        if *visible == Visible::Everything {
            return true;
        }
        let product = &self.products[doc];
        visible.allows(&product.sku, self.tree.path(&product.category_id))
    }

    /// Searches what `visible` lets the caller see: hits, totals and facets
    /// all stay within it.
    pub fn search(
        &self,
        request: &SearchRequest,
        visible: &Visible,
    ) -> Result<SearchResults, DomainError> {
        let (filters, order) = self.validate(request)?;
        let page = Page::parse(
            request.page_size,
            &request.page_token,
            fingerprint(request),
            LIMITS,
        )?;

        let scores = self.score_text(&request.query);
        let in_scope = |doc: usize| {
            scores.as_ref().is_none_or(|s| s[doc].is_some())
                && self.is_visible(doc, visible)
                && (request.category_id.is_empty()
                    || self
                        .tree
                        .is_within(&self.products[doc].category_id, &request.category_id))
        };
        let scoped: Vec<usize> = (0..self.products.len()).filter(|&d| in_scope(d)).collect();

        let mut hits: Vec<usize> = scoped
            .iter()
            .copied()
            .filter(|&d| filters.iter().all(|f| f.matches(&self.products[d])))
            .collect();
        let facets = self.facets(request, &filters, &scoped);
        self.sort(&mut hits, order, scores.as_deref());

        let window = page.window(hits.len());
        Ok(SearchResults {
            products: hits[window]
                .iter()
                .map(|&d| Arc::clone(&self.products[d]))
                .collect(),
            next_page_token: page.next_token(hits.len()),
            total: hits.len(),
            facets,
        })
    }

    fn validate(&self, request: &SearchRequest) -> Result<(Vec<Filter>, Order), DomainError> {
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
        let order = parse_order(&request.order_by).map_err(|v| violations.push(v));
        match (violations.is_empty(), order) {
            (true, Ok(order)) => Ok((filters, order)),
            _ => Err(DomainError::InvalidArgument {
                reason: "INVALID_SEARCH",
                violations,
            }),
        }
    }

    /// Per product: `None` if the text does not match, else its score. The
    /// whole vector is `None` for an empty query, which matches everything.
    fn score_text(&self, query: &str) -> Option<Vec<Option<f32>>> {
        let terms: Vec<String> = words(query).collect();
        if terms.is_empty() {
            return None;
        }
        let n = self.products.len();
        let mut total = vec![0f32; n];
        let mut matched = vec![0usize; n];
        for term in &terms {
            let mut best: HashMap<u32, f32> = HashMap::new();
            for (word, docs) in self
                .postings
                .range(term.clone()..)
                .take_while(|(w, _)| w.starts_with(term.as_str()))
            {
                // A one-letter prefix would match half the catalog.
                let factor = if word == term {
                    1.0
                } else if term.chars().count() >= 2 {
                    PREFIX_FACTOR
                } else {
                    continue;
                };
                for &(doc, weight) in docs {
                    let slot = best.entry(doc).or_default();
                    *slot = slot.max(weight * factor);
                }
            }
            for (doc, score) in best {
                total[doc as usize] += score;
                matched[doc as usize] += 1;
            }
        }
        let mut scores: Vec<Option<f32>> = (0..n)
            .map(|d| (matched[d] == terms.len()).then_some(total[d]))
            .collect();
        if let Some(&doc) = self.codes.get(&query.trim().to_lowercase()) {
            scores[doc] = Some(EXACT_CODE_SCORE);
        }
        Some(scores)
    }

    fn facets(&self, request: &SearchRequest, filters: &[Filter], scoped: &[usize]) -> Vec<Facet> {
        let mut keys: Vec<&str> = Vec::new();
        for key in filters
            .iter()
            .map(|f| f.key.as_str())
            .chain(request.facet_keys.iter().map(String::as_str))
        {
            if !key.is_empty() && !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys.into_iter()
            .map(|key| {
                // Count by borrowed value, label once per distinct value.
                let mut counts: HashMap<&AttributeValue, u32> = HashMap::new();
                for &doc in scoped {
                    let product = &self.products[doc];
                    let others_hold = filters
                        .iter()
                        .filter(|f| f.key != key)
                        .all(|f| f.matches(product));
                    if let (true, Some(value)) = (others_hold, product.attribute(key)) {
                        *counts.entry(value).or_default() += 1;
                    }
                }
                let mut labelled: HashMap<String, u32> = HashMap::new();
                for (value, count) in counts {
                    *labelled.entry(value.label()).or_default() += count;
                }
                let mut values: Vec<FacetCount> = labelled
                    .into_iter()
                    .map(|(value, count)| FacetCount { value, count })
                    .collect();
                values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                Facet {
                    key: key.to_string(),
                    values,
                }
            })
            .collect()
    }

    fn sort(&self, hits: &mut [usize], order: Order, scores: Option<&[Option<f32>]>) {
        let p = &self.products;
        hits.sort_by(|&a, &b| {
            let primary = match order.key {
                SortKey::Relevance => {
                    let score = |d: usize| scores.and_then(|s| s[d]).unwrap_or(0.0);
                    score(b).total_cmp(&score(a))
                }
                SortKey::Name => p[a].name.cmp(&p[b].name),
                SortKey::Sku => p[a].sku.cmp(&p[b].sku),
                SortKey::Price => (&p[a].base_price.currency, p[a].base_price.amount)
                    .cmp(&(&p[b].base_price.currency, p[b].base_price.amount)),
            };
            let primary = if order.descending {
                primary.reverse()
            } else {
                primary
            };
            // Ties break by name then id so pages never overlap or skip.
            primary
                .then_with(|| p[a].name.cmp(&p[b].name))
                .then_with(|| p[a].id.cmp(&p[b].id))
        });
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
    let mut bound = |name: &str, raw: &str| -> Option<Decimal> {
        if raw.is_empty() {
            return None;
        }
        parse_decimal(&field(name), raw)
            .map_err(|e| match e {
                DomainError::InvalidArgument { violations: v, .. } => violations.extend(v),
                other => violations.push(FieldViolation::new(field(name), other.to_string())),
            })
            .ok()
    };
    let min = bound("min", &raw.min);
    let max = bound("max", &raw.max);
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        violations.push(FieldViolation::new(
            field("min"),
            format!("{lo} is above max {hi}"),
        ));
    }
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
    hasher.finish()
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
