//! A year of order history for the demo's customer accounts, placed and
//! moved on through the same use cases a buyer and the ERP would call, so
//! every order, reservation, shipment, invoice and exposure in the demo is
//! one the rules produced. Deterministic: the same demo every time.
//!
//! Per account: five orders a month for twelve months. Those older than
//! two weeks are shipped, delivered and invoiced, and those older than six
//! weeks paid and closed; the last two weeks' are in transit (one of them
//! late) or just confirmed. One large order waits for approval and one is
//! on credit hold.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::service::orders::{
    LineInput, NewShipment, NewTrackingEvent, Orders, Submission, system_caller,
};
use tradeport_domain::catalog::{Product, ProductStatus};
use tradeport_domain::identity::{Caller, CallerKind, Role};
use tradeport_domain::orders::fulfilment::TrackingStatus;
use tradeport_domain::orders::{Millis, OrderStatus};

const SEED: u64 = 0x6f72_6465_7273; // "orders"
const DAY: Millis = 24 * 60 * 60 * 1000;
const PER_MONTH: usize = 5;

fn buyer(account: &str, roles: Vec<Role>) -> Caller {
    Caller {
        kind: CallerKind::ApiKey,
        id: format!("demo-history-{account}"),
        account_id: Some(account.to_string()),
        roles,
        session_id: None,
        on_behalf_of: None,
        assigned_accounts: vec![],
        territories: vec![],
    }
}

/// Seeds the history; returns how many orders were placed.
pub fn seed(
    orders: &Orders,
    accounts: &[String],
    products: &[std::sync::Arc<Product>],
    now: Millis,
) -> anyhow::Result<usize> {
    // Plain electrical items anyone may buy in any quantity.
    let skus: Vec<&str> = products
        .iter()
        .filter(|p| {
            p.sku.starts_with("TP-EL-")
                && p.status == ProductStatus::Active
                && p.quantity_rule.minimum.is_zero()
                && p.quantity_rule.multiple.is_none()
        })
        .map(|p| p.sku.as_str())
        .collect();
    if skus.is_empty() {
        return Ok(0);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let ops = system_caller();
    let mut placed = 0;
    for account in accounts {
        let caller = buyer(account, vec![Role::Buyer]);
        for month in 0..12 {
            for k in 0..PER_MONTH {
                // Spread over each month; the newest a day or two old.
                let age_days =
                    (11 - month) * 30 + (PER_MONTH - 1 - k) as i64 * 6 + rng.random_range(0..3);
                let at = now - age_days * DAY - rng.random_range(0..DAY / 2);
                let lines = (0..rng.random_range(1..=4))
                    .map(|_| LineInput {
                        sku: skus[rng.random_range(0..skus.len())].to_string(),
                        quantity: rng.random_range(1..=6).to_string(),
                        expected_unit_price: String::new(),
                    })
                    .collect();
                let order = orders.submit_at(
                    &caller,
                    Submission {
                        lines,
                        po_number: format!("PO-{}-{:03}", month + 1, k + 1),
                        ..Default::default()
                    },
                    at,
                )?;
                placed += 1;
                if order.status != OrderStatus::Confirmed || age_days < 3 {
                    continue;
                }
                let shipped = orders.record_shipment(
                    &ops,
                    &order.id,
                    NewShipment {
                        lines: order
                            .lines
                            .iter()
                            .map(|l| (l.line_no, l.quantity.to_string()))
                            .collect(),
                        carrier: ["DHL", "UPS", "DB Schenker"][k % 3].into(),
                        tracking_number: format!(
                            "TRK{:010}",
                            rng.random_range(0..10_000_000_000u64)
                        ),
                        // One recent shipment is overdue.
                        promised_date: if age_days < 14 && k == PER_MONTH - 2 {
                            time::OffsetDateTime::from_unix_timestamp((now - 2 * DAY) / 1000)
                                .map(|t| t.date().to_string())
                                .unwrap_or_default()
                        } else {
                            String::new()
                        },
                    },
                    "",
                )?;
                if age_days < 14 {
                    continue;
                }
                for shipment in &shipped.shipments {
                    orders.add_tracking_event(
                        &ops,
                        &order.id,
                        &shipment.id,
                        NewTrackingEvent {
                            status: TrackingStatus::Delivered,
                            location: "customer dock".into(),
                            description: "signed for".into(),
                        },
                        "",
                    )?;
                }
                orders.invoice(&ops, &order.id, &format!("INV-{}", order.number), "")?;
                if age_days >= 42 {
                    orders.close(&ops, &order.id, "")?;
                }
            }
        }
        // Waiting for an approver: over the buyer's 10,000.
        let big = (0..20)
            .map(|i| LineInput {
                sku: skus[(i * 7) % skus.len()].to_string(),
                quantity: "25".into(),
                expected_unit_price: String::new(),
            })
            .collect();
        orders.submit_at(
            &caller,
            Submission {
                lines: big,
                po_number: "PO-PROJECT-HARBOUR".into(),
                ..Default::default()
            },
            now - DAY,
        )?;
        // Held for credit: the admin orders past the credit limit.
        let huge = (0..20)
            .map(|i| LineInput {
                sku: skus[(i * 11) % skus.len()].to_string(),
                quantity: "120".into(),
                expected_unit_price: String::new(),
            })
            .collect();
        orders.submit_at(
            &buyer(account, vec![Role::AccountAdmin]),
            Submission {
                lines: huge,
                po_number: "PO-YEAR-END-STOCKUP".into(),
                ..Default::default()
            },
            now - DAY / 2,
        )?;
        placed += 2;
    }
    Ok(placed)
}
