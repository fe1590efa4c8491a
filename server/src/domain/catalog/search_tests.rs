#![allow(clippy::unwrap_used)]

use rust_decimal::Decimal;

use super::*;
use crate::domain::catalog::{Attribute, Money, ProductStatus, UnitOfMeasure};

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
        id: id.into(),
        sku: sku.into(),
        barcode: Some(format!("400{}", &id[4..])),
        name: name.into(),
        description: String::new(),
        category_id: category.into(),
        attributes: attrs,
        sales_unit: UnitOfMeasure {
            code: "EA".into(),
            name: "Each".into(),
            base_units: Decimal::ONE,
        },
        base_price: Money {
            currency: "EUR".into(),
            amount: price.parse().unwrap(),
        },
        status: ProductStatus::Active,
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

fn search(request: SearchRequest) -> SearchResults {
    index().search(&request, &Visible::Everything).unwrap()
}

fn violations(request: SearchRequest) -> Vec<String> {
    match index().search(&request, &Visible::Everything).unwrap_err() {
        DomainError::InvalidArgument { violations, .. } => {
            violations.into_iter().map(|v| v.field).collect()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_word_must_match_and_prefixes_count() {
    let r = search(SearchRequest {
        query: "cab copp".into(),
        ..Default::default()
    });
    // Equal scores: ties break by name.
    assert_eq!(ids(&r), ["prd-0002", "prd-0001"]);
    assert_eq!(r.total, 2);
}

#[test]
fn exact_sku_ranks_first_even_against_name_matches() {
    let r = search(SearchRequest {
        query: "tp-100".into(),
        ..Default::default()
    });
    assert_eq!(ids(&r)[0], "prd-0001");
    let r = search(SearchRequest {
        query: "4000005".into(),
        ..Default::default()
    });
    assert_eq!(ids(&r), ["prd-0005"], "barcode match");
}

#[test]
fn name_hits_outrank_category_hits() {
    // "cable" is in the name of 4 products and the category of 3; the LED
    // panel's name holds "cable" too, but the junction box only its category
    // path "Electrical", so it does not match at all.
    let r = search(SearchRequest {
        query: "cable".into(),
        ..Default::default()
    });
    assert_eq!(r.total, 4);
    assert!(!ids(&r).contains(&"prd-0005"));
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
        query: "cable".into(),
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
    let r = index()
        .search(
            &SearchRequest {
                facet_keys: vec!["material".into()],
                ..Default::default()
            },
            &visible,
        )
        .unwrap();
    assert_eq!(ids(&r), ["prd-0001", "prd-0004"]);
    assert_eq!(r.total, 2);
    let counted: u32 = r.facets[0].values.iter().map(|v| v.count).sum();
    assert_eq!(counted, 2, "facets count only what the customer may see");
    let exact = index()
        .search(
            &SearchRequest {
                query: "TP-200".into(),
                ..Default::default()
            },
            &visible,
        )
        .unwrap();
    assert_eq!(ids(&exact), ["prd-0004"]);
    let hidden = index()
        .search(
            &SearchRequest {
                query: "TP-101".into(),
                ..Default::default()
            },
            &visible,
        )
        .unwrap();
    assert_eq!(
        hidden.total, 0,
        "an exact SKU outside the assortment stays hidden"
    );
    assert!(!index().sku_visible("TP-101", &visible));
    assert!(index().sku_visible("TP-100", &visible));
}
