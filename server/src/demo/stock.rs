//! The demo's stock in three warehouses and its assortments (what the
//! standard and gold customers may see and buy).

use tradeport_domain::catalog::Product;

/// The demo's stock: three warehouses holding every product, with a few
/// SKUs below their safety stock and some deliveries on the way.
pub fn stock(
    products: &[Product],
) -> Vec<(String, u64, Vec<tradeport_domain::inventory::RawLevel>)> {
    use tradeport_domain::inventory::RawLevel;
    ["WH-HAM", "WH-MAD", "WH-RTM"]
        .iter()
        .enumerate()
        .map(|(w, warehouse)| {
            let levels = products
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    // Deterministic spread of quantities; every 97th SKU of a
                    // warehouse runs low.
                    let spread = (i * 37 + w * 101) % 400;
                    let on_hand = if (i + w * 13) % 97 == 0 {
                        5
                    } else {
                        30 + spread
                    };
                    RawLevel {
                        sku: p.sku.clone(),
                        on_hand: on_hand.to_string(),
                        reserved: (spread % 7).to_string(),
                        safety_stock: "20".into(),
                        incoming: if i % 11 == 0 {
                            vec![("100".into(), "2026-12-07".into())]
                        } else {
                            vec![]
                        },
                    }
                })
                .collect();
            (warehouse.to_string(), 1, levels)
        })
        .collect()
}

/// The demo's assortments: standard-tier customers buy everything but
/// tools; gold customers have no assortment, so they see it all.
pub fn assortments() -> Vec<tradeport_domain::catalog::Assortment> {
    use tradeport_domain::catalog::{Assortment, AssortmentScope};
    vec![Assortment {
        id: "standard-core-range".into(),
        name: "Core range for standard customers".into(),
        scope: AssortmentScope::Tier("standard".into()),
        categories: ["cat-el", "cat-li", "cat-pl", "cat-fa", "cat-sa"]
            .map(String::from)
            .to_vec(),
        skus: vec![],
    }]
}
