#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::*;
use crate::catalog::{
    Attribute, CatalogIndex, Category, RawFilter, SearchContext, SearchRequest, SearchResults,
    Visible,
};
use crate::decimal::parse_decimal;

impl AttributeColumns {
    /// Each key's value per slot (for `slots` slots), after checking that
    /// every column's table, uses and free ids agree with its slots.
    fn resolved(&self, slots: usize) -> BTreeMap<String, Vec<Option<AttributeValue>>> {
        self.columns
            .iter()
            .map(|(key, column)| {
                assert!(column.ids.len() <= slots, "{key}");
                let mut uses = vec![0u32; column.values.len()];
                for &id in &column.ids {
                    if id != ABSENT {
                        uses[id as usize] += 1;
                    }
                }
                for (id, distinct) in column.values.iter().enumerate() {
                    let id = u32::try_from(id).unwrap();
                    assert_eq!(distinct.uses, uses[id as usize], "{key} {distinct:?}");
                    assert_eq!(distinct.label, distinct.value.label(), "{key}");
                    if distinct.uses == 0 {
                        assert!(column.free.contains(&id), "{key} {id} is not free");
                    } else {
                        assert_eq!(column.lookup.get(&distinct.value), Some(&id), "{key}");
                    }
                }
                assert_eq!(column.lookup.len() + column.free.len(), column.values.len());
                assert!(!column.lookup.is_empty(), "{key} is held by no product");
                let values = (0..slots)
                    .map(|slot| {
                        let id = column.id(slot);
                        (id != ABSENT).then(|| column.values[id as usize].value.clone())
                    })
                    .collect();
                (key.clone(), values)
            })
            .collect()
    }
}

/// What the columns should hold: each product's first value per key.
fn expected(index: &CatalogIndex) -> BTreeMap<String, Vec<Option<AttributeValue>>> {
    let mut keys: Vec<&str> = index
        .products()
        .flat_map(|(_, p)| p.attributes.iter().map(|a| a.key.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .map(|key| {
            let values = index
                .products()
                .map(|(_, p)| p.attribute(key).cloned())
                .collect();
            (key.to_string(), values)
        })
        .collect()
}

fn number(key: &str, value: &str, unit: &str) -> Attribute {
    Attribute {
        key: key.into(),
        value: AttributeValue::Number {
            value: value.parse().unwrap(),
            unit: unit.into(),
        },
    }
}

fn option(key: &str, value: &str) -> Attribute {
    Attribute {
        key: key.into(),
        value: AttributeValue::Option(value.into()),
    }
}

fn text(key: &str, value: &str) -> Attribute {
    Attribute {
        key: key.into(),
        value: AttributeValue::Text(value.into()),
    }
}

fn product(n: u32, attributes: Vec<Attribute>) -> Product {
    Product {
        name: format!("Product {n}"),
        attributes,
        ..Product::for_tests(
            &format!("prd-{n}"),
            &format!("TP-{n}"),
            "all",
            Decimal::from(n),
        )
    }
}

fn catalog(products: Vec<Product>) -> CatalogIndex {
    let all = Category {
        id: "all".into(),
        parent_id: None,
        name: "All".into(),
        position: 0,
    };
    CatalogIndex::build(vec![all], products).unwrap()
}

fn search(index: &CatalogIndex, request: SearchRequest) -> SearchResults {
    index
        .search(
            &request,
            &SearchContext {
                visible: &Visible::Everything,
                text: None,
                price: &|_: usize, p: &Product| Some(p.base_price.amount),
                in_stock: &|_: &str, _: &str| true,
            },
        )
        .unwrap()
}

fn filter(key: &str, values: &[&str]) -> RawFilter {
    RawFilter {
        key: key.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

/// The ids found by one filter, in id order.
fn found(index: &CatalogIndex, filter: RawFilter) -> Vec<String> {
    let r = search(
        index,
        SearchRequest {
            filters: vec![filter],
            order_by: "sku".into(),
            page_size: 200,
            ..Default::default()
        },
    );
    r.products.iter().map(|p| p.id.clone()).collect()
}

/// A facet as (label, count) pairs.
fn facet(index: &CatalogIndex, key: &str, filters: Vec<RawFilter>) -> Vec<(String, u32)> {
    let r = search(
        index,
        SearchRequest {
            filters,
            facet_keys: vec![key.into()],
            ..Default::default()
        },
    );
    r.facets
        .iter()
        .find(|f| f.key == key)
        .unwrap()
        .values
        .iter()
        .map(|v| (v.value.clone(), v.count))
        .collect()
}

fn pairs(values: &[(&str, u32)]) -> Vec<(String, u32)> {
    values.iter().map(|(v, n)| (v.to_string(), *n)).collect()
}

fn small() -> CatalogIndex {
    catalog(vec![
        product(
            1,
            vec![number("voltage", "230", "V"), option("material", "copper")],
        ),
        product(
            2,
            vec![number("voltage", "400", "V"), option("material", "Copper")],
        ),
        product(
            3,
            vec![number("voltage", "230.0", "V"), text("material", "copper")],
        ),
        product(4, vec![option("material", "aluminium")]),
    ])
}

#[test]
fn numbers_match_by_decimal_or_label_and_text_ignoring_case() {
    let index = small();
    for value in ["230", "230.00", "230 V", "230 v"] {
        assert_eq!(
            found(&index, filter("voltage", &[value])),
            ["prd-1", "prd-3"],
            "{value}"
        );
    }
    assert!(found(&index, filter("voltage", &["230V"])).is_empty());
    assert_eq!(
        found(&index, filter("material", &["COPPER"])),
        ["prd-1", "prd-2", "prd-3"]
    );
    let range = RawFilter {
        key: "material".into(),
        min: "0".into(),
        ..Default::default()
    };
    assert!(
        found(&index, range).is_empty(),
        "a range holds for numbers only"
    );
    // 230 and 230.0 are one value; an option and a text with one label
    // count together, labels of another case apart.
    assert_eq!(
        facet(&index, "voltage", vec![]),
        pairs(&[("230 V", 2), ("400 V", 1)])
    );
    assert_eq!(
        facet(&index, "material", vec![]),
        pairs(&[("copper", 2), ("Copper", 1), ("aluminium", 1)])
    );
}

#[test]
fn a_written_product_changes_what_filters_and_facets_find() {
    let before = small();
    let mut changed = before.get("prd-1").unwrap().as_ref().clone();
    changed.attributes = vec![
        number("voltage", "400", "V"),
        option("material", "aluminium"),
        option("colour", "red"),
    ];
    let mut lost = before.get("prd-4").unwrap().as_ref().clone();
    lost.attributes.clear();
    let added = product(5, vec![number("voltage", "690", "V")]);
    let (after, _) = before.with_products(vec![changed, lost, added]).unwrap();

    assert_eq!(found(&after, filter("voltage", &["230"])), ["prd-3"]);
    assert_eq!(
        found(&after, filter("voltage", &["400 V"])),
        ["prd-1", "prd-2"]
    );
    assert_eq!(found(&after, filter("voltage", &["690"])), ["prd-5"]);
    assert_eq!(found(&after, filter("material", &["aluminium"])), ["prd-1"]);
    assert_eq!(found(&after, filter("colour", &["Red"])), ["prd-1"]);
    assert_eq!(
        facet(&after, "voltage", vec![filter("material", &["copper"])]),
        pairs(&[("230 V", 1), ("400 V", 1)])
    );
    assert_eq!(
        facet(&after, "material", vec![filter("voltage", &["400"])]),
        pairs(&[("Copper", 1), ("aluminium", 1)])
    );
    assert_eq!(expected(&after), after.attributes.resolved(after.len()));

    // The index the write started from still answers as before it.
    assert_eq!(
        found(&before, filter("voltage", &["230"])),
        ["prd-1", "prd-3"]
    );
    assert_eq!(
        found(&before, filter("material", &["aluminium"])),
        ["prd-4"]
    );
    assert!(found(&before, filter("colour", &["red"])).is_empty());
    assert_eq!(expected(&before), before.attributes.resolved(before.len()));
}

#[test]
fn a_write_copies_only_the_columns_it_changes() {
    let before = small();
    let column = |index: &CatalogIndex, key: &str| Arc::clone(&index.attributes.columns[key]);

    let mut priced = before.get("prd-2").unwrap().as_ref().clone();
    priced.base_price.amount += Decimal::ONE;
    let (after, _) = before.with_products(vec![priced]).unwrap();
    assert!(Arc::ptr_eq(
        &before.attributes.columns,
        &after.attributes.columns
    ));

    let mut rewired = before.get("prd-2").unwrap().as_ref().clone();
    rewired.attributes[0] = number("voltage", "690", "V");
    let added = product(5, vec![option("material", "PVC")]);
    let (after, _) = before.with_products(vec![rewired, added]).unwrap();
    assert!(!Arc::ptr_eq(
        &column(&before, "voltage"),
        &column(&after, "voltage")
    ));
    assert!(!Arc::ptr_eq(
        &column(&before, "material"),
        &column(&after, "material")
    ));
    let (later, _) = after
        .with_products(vec![product(6, vec![number("voltage", "12", "V")])])
        .unwrap();
    assert!(
        Arc::ptr_eq(&column(&after, "material"), &column(&later, "material")),
        "a new slot without the key leaves the column as it was"
    );
    assert_eq!(column(&later, "material").ids.len(), 5);
    assert_eq!(expected(&later), later.attributes.resolved(later.len()));
}

#[test]
fn patched_columns_hold_what_rebuilt_ones_do() {
    let demo = crate::fixtures::catalog::catalog();
    let categories = demo.categories.clone();
    let mut products = demo.products.clone();
    let mut index = CatalogIndex::build(demo.categories, demo.products).unwrap();
    assert_eq!(expected(&index), index.attributes.resolved(index.len()));

    // Rounds of writes: values moved to others (old ones going out of use
    // and their ids reused), keys dropped and added, new products.
    for round in 0..6usize {
        let mut changed = Vec::new();
        for i in (round..products.len()).step_by(97) {
            let mut p = products[i].clone();
            match (i + round) % 4 {
                0 => p.attributes.reverse(),
                1 => {
                    p.attributes.pop();
                }
                2 => p.attributes.push(text("note", &format!("batch {}", i % 5))),
                _ => {
                    for a in &mut p.attributes {
                        if let AttributeValue::Option(s) = &mut a.value {
                            *s = format!("{s}-{round}");
                        }
                    }
                }
            }
            changed.push(p);
        }
        let mut added = products[round].clone();
        added.id = format!("prd-new-{round}");
        added.sku = format!("TP-NEW-{round}");
        added.barcode = None;
        changed.push(added);
        index = index.with_products(changed.clone()).unwrap().0;
        for p in changed {
            match products.iter().position(|q| q.id == p.id) {
                Some(i) => products[i] = p,
                None => products.push(p),
            }
        }
        let rebuilt = CatalogIndex::build(categories.clone(), products.clone()).unwrap();
        let patched = index.attributes.resolved(index.len());
        assert_eq!(patched, rebuilt.attributes.resolved(rebuilt.len()));
        assert_eq!(patched, expected(&index));
    }
}

/// The rules filters and facets had when they read each product's
/// attributes: the columns must give exactly the same answers.
fn matches(filter: &RawFilter, product: &Product) -> bool {
    let Some(value) = product.attribute(&filter.key) else {
        return false;
    };
    let decimal = |raw: &str| parse_decimal("", raw).ok();
    let by_value = filter.values.is_empty()
        || filter.values.iter().any(|v| {
            v.eq_ignore_ascii_case(&value.label())
                || matches!(value, AttributeValue::Number { value: n, .. }
                    if decimal(v) == Some(*n))
        });
    let bound = |raw: &str| (!raw.is_empty()).then(|| decimal(raw).unwrap());
    let in_range = match value {
        AttributeValue::Number { value, .. } => {
            bound(&filter.min).is_none_or(|min| *value >= min)
                && bound(&filter.max).is_none_or(|max| *value <= max)
        }
        _ => filter.min.is_empty() && filter.max.is_empty(),
    };
    by_value && in_range
}

#[test]
fn filters_and_facets_answer_as_reading_each_product_does() {
    let demo = crate::fixtures::catalog::catalog();
    let index = CatalogIndex::build(demo.categories, demo.products).unwrap();
    let ranged = |key: &str, min: &str, max: &str| RawFilter {
        key: key.into(),
        min: min.into(),
        max: max.into(),
        ..Default::default()
    };
    let requests = [
        vec![filter("material", &["copper"])],
        vec![
            filter("material", &["Copper", "pvc"]),
            filter("voltage", &["400 V"]),
        ],
        vec![
            ranged("voltage", "24", "400"),
            filter("colour", &["white", "RED"]),
        ],
        vec![filter("voltage", &["230"]), ranged("voltage", "100", "")],
        vec![filter("nothing", &["x"]), filter("size", &["M"])],
        vec![],
    ];
    let facet_keys = ["voltage", "colour", "size", "nothing"];
    for filters in requests {
        let r = search(
            &index,
            SearchRequest {
                filters: filters.clone(),
                facet_keys: facet_keys.iter().map(|k| k.to_string()).collect(),
                page_size: 200,
                ..Default::default()
            },
        );
        let products: Vec<&Arc<Product>> = index.products().map(|(_, p)| p).collect();
        let hits = products
            .iter()
            .filter(|p| filters.iter().all(|f| matches(f, p)))
            .count();
        assert_eq!(r.total, hits, "{filters:?}");
        for facet in &r.facets {
            let mut counts: BTreeMap<String, u32> = BTreeMap::new();
            for p in &products {
                let others = filters.iter().filter(|f| f.key != facet.key);
                if let (true, Some(value)) = (
                    others.clone().all(|f| matches(f, p)),
                    p.attribute(&facet.key),
                ) {
                    *counts.entry(value.label()).or_default() += 1;
                }
            }
            let mut want: Vec<FacetCount> = counts
                .into_iter()
                .map(|(value, count)| FacetCount { value, count })
                .collect();
            want.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            assert_eq!(facet.values, want, "{} {filters:?}", facet.key);
        }
        let keys: Vec<&str> = r.facets.iter().map(|f| f.key.as_str()).collect();
        let mut want_keys: Vec<&str> = filters.iter().map(|f| f.key.as_str()).collect();
        want_keys.extend(facet_keys);
        let mut seen = Vec::new();
        want_keys.retain(|k| {
            let first = !seen.contains(k);
            seen.push(*k);
            first
        });
        assert_eq!(keys, want_keys);
    }
}

#[test]
fn pages_of_a_partly_sorted_search_are_those_of_a_full_sort() {
    let demo = crate::fixtures::catalog::catalog();
    let index = CatalogIndex::build(demo.categories, demo.products).unwrap();
    for order_by in [
        "relevance",
        "name",
        "name desc",
        "sku desc",
        "price",
        "price desc",
    ] {
        let request = |page_size: i32, page_token: String| SearchRequest {
            filters: vec![filter("material", &["copper", "PVC"])],
            order_by: order_by.into(),
            page_size,
            page_token,
            ..Default::default()
        };
        let all = search(&index, request(200, String::new()));
        let mut paged = Vec::new();
        let mut token = String::new();
        while paged.len() < all.products.len() {
            let r = search(&index, request(7, token));
            paged.extend(r.products);
            token = r.next_page_token;
        }
        let ids = |ps: &[Arc<Product>]| ps.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(&paged[..all.products.len()]),
            ids(&all.products),
            "{order_by}"
        );
        // The first page of 200 is the 200 a full sort puts first.
        let mut everything: Vec<Arc<Product>> = index
            .products()
            .map(|(_, p)| Arc::clone(p))
            .filter(|p| matches(&filter("material", &["copper", "PVC"]), p))
            .collect();
        let name_then_id =
            |a: &Arc<Product>, b: &Arc<Product>| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id));
        let descending = order_by.ends_with("desc");
        everything.sort_by(|a, b| {
            let primary = match order_by.split(' ').next().unwrap() {
                "name" => a.name.cmp(&b.name),
                "sku" => a.sku.cmp(&b.sku),
                "price" => a.base_price.amount.cmp(&b.base_price.amount),
                _ => std::cmp::Ordering::Equal,
            };
            let primary = if descending {
                primary.reverse()
            } else {
                primary
            };
            primary.then_with(|| name_then_id(a, b))
        });
        assert_eq!(all.products.len(), 200, "{order_by}");
        assert_eq!(ids(&all.products), ids(&everything[..200]), "{order_by}");
    }
}
