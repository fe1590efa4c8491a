//! Inventory rules: stock per warehouse, what is available to promise, and
//! the ERP feed's ordering. Each warehouse's feed carries a sequence number;
//! an update with a sequence at or below the last applied one is stale (a
//! retry or a reordering in transit) and is ignored and reported, never
//! applied over newer figures. Falling below safety stock raises an alert;
//! climbing back to it clears the alert.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use super::decimal::parse_decimal;
use super::{DomainError, FieldViolation};

/// Stock expected to arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incoming {
    pub quantity: Decimal,
    pub expected: Date,
}

/// One SKU's stock in one warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevel {
    pub warehouse_id: String,
    pub sku: String,
    pub on_hand: Decimal,
    /// Held for confirmed orders.
    pub reserved: Decimal,
    pub incoming: Vec<Incoming>,
    pub safety_stock: Decimal,
    /// The feed sequence that last set this level.
    pub sequence: u64,
}

impl StockLevel {
    /// What can be sold now.
    pub fn available(&self) -> Decimal {
        (self.on_hand - self.reserved).max(Decimal::ZERO)
    }

    /// Whether the level is below its safety stock (an alert is up).
    pub fn below_safety_stock(&self) -> bool {
        self.available() < self.safety_stock
    }

    /// Available to promise by `date`: what is available now plus what
    /// arrives by then.
    pub fn available_by(&self, date: Date) -> Decimal {
        self.available()
            + self
                .incoming
                .iter()
                .filter(|i| i.expected <= date)
                .map(|i| i.quantity)
                .sum::<Decimal>()
    }
}

/// A level as the feed sends it, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawLevel {
    pub sku: String,
    pub on_hand: String,
    pub reserved: String,
    pub safety_stock: String,
    /// (quantity, "YYYY-MM-DD")
    pub incoming: Vec<(String, String)>,
}

/// What a feed update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOutcome {
    Applied,
    /// Not applied: the warehouse has already seen `last_applied`.
    Stale {
        last_applied: u64,
    },
}

impl FeedOutcome {
    /// The sequence the warehouse stands at after an update that carried
    /// `sent`: that one if it applied, else the newer one already applied.
    pub fn last_sequence(&self, sent: u64) -> u64 {
        match self {
            Self::Applied => sent,
            Self::Stale { last_applied } => *last_applied,
        }
    }
}

/// SKUs one stock read or watch may name.
pub const MAX_SKUS: usize = 500;

/// Checks the SKUs a caller asks the stock of: at least one, at most
/// [`MAX_SKUS`], so one read or watch stays bounded.
pub fn check_skus(skus: &[String]) -> Result<(), DomainError> {
    if skus.is_empty() || skus.len() > MAX_SKUS {
        return Err(DomainError::invalid(
            "INVALID_SKUS",
            "skus",
            format!("name between 1 and {MAX_SKUS} SKUs"),
        ));
    }
    Ok(())
}

/// Decides whether an update with `sequence` may apply after `last`.
pub fn feed_outcome(last: Option<u64>, sequence: u64) -> FeedOutcome {
    match last {
        Some(last) if sequence <= last => FeedOutcome::Stale { last_applied: last },
        _ => FeedOutcome::Applied,
    }
}

/// An alert change a level update causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertChange {
    Raised,
    Cleared,
    Unchanged,
}

pub fn alert_change(before: Option<&StockLevel>, after: &StockLevel) -> AlertChange {
    let was = before.is_some_and(StockLevel::below_safety_stock);
    match (was, after.below_safety_stock()) {
        (false, true) => AlertChange::Raised,
        (true, false) => AlertChange::Cleared,
        _ => AlertChange::Unchanged,
    }
}

fn quantity(field: String, raw: &str, v: &mut Vec<FieldViolation>) -> Decimal {
    if raw.trim().is_empty() {
        return Decimal::ZERO;
    }
    match parse_decimal(&field, raw) {
        Ok(q) if q < Decimal::ZERO => {
            v.push(FieldViolation::new(field, "must not be negative"));
            Decimal::ZERO
        }
        Ok(q) => q,
        Err(DomainError::InvalidArgument { violations, .. }) => {
            v.extend(violations);
            Decimal::ZERO
        }
        Err(_) => Decimal::ZERO,
    }
}

/// Validates a feed update's levels for `warehouse_id` at `sequence`.
pub fn parse_levels(
    warehouse_id: &str,
    sequence: u64,
    raw: &[RawLevel],
) -> Result<Vec<StockLevel>, DomainError> {
    let mut v = Vec::new();
    if warehouse_id.trim().is_empty() {
        v.push(FieldViolation::new("warehouse_id", "is required"));
    }
    if sequence == 0 {
        v.push(FieldViolation::new("sequence", "must be at least 1"));
    }
    if raw.is_empty() {
        v.push(FieldViolation::new("levels", "give at least one level"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut levels = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        if r.sku.trim().is_empty() {
            v.push(FieldViolation::new(
                format!("levels[{i}].sku"),
                "is required",
            ));
        } else if !seen.insert(r.sku.trim()) {
            v.push(FieldViolation::new(
                format!("levels[{i}].sku"),
                "appears twice in this update",
            ));
        }
        let on_hand = quantity(format!("levels[{i}].on_hand"), &r.on_hand, &mut v);
        let reserved = quantity(format!("levels[{i}].reserved"), &r.reserved, &mut v);
        let safety_stock = quantity(format!("levels[{i}].safety_stock"), &r.safety_stock, &mut v);
        let mut incoming = Vec::new();
        for (j, (q, date)) in r.incoming.iter().enumerate() {
            let quantity = quantity(format!("levels[{i}].incoming[{j}].quantity"), q, &mut v);
            match super::pricing::price_date(
                &format!("levels[{i}].incoming[{j}].expected_date"),
                date,
                Date::MIN,
            ) {
                Ok(expected) if !date.trim().is_empty() => {
                    incoming.push(Incoming { quantity, expected })
                }
                Ok(_) => v.push(FieldViolation::new(
                    format!("levels[{i}].incoming[{j}].expected_date"),
                    "is required",
                )),
                Err(DomainError::InvalidArgument { violations, .. }) => v.extend(violations),
                Err(_) => {}
            }
        }
        levels.push(StockLevel {
            warehouse_id: warehouse_id.trim().to_string(),
            sku: r.sku.trim().to_string(),
            on_hand,
            reserved,
            incoming,
            safety_stock,
            sequence,
        });
    }
    if v.is_empty() {
        Ok(levels)
    } else {
        Err(DomainError::InvalidArgument {
            reason: "INVALID_STOCK_UPDATE",
            violations: v,
        })
    }
}

/// Stock held for an order: (SKU, warehouse, quantity).
pub type Reservation = (String, String, Decimal);

/// Where `quantity` of one SKU is reserved from: the warehouses with the
/// most available first (fewest parcels), ties by warehouse id. What no
/// warehouse has is left out: that part is backordered.
pub fn allocate(levels: &[StockLevel], quantity: Decimal) -> Vec<(String, Decimal)> {
    let mut by_available: Vec<&StockLevel> = levels.iter().collect();
    by_available.sort_by(|a, b| {
        b.available()
            .cmp(&a.available())
            .then_with(|| a.warehouse_id.cmp(&b.warehouse_id))
    });
    let mut left = quantity;
    let mut taken = Vec::new();
    for level in by_available {
        if left <= Decimal::ZERO {
            break;
        }
        let take = level.available().min(left);
        if take > Decimal::ZERO {
            taken.push((level.warehouse_id.clone(), take));
            left -= take;
        }
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn a_stale_update_leaves_the_warehouse_at_its_newer_sequence() {
        assert_eq!(feed_outcome(Some(4), 5).last_sequence(5), 5);
        assert_eq!(feed_outcome(Some(9), 5).last_sequence(5), 9);
        assert!(check_skus(&[]).is_err());
        assert!(check_skus(&vec!["A".to_string(); MAX_SKUS]).is_ok());
        assert!(check_skus(&vec!["A".to_string(); MAX_SKUS + 1]).is_err());
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn level(on_hand: &str, reserved: &str, safety: &str) -> StockLevel {
        StockLevel {
            warehouse_id: "HAM".into(),
            sku: "A".into(),
            on_hand: d(on_hand),
            reserved: d(reserved),
            incoming: vec![Incoming {
                quantity: d("40"),
                expected: Date::from_calendar_date(2026, time::Month::December, 1).unwrap(),
            }],
            safety_stock: d(safety),
            sequence: 1,
        }
    }

    #[test]
    fn availability_and_available_to_promise() {
        let l = level("100", "30", "10");
        assert_eq!(l.available(), d("70"));
        let before = Date::from_calendar_date(2026, time::Month::November, 30).unwrap();
        let on = Date::from_calendar_date(2026, time::Month::December, 1).unwrap();
        assert_eq!(l.available_by(before), d("70"));
        assert_eq!(l.available_by(on), d("110"));
        assert_eq!(level("10", "30", "0").available(), d("0"), "never negative");
    }

    #[test]
    fn stale_and_repeated_sequences_are_ignored() {
        assert_eq!(feed_outcome(None, 1), FeedOutcome::Applied);
        assert_eq!(feed_outcome(Some(5), 6), FeedOutcome::Applied);
        assert_eq!(
            feed_outcome(Some(5), 5),
            FeedOutcome::Stale { last_applied: 5 }
        );
        assert_eq!(
            feed_outcome(Some(5), 3),
            FeedOutcome::Stale { last_applied: 5 }
        );
    }

    #[test]
    fn alerts_rise_below_safety_stock_and_clear_above_it() {
        let ok = level("100", "0", "20");
        let low = level("25", "10", "20");
        assert_eq!(alert_change(None, &low), AlertChange::Raised);
        assert_eq!(alert_change(Some(&ok), &low), AlertChange::Raised);
        assert_eq!(alert_change(Some(&low), &low), AlertChange::Unchanged);
        assert_eq!(alert_change(Some(&low), &ok), AlertChange::Cleared);
        assert_eq!(alert_change(Some(&ok), &ok), AlertChange::Unchanged);
    }

    #[test]
    fn bad_levels_name_their_fields() {
        let raw = vec![
            RawLevel {
                sku: "A".into(),
                on_hand: "-1".into(),
                ..RawLevel::default()
            },
            RawLevel {
                sku: "A".into(),
                on_hand: "1e2".into(),
                incoming: vec![("5".into(), "soon".into())],
                ..RawLevel::default()
            },
        ];
        let DomainError::InvalidArgument { violations, .. } =
            parse_levels("HAM", 0, &raw).unwrap_err()
        else {
            panic!()
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "sequence",
                "levels[0].on_hand",
                "levels[1].sku",
                "levels[1].on_hand",
                "levels[1].incoming[0].expected_date"
            ]
        );
    }

    #[test]
    fn reservations_come_from_the_fullest_warehouses_and_never_exceed_stock() {
        let level = |wh: &str, on_hand: i64, reserved: i64| StockLevel {
            warehouse_id: wh.into(),
            sku: "S".into(),
            on_hand: Decimal::from(on_hand),
            reserved: Decimal::from(reserved),
            incoming: vec![],
            safety_stock: Decimal::ZERO,
            sequence: 1,
        };
        let levels = [level("A", 10, 0), level("B", 30, 5), level("C", 25, 0)];
        let d = |n: i64| Decimal::from(n);
        assert_eq!(allocate(&levels, d(20)), [("B".to_string(), d(20))]);
        assert_eq!(
            allocate(&levels, d(40)),
            [("B".to_string(), d(25)), ("C".to_string(), d(15))]
        );
        let all: Decimal = allocate(&levels, d(1000)).iter().map(|(_, q)| *q).sum();
        assert_eq!(all, d(60), "the rest is backordered");
    }
}
