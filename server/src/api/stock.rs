//! Wire forms of stock levels and of the ERP's stock feed.

use tradeport_proto::catalog as pb;

use super::dates::{date_text, date_to};
use crate::service::inventory::FeedResult;
use tradeport_domain::inventory::{FeedOutcome, RawLevel, StockLevel};

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

/// What an applied (or stale) feed update answers.
pub fn fed_to(sent: u64, result: FeedResult) -> pb::UpdateStockLevelsResponse {
    pb::UpdateStockLevelsResponse {
        applied: result.outcome == FeedOutcome::Applied,
        last_sequence: result.outcome.last_sequence(sent),
        alerts_raised: result.alerts_raised,
        alerts_cleared: result.alerts_cleared,
    }
}
