//! Wire forms of stock levels.

use tradeport_proto::catalog as pb;

use super::dates::{date_text, date_to};

use tradeport_domain::inventory::{RawLevel, StockLevel};

pub fn level_to(l: &StockLevel) -> pb::StockLevel {
    pb::StockLevel {
        sku: l.sku.clone(),
        warehouse_id: l.warehouse_id.clone(),
        on_hand: l.on_hand.normalize().to_string(),
        reserved: l.reserved.normalize().to_string(),
        available: l.available().normalize().to_string(),
        incoming: l
            .incoming
            .iter()
            .map(|i| pb::IncomingStock {
                quantity: i.quantity.normalize().to_string(),
                expected_date: Some(date_to(i.expected)),
            })
            .collect(),
        safety_stock: l.safety_stock.normalize().to_string(),
        below_safety_stock: l.below_safety_stock(),
        sequence: l.sequence,
    }
}

pub fn raw_from(u: pb::StockLevelUpdate) -> RawLevel {
    RawLevel {
        sku: u.sku,
        on_hand: u.on_hand,
        reserved: u.reserved,
        safety_stock: u.safety_stock,
        incoming: u
            .incoming
            .into_iter()
            .map(|i| (i.quantity, date_text(i.expected_date)))
            .collect(),
    }
}
