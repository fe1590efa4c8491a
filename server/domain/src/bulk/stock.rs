//! Stock levels as CSV: one SKU in one warehouse per row. An import sets
//! the levels as the ERP feed would, each warehouse taking its next feed
//! sequence, so a later feed update still orders correctly after it.

use std::collections::{BTreeMap, HashSet};

use super::{Column, Row, column};
use crate::DomainError;
use crate::catalog::CatalogIndex;
use crate::inventory::{RawLevel, StockLevel, parse_levels};

pub const COLUMNS: &[Column] = &[
    column("warehouse_id", true, "The warehouse", "WH-HAM"),
    column("sku", true, "An existing product's SKU", "TP-EL-00042"),
    column("on_hand", true, "Physically in stock, decimal", "120"),
    column(
        "reserved",
        false,
        "Held for confirmed orders (default 0)",
        "20",
    ),
    column("safety_stock", false, "Alert below this (default 0)", "25"),
    column(
        "incoming",
        false,
        "Expected arrivals, YYYY-MM-DD:quantity, |-separated",
        "2026-12-01:100",
    ),
];

/// Rows read so far, grouped by warehouse.
pub struct StockBatch<'a> {
    catalog: &'a CatalogIndex,
    seen: HashSet<(String, String)>,
    by_warehouse: BTreeMap<String, Vec<RawLevel>>,
}

impl<'a> StockBatch<'a> {
    pub fn new(catalog: &'a CatalogIndex) -> Self {
        Self {
            catalog,
            seen: HashSet::new(),
            by_warehouse: BTreeMap::new(),
        }
    }

    /// Reads one row; `false` (with the row's errors) if it is rejected.
    pub fn add(&mut self, row: &mut Row<'_>) -> bool {
        let warehouse = row.required("warehouse_id");
        let sku = row.required("sku");
        if !sku.is_empty() && self.catalog.get_sku(&sku).is_none() {
            row.error("sku", format!("no product has SKU {sku:?}"));
        }
        let mut incoming = Vec::new();
        for item in row.list("incoming") {
            match item.split_once(':') {
                Some((day, quantity)) => {
                    incoming.push((quantity.trim().to_string(), day.trim().to_string()))
                }
                None => row.error("incoming", format!("{item:?} is not YYYY-MM-DD:quantity")),
            }
        }
        let default_zero = |s: &str| if s.is_empty() { "0" } else { s }.to_string();
        let raw = RawLevel {
            sku: sku.clone(),
            on_hand: row.text("on_hand").to_string(),
            reserved: default_zero(row.text("reserved")),
            safety_stock: default_zero(row.text("safety_stock")),
            incoming,
        };
        // The feed's own rules decide what a valid level is; its field
        // paths map back to this file's columns.
        if let Err(DomainError::InvalidArgument { violations, .. }) =
            parse_levels(&warehouse, 1, std::slice::from_ref(&raw))
        {
            for v in violations {
                let column = if v.field.contains("incoming") {
                    "incoming"
                } else {
                    COLUMNS
                        .iter()
                        .map(|c| c.name)
                        .find(|c| v.field.ends_with(&format!(".{c}")) || v.field == *c)
                        .unwrap_or("")
                };
                if !(column == "warehouse_id" && warehouse.is_empty()) {
                    row.error(column, v.description);
                }
            }
        }
        if !warehouse.is_empty()
            && !sku.is_empty()
            && self.seen.contains(&(warehouse.clone(), sku.clone()))
        {
            row.error(
                "sku",
                format!("{sku} in {warehouse} appears on an earlier line"),
            );
        }
        if !row.errors.is_empty() {
            return false;
        }
        self.seen.insert((warehouse.clone(), sku));
        self.by_warehouse.entry(warehouse).or_default().push(raw);
        true
    }

    /// Levels per warehouse, as the feed takes them.
    pub fn into_levels(self) -> Vec<(String, Vec<RawLevel>)> {
        self.by_warehouse.into_iter().collect()
    }
}

/// A level's row, in [`COLUMNS`] order.
pub fn write_row(level: &StockLevel) -> Vec<String> {
    vec![
        level.warehouse_id.clone(),
        level.sku.clone(),
        level.on_hand.normalize().to_string(),
        level.reserved.normalize().to_string(),
        level.safety_stock.normalize().to_string(),
        level
            .incoming
            .iter()
            .map(|i| format!("{}:{}", i.expected, i.quantity.normalize()))
            .collect::<Vec<_>>()
            .join("|"),
    ]
}
