//! Browsing the demo catalog with the SDK over native gRPC.

use std::collections::HashSet;

use tradeport_proto::catalog::{AttributeFilter, ListCategoriesRequest, SearchProductsRequest};
use tradeport_tests::TestServer;

fn search(query: &str) -> SearchProductsRequest {
    SearchProductsRequest {
        query: query.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn text_search_finds_matching_products_and_pages_without_overlap() {
    let catalog = TestServer::shared().client().catalog();
    let first = catalog
        .search_products(SearchProductsRequest {
            page_size: 25,
            ..search("ball valve")
        })
        .await
        .unwrap();
    assert_eq!(first.products.len(), 25);
    assert!(
        first.total_size >= 100,
        "every ball valve, got {}",
        first.total_size
    );
    for p in &first.products {
        let text = p.name.to_lowercase();
        assert!(
            text.contains("ball") && text.contains("valve"),
            "{}",
            p.name
        );
    }
    let second = catalog
        .search_products(SearchProductsRequest {
            page_size: 25,
            page_token: first.next_page_token.clone(),
            ..search("ball valve")
        })
        .await
        .unwrap();
    let ids: HashSet<_> = first
        .products
        .iter()
        .chain(&second.products)
        .map(|p| &p.id)
        .collect();
    assert_eq!(ids.len(), 50, "pages overlap");
}

#[tokio::test]
async fn an_exact_sku_ranks_first() {
    let catalog = TestServer::shared().client().catalog();
    let result = catalog
        .search_products(search("TP-EL-00042"))
        .await
        .unwrap();
    assert_eq!(result.products[0].sku, "TP-EL-00042");
    let barcode = result.products[0].barcode.clone();
    let by_barcode = catalog.search_products(search(&barcode)).await.unwrap();
    assert_eq!(by_barcode.products[0].sku, "TP-EL-00042");
}

#[tokio::test]
async fn category_and_attribute_filters_with_facets() {
    let catalog = TestServer::shared().client().catalog();
    let request = SearchProductsRequest {
        category_id: "cat-el".into(),
        filters: vec![AttributeFilter {
            key: "material".into(),
            values: vec!["copper".into()],
            ..Default::default()
        }],
        facet_keys: vec!["voltage".into()],
        page_size: 200,
        ..Default::default()
    };
    let result = catalog.search_products(request).await.unwrap();
    assert!(result.total_size > 0);
    for p in &result.products {
        assert_eq!(p.category_path[0], "cat-el", "{} outside the subtree", p.id);
        let material = p.attributes.iter().find(|a| a.key == "material").unwrap();
        assert_eq!(
            material.value,
            Some(tradeport_proto::catalog::attribute_value::Value::Option(
                "copper".into()
            ))
        );
    }
    let material = result.facets.iter().find(|f| f.key == "material").unwrap();
    let copper = material
        .values
        .iter()
        .find(|v| v.value == "copper")
        .unwrap();
    assert_eq!(
        copper.count, result.total_size,
        "the copper count is the result size"
    );
    assert!(
        material.values.len() > 1,
        "other materials stay visible in the facet"
    );
    let voltage = result.facets.iter().find(|f| f.key == "voltage").unwrap();
    let sum: u32 = voltage.values.iter().map(|v| v.count).sum();
    assert_eq!(
        sum, result.total_size,
        "every copper product has one voltage"
    );
}

#[tokio::test]
async fn numeric_range_and_price_sort() {
    let catalog = TestServer::shared().client().catalog();
    let result = catalog
        .search_products(SearchProductsRequest {
            filters: vec![AttributeFilter {
                key: "power".into(),
                min: "10".into(),
                max: "24".into(),
                ..Default::default()
            }],
            order_by: "price desc".into(),
            page_size: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(result.total_size > 0);
    let prices: Vec<rust_decimal::Decimal> = result
        .products
        .iter()
        .map(|p| p.base_price.as_ref().unwrap().amount.parse().unwrap())
        .collect();
    assert!(
        prices.windows(2).all(|w| w[0] >= w[1]),
        "not sorted by price desc"
    );
}

#[tokio::test]
async fn get_returns_what_search_shows() {
    let catalog = TestServer::shared().client().catalog();
    let hit = catalog
        .search_products(search("angle grinder"))
        .await
        .unwrap()
        .products
        .remove(0);
    let got = catalog.get_product(hit.id.clone()).await.unwrap();
    assert_eq!(got, hit);
    assert_eq!(got.category_path.len(), 3);
}

#[tokio::test]
async fn the_category_tree_has_three_levels_and_pages() {
    let catalog = TestServer::shared().client().catalog();
    let first = catalog
        .list_categories(ListCategoriesRequest {
            page_size: 40,
            page_token: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(first.categories.len(), 40);
    let rest = catalog
        .list_categories(ListCategoriesRequest {
            page_size: 1000,
            page_token: first.next_page_token,
        })
        .await
        .unwrap();
    assert!(rest.next_page_token.is_empty());
    let all: Vec<_> = first
        .categories
        .into_iter()
        .chain(rest.categories)
        .collect();
    assert!(all.len() >= 50);
    assert_eq!(all.iter().map(|c| c.depth).max(), Some(2));
    let root = all.iter().find(|c| c.id == "cat-el").unwrap();
    let leaves: u32 = all
        .iter()
        .filter(|c| c.depth == 2 && c.id.starts_with("cat-el-"))
        .map(|c| c.product_count)
        .sum();
    assert_eq!(root.product_count, leaves);
    // Depth first: every category comes after its parent.
    let mut seen = HashSet::new();
    for c in &all {
        assert!(
            c.parent_id.is_empty() || seen.contains(&c.parent_id),
            "{} before its parent",
            c.id
        );
        seen.insert(c.id.clone());
    }
}
