#![allow(clippy::unwrap_used)]

use rust_decimal::Decimal;

use super::*;
use crate::catalog::{Attribute, AttributeValue, Category, ProductStatus};

fn category(id: &str, parent: Option<&str>, name: &str) -> Category {
    Category {
        id: id.into(),
        parent_id: parent.map(Into::into),
        name: name.into(),
        position: 0,
    }
}

fn product(
    id: &str,
    sku: &str,
    name: &str,
    category: &str,
    price: &str,
    attrs: Vec<Attribute>,
) -> Product {
    Product {
        barcode: Some(format!("400{}", &id[4..])),
        name: name.into(),
        attributes: attrs,
        ..Product::for_tests(id, sku, category, price.parse().unwrap())
    }
}

fn volts(v: i64) -> Attribute {
    Attribute {
        key: "voltage".into(),
        value: AttributeValue::Number {
            value: Decimal::from(v),
            unit: "V".into(),
        },
    }
}

fn material(m: &str) -> Attribute {
    Attribute {
        key: "material".into(),
        value: AttributeValue::Option(m.into()),
    }
}

fn index() -> CatalogIndex {
    CatalogIndex::build(
        vec![
            category("elec", None, "Electrical"),
            category("cable", Some("elec"), "Cables"),
            category("light", None, "Lighting"),
        ],
        vec![
            product(
                "prd-0001",
                "TP-100",
                "Installation cable 3x1.5",
                "cable",
                "40.00",
                vec![volts(230), material("copper")],
            ),
            product(
                "prd-0002",
                "TP-101",
                "Flexible cable 3x2.5",
                "cable",
                "55.10",
                vec![volts(400), material("copper")],
            ),
            product(
                "prd-0003",
                "TP-102",
                "Aluminium cable 4x16",
                "cable",
                "99.00",
                vec![volts(400), material("aluminium")],
            ),
            product(
                "prd-0004",
                "TP-200",
                "LED panel cable-free",
                "light",
                "12.00",
                vec![volts(230), material("aluminium")],
            ),
            product(
                "prd-0005",
                "TP-100X",
                "Junction box",
                "elec",
                "3.50",
                vec![material("plastic")],
            ),
        ],
    )
    .unwrap()
}

fn ids(results: &SearchResults) -> Vec<&str> {
    results.products.iter().map(|p| p.id.as_str()).collect()
}

/// The caller's price in these tests: half the list price, except that
/// TP-102 has none.
fn half_price(_slot: usize, p: &Product) -> Option<Decimal> {
    (p.sku != "TP-102").then(|| p.base_price.amount / Decimal::TWO)
}

/// Stock in these tests: only TP-101 and TP-200, only in "wh-1".
fn stocked(sku: &str, warehouse: &str) -> bool {
    warehouse == "wh-1" && matches!(sku, "TP-101" | "TP-200")
}

fn search_in(
    index: &CatalogIndex,
    request: &SearchRequest,
    visible: &Visible,
    text: Option<&[TextHit]>,
) -> Result<SearchResults, DomainError> {
    index.search(
        request,
        &SearchContext {
            visible,
            text,
            price: &half_price,
            in_stock: &stocked,
        },
    )
}

fn search(request: SearchRequest) -> SearchResults {
    search_in(&index(), &request, &Visible::Everything, None).unwrap()
}

fn search_text(request: SearchRequest, hits: &[TextHit]) -> SearchResults {
    search_in(&index(), &request, &Visible::Everything, Some(hits)).unwrap()
}

fn hit(slot: u64, score: f32) -> TextHit {
    TextHit {
        slot,
        score,
        exact_code: false,
    }
}

fn violations(request: SearchRequest) -> Vec<String> {
    match search_in(&index(), &request, &Visible::Everything, None).unwrap_err() {
        DomainError::InvalidArgument { violations, .. } => {
            violations.into_iter().map(|v| v.field).collect()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn only_text_hits_match_best_score_first() {
    let r = search_text(
        SearchRequest {
            query: "cable".into(),
            ..Default::default()
        },
        &[hit(1, 2.0), hit(0, 5.0), hit(3, 2.0), hit(99, 9.0)],
    );
    // Equal scores break by name; a slot the index does not hold is skipped.
    assert_eq!(ids(&r), ["prd-0001", "prd-0002", "prd-0004"]);
    assert_eq!(r.total, 3);
}

#[test]
fn an_exact_code_outranks_any_score() {
    let exact = TextHit {
        exact_code: true,
        ..hit(4, 0.1)
    };
    let r = search_text(
        SearchRequest {
            query: "tp-100x".into(),
            ..Default::default()
        },
        &[hit(0, 50.0), exact],
    );
    assert_eq!(ids(&r), ["prd-0005", "prd-0001"]);
}

#[test]
fn price_filters_and_sorting_use_the_callers_price() {
    // Caller prices: 20.00, 27.55, none, 6.00, 1.75.
    let r = search(SearchRequest {
        price_min: "5".into(),
        price_max: "25".into(),
        order_by: "price desc".into(),
        ..Default::default()
    });
    assert_eq!(ids(&r), ["prd-0001", "prd-0004"]);
    let r = search(SearchRequest {
        order_by: "price".into(),
        ..Default::default()
    });
    assert_eq!(
        ids(&r),
        ["prd-0005", "prd-0004", "prd-0001", "prd-0002", "prd-0003"],
        "a product without a price for the caller sorts last"
    );
    assert_eq!(
        violations(SearchRequest {
            price_min: "30".into(),
            price_max: "2,5".into(),
            ..Default::default()
        }),
        ["price_max"]
    );
    assert_eq!(
        violations(SearchRequest {
            price_min: "30".into(),
            price_max: "2".into(),
            ..Default::default()
        }),
        ["price_min"]
    );
}

#[test]
fn the_stock_filter_keeps_what_a_warehouse_has() {
    let r = search(SearchRequest {
        in_stock_at: "wh-1".into(),
        facet_keys: vec!["material".into()],
        ..Default::default()
    });
    assert_eq!(ids(&r), ["prd-0002", "prd-0004"]);
    let counted: u32 = r.facets[0].values.iter().map(|v| v.count).sum();
    assert_eq!(counted, 2, "facets count within the stock filter");
    let r = search(SearchRequest {
        in_stock_at: "wh-2".into(),
        ..Default::default()
    });
    assert_eq!(r.total, 0);
}

#[test]
fn hidden_products_are_found_by_staff_only() {
    let mut hidden = index().get("prd-0004").unwrap().as_ref().clone();
    hidden.status = ProductStatus::Hidden;
    let (index, touched) = index().with_products(vec![hidden]).unwrap();
    assert_eq!(touched, [3], "a replaced product keeps its slot");
    let everything = SearchRequest::default();
    let customer = search_in(&index, &everything, &Visible::AllListed, None).unwrap();
    assert_eq!(customer.total, 4);
    assert!(!index.product_visible("prd-0004", &Visible::AllListed));
    let staff = search_in(&index, &everything, &Visible::Everything, None).unwrap();
    assert_eq!(staff.total, 5);
    assert_eq!(
        index.product_count("light"),
        0,
        "counts are of listed products"
    );
}

#[test]
fn added_products_take_new_slots_and_families_list_variants() {
    let mut red = product("prd-0006", "TP-300-R", "Lamp red", "light", "9", vec![]);
    let mut blue = product("prd-0007", "TP-300-B", "Lamp blue", "light", "9", vec![]);
    red.family_id = Some("fam-300".into());
    blue.family_id = Some("fam-300".into());
    let (index, touched) = index().with_products(vec![red, blue]).unwrap();
    assert_eq!(touched, [5, 6]);
    assert_eq!(index.len(), 7);
    let red = index.get("prd-0006").unwrap();
    let variants: Vec<&str> = index
        .variants(red, &Visible::Everything)
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(variants, ["prd-0007"]);
    assert_eq!(index.by_code("tp-300-b").unwrap().id, "prd-0007");
    assert_eq!(index.by_code("4000006").unwrap().id, "prd-0006", "barcode");
    let mut lost = product("prd-0008", "TP-1", "Lost", "nowhere", "1", vec![]);
    lost.family_id = None;
    assert!(index.with_products(vec![lost]).is_err());
}

#[test]
fn category_filter_covers_the_subtree() {
    let r = search(SearchRequest {
        category_id: "elec".into(),
        order_by: "sku".into(),
        ..Default::default()
    });
    assert_eq!(ids(&r), ["prd-0001", "prd-0005", "prd-0002", "prd-0003"]);
    let r = search(SearchRequest {
        category_id: "cable".into(),
        ..Default::default()
    });
    assert_eq!(r.total, 3);
}

#[test]
fn attribute_filters_and_numeric_ranges() {
    let r = search(SearchRequest {
        filters: vec![
            RawFilter {
                key: "material".into(),
                values: vec!["Copper".into(), "aluminium".into()],
                ..Default::default()
            },
            RawFilter {
                key: "voltage".into(),
                min: "300".into(),
                max: "400".into(),
                ..Default::default()
            },
        ],
        order_by: "price desc".into(),
        ..Default::default()
    });
    assert_eq!(ids(&r), ["prd-0003", "prd-0002"]);
    let r = search(SearchRequest {
        filters: vec![RawFilter {
            key: "voltage".into(),
            values: vec!["230 V".into()],
            ..Default::default()
        }],
        ..Default::default()
    });
    assert_eq!(r.total, 2);
}

#[test]
fn facets_ignore_their_own_filter_but_not_the_others() {
    let r = search(SearchRequest {
        filters: vec![RawFilter {
            key: "material".into(),
            values: vec!["copper".into()],
            ..Default::default()
        }],
        facet_keys: vec!["voltage".into()],
        ..Default::default()
    });
    assert_eq!(r.total, 2);
    let material = &r.facets[0];
    assert_eq!(material.key, "material");
    assert_eq!(
        material.values,
        [
            FacetCount {
                value: "aluminium".into(),
                count: 2
            },
            FacetCount {
                value: "copper".into(),
                count: 2
            },
            FacetCount {
                value: "plastic".into(),
                count: 1
            },
        ]
    );
    let voltage = &r.facets[1];
    assert_eq!(
        voltage.values,
        [
            FacetCount {
                value: "230 V".into(),
                count: 1
            },
            FacetCount {
                value: "400 V".into(),
                count: 1
            }
        ]
    );
}

#[test]
fn pages_cover_every_hit_once() {
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let r = search(SearchRequest {
            page_size: 2,
            page_token: token,
            order_by: "price".into(),
            ..Default::default()
        });
        seen.extend(ids(&r).into_iter().map(String::from));
        token = r.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(
        seen,
        ["prd-0005", "prd-0004", "prd-0001", "prd-0002", "prd-0003"]
    );
}

#[test]
fn bad_input_names_every_field() {
    let fields = violations(SearchRequest {
        category_id: "nope".into(),
        filters: vec![
            RawFilter {
                key: "".into(),
                values: vec!["x".into()],
                ..Default::default()
            },
            RawFilter {
                key: "voltage".into(),
                min: "1e3".into(),
                ..Default::default()
            },
            RawFilter {
                key: "voltage".into(),
                min: "5".into(),
                max: "1".into(),
                ..Default::default()
            },
        ],
        order_by: "colour".into(),
        ..Default::default()
    });
    assert_eq!(
        fields,
        [
            "category_id",
            "filters[0].key",
            "filters[1].min",
            "filters[2].min",
            "order_by"
        ]
    );
    assert_eq!(
        violations(SearchRequest {
            page_size: -5,
            ..Default::default()
        }),
        ["page_size"]
    );
}

#[test]
fn a_token_from_another_query_is_refused() {
    let first = search(SearchRequest {
        page_size: 1,
        ..Default::default()
    });
    let fields = violations(SearchRequest {
        order_by: "name".into(),
        page_size: 1,
        page_token: first.next_page_token,
        ..Default::default()
    });
    assert_eq!(fields, ["page_token"]);
}

#[test]
fn an_assortment_narrows_hits_totals_and_facets() {
    let visible = Visible::Only {
        categories: ["light".to_string()].into_iter().collect(),
        skus: ["TP-100".to_string()].into_iter().collect(),
    };
    let index = index();
    let r = search_in(
        &index,
        &SearchRequest {
            facet_keys: vec!["material".into()],
            ..Default::default()
        },
        &visible,
        None,
    )
    .unwrap();
    assert_eq!(ids(&r), ["prd-0001", "prd-0004"]);
    assert_eq!(r.total, 2);
    let counted: u32 = r.facets[0].values.iter().map(|v| v.count).sum();
    assert_eq!(counted, 2, "facets count only what the customer may see");
    let exact = TextHit {
        exact_code: true,
        ..hit(1, 1.0)
    };
    let hidden = search_in(
        &index,
        &SearchRequest {
            query: "TP-101".into(),
            ..Default::default()
        },
        &visible,
        Some(&[exact]),
    )
    .unwrap();
    assert_eq!(
        hidden.total, 0,
        "an exact SKU outside the assortment stays hidden"
    );
    assert!(!index.sku_visible("TP-101", &visible));
    assert!(index.sku_visible("TP-100", &visible));
}
