//! Orders as last synced, and lines to submit with the price the device
//! shows.

use std::time::{Duration, SystemTime};

use tradeport_mobile::proto::orders as pb;

use crate::catalog::{Money, money};
use crate::device::Device;
use crate::error::{TradeportError, quantity};

/// One line of an order.
#[derive(Debug, uniffi::Record)]
pub struct OrderLine {
    pub line_number: u32,
    pub sku: String,
    pub name: String,
    pub quantity: String,
    pub unit_price: Option<Money>,
    pub line_total: Option<Money>,
}

/// An order as the server answered or the feed last sent it.
#[derive(Debug, uniffi::Record)]
pub struct Order {
    pub id: String,
    /// e.g. SO-2026-000123.
    pub number: String,
    pub account_id: String,
    pub placed_by: String,
    pub placed_time: Option<SystemTime>,
    pub po_number: String,
    /// The status's name, e.g. `ORDER_STATUS_CONFIRMED`.
    pub status: String,
    pub lines: Vec<OrderLine>,
    pub subtotal: Option<Money>,
    pub tax_total: Option<Money>,
    pub total: Option<Money>,
}

impl From<pb::Order> for Order {
    fn from(o: pb::Order) -> Self {
        let status = pb::OrderStatus::try_from(o.status)
            .map(|s| s.as_str_name().to_owned())
            .unwrap_or_else(|_| format!("ORDER_STATUS_{}", o.status));
        Self {
            placed_time: o.placed_time.and_then(|t| {
                let since = Duration::new(u64::try_from(t.seconds).ok()?, t.nanos.try_into().ok()?);
                SystemTime::UNIX_EPOCH.checked_add(since)
            }),
            id: o.id,
            number: o.number,
            account_id: o.account_id,
            placed_by: o.placed_by,
            po_number: o.po_number,
            status,
            lines: o
                .lines
                .into_iter()
                .map(|l| OrderLine {
                    line_number: l.line_number,
                    sku: l.sku,
                    name: l.name,
                    quantity: l.quantity,
                    unit_price: money(l.unit_price),
                    line_total: money(l.line_total),
                })
                .collect(),
            subtotal: money(o.subtotal),
            tax_total: money(o.tax_total),
            total: money(o.total),
        }
    }
}

/// A line to submit, with the unit price the device showed as the price
/// the person expects.
#[derive(Debug, uniffi::Record)]
pub struct OrderLineInput {
    pub sku: String,
    pub quantity: String,
    pub expected_unit_price: String,
}

#[uniffi::export]
impl Device {
    /// The person's orders as last synced, newest first.
    pub fn orders(&self) -> Result<Vec<Order>, TradeportError> {
        Ok(self.sdk()?.orders()?.into_iter().map(Into::into).collect())
    }

    /// One order as last synced.
    pub fn order(&self, id: String) -> Result<Option<Order>, TradeportError> {
        Ok(self.sdk()?.order(&id)?.map(Into::into))
    }

    /// A line for `quantity` of `sku` at the price the device shows now.
    pub fn order_line(
        &self,
        sku: String,
        quantity: String,
    ) -> Result<OrderLineInput, TradeportError> {
        let line = self.sdk()?.order_line(&sku, self::quantity(&quantity)?)?;
        Ok(OrderLineInput {
            sku: line.sku,
            quantity: line.quantity,
            expected_unit_price: line.expected_unit_price,
        })
    }
}
