//! Stock as the ERP sends it and as tests read it back: a feed line for
//! one level, and a SKU's levels summed over the warehouses.

use rust_decimal::Decimal;
use tradeport_mobile::Client;
use tradeport_proto::catalog::{GetStockRequest, StockLevel, StockLevelUpdate};

use crate::clients::catalog;

/// A feed line setting `sku`'s level to `on_hand`, nothing reserved, a
/// safety stock of 20 and nothing incoming.
pub fn level(sku: &str, on_hand: impl Into<String>) -> StockLevelUpdate {
    StockLevelUpdate {
        sku: sku.into(),
        on_hand: on_hand.into(),
        reserved: "0".into(),
        safety_stock: "20".into(),
        incoming: vec![],
    }
}

/// `sku`'s levels as `client` sees them, one per warehouse.
pub async fn levels(client: &Client, sku: &str) -> Vec<StockLevel> {
    catalog(client)
        .get_stock(GetStockRequest {
            skus: vec![sku.into()],
        })
        .await
        .unwrap_or_else(|e| panic!("the stock of {sku}: {e:?}"))
        .into_inner()
        .levels
}

/// `sku`'s stock on hand and reserved, summed over the warehouses.
pub async fn stock_of(client: &Client, sku: &str) -> (Decimal, Decimal) {
    let levels = levels(client, sku).await;
    let sum = |f: fn(&StockLevel) -> &String| {
        levels
            .iter()
            .map(|l| {
                f(l).parse::<Decimal>()
                    .unwrap_or_else(|e| panic!("{:?} is no decimal: {e}", f(l)))
            })
            .sum::<Decimal>()
    };
    (sum(|l| &l.on_hand), sum(|l| &l.reserved))
}
