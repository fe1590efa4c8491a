//! The catalog benchmarks' search workloads, what a portal's search box,
//! category pages and filtered listings send, and how their reports
//! describe them: each request in words, and what it found.

use std::sync::Arc;

use tradeport_proto::catalog::{AttributeFilter, SearchProductsRequest, SearchProductsResponse};

/// The kind of the large demo workload's search for one product by its SKU.
pub const EXACT_SKU: &str = "exact SKU";

/// A search request in words: its query, category, filters, facets, price
/// range and order.
pub fn describe(r: &SearchProductsRequest) -> String {
    let mut parts = Vec::new();
    if !r.query.is_empty() {
        parts.push(format!("query {:?}", r.query));
    }
    if !r.category_id.is_empty() {
        parts.push(format!("category {:?} (subtree)", r.category_id));
    }
    for f in &r.filters {
        parts.push(format!("filter {} = {}", f.key, f.values.join(" | ")));
    }
    if !r.facet_keys.is_empty() {
        parts.push(format!("facets {}", r.facet_keys.join(", ")));
    }
    if !r.price_min.is_empty() || !r.price_max.is_empty() {
        parts.push(format!("your price {}–{}", r.price_min, r.price_max));
    }
    if !r.order_by.is_empty() {
        parts.push(format!("order by {}", r.order_by));
    }
    parts.join(", ")
}

/// What a search found: its number of matches, or its failure.
pub fn matches(answer: Result<tonic::Response<SearchProductsResponse>, tonic::Status>) -> String {
    match answer {
        Ok(response) => match response.into_inner().total_size {
            1 => "1 match".to_string(),
            n => format!("{n} matches"),
        },
        Err(status) => format!("ERROR {:?}: {}", status.code(), status.message()),
    }
}

/// The rotating workload on the standard demo: what a portal's search
/// box, category page and filtered listing send.
pub fn demo_workload() -> Vec<SearchProductsRequest> {
    let text = |query: &str| SearchProductsRequest {
        query: query.into(),
        page_size: 20,
        ..Default::default()
    };
    vec![
        text("cable"),
        text("led panel"),
        text("ball valve brass"),
        text("TP-EL-00042"),
        text("screw"),
        SearchProductsRequest {
            category_id: "cat-el".into(),
            page_size: 20,
            ..Default::default()
        },
        SearchProductsRequest {
            filters: vec![AttributeFilter {
                key: "material".into(),
                values: vec!["copper".into()],
                ..Default::default()
            }],
            facet_keys: vec!["voltage".into()],
            page_size: 20,
            ..Default::default()
        },
    ]
}

/// What a portal's search box, category pages and filtered listings send
/// on the large demo, each request with its kind.
pub fn large_demo_workload() -> Vec<(&'static str, SearchProductsRequest)> {
    let page = |r: SearchProductsRequest| SearchProductsRequest { page_size: 20, ..r };
    let text = |query: &str| {
        page(SearchProductsRequest {
            query: query.into(),
            ..Default::default()
        })
    };
    vec![
        ("text", text("cable")),
        ("text", text("led panel")),
        ("text, misspelt", text("circiut braker")),
        (EXACT_SKU, text("TP-EL-00042")),
        (
            "category browse",
            page(SearchProductsRequest {
                category_id: "cat-pl-2".into(),
                ..Default::default()
            }),
        ),
        (
            "filter and facets",
            page(SearchProductsRequest {
                filters: vec![AttributeFilter {
                    key: "material".into(),
                    values: vec!["copper".into()],
                    ..Default::default()
                }],
                facet_keys: vec!["voltage".into()],
                ..Default::default()
            }),
        ),
        (
            "text and price range",
            page(SearchProductsRequest {
                query: "ball valve".into(),
                price_min: "20".into(),
                price_max: "150".into(),
                ..Default::default()
            }),
        ),
        (
            "category, price range, by price",
            page(SearchProductsRequest {
                category_id: "cat-li-00".into(),
                price_min: "50".into(),
                price_max: "250".into(),
                order_by: "price".into(),
                ..Default::default()
            }),
        ),
    ]
}

/// The searches callers rotate over: the whole workload, or only its
/// exact-SKU search (the least any search costs).
pub struct Searches {
    pub mixed: Arc<[SearchProductsRequest]>,
    pub exact_sku: Arc<[SearchProductsRequest]>,
}

impl Searches {
    pub fn of(workload: &[(&'static str, SearchProductsRequest)]) -> Self {
        let of_kind = |wanted: Option<&str>| -> Arc<[SearchProductsRequest]> {
            workload
                .iter()
                .filter(|(kind, _)| wanted.is_none_or(|w| w == *kind))
                .map(|(_, r)| r.clone())
                .collect::<Vec<_>>()
                .into()
        };
        Self {
            mixed: of_kind(None),
            exact_sku: of_kind(Some(EXACT_SKU)),
        }
    }
}
