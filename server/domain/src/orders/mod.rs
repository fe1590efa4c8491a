//! Orders: the record an order is kept as, its number, and the checks a
//! submission passes — the caller's expected prices against the server's,
//! then approval and credit — before its first status is decided.

pub mod approval;
pub mod credit;
pub mod fulfilment;
pub mod notifications;
pub mod scope;
pub mod status;
pub mod submission;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::catalog::TaxClass;
use crate::identity::Role;
use crate::{DomainError, FieldViolation};
pub use approval::{ApprovalDecision, ApprovalPolicy, ApprovalStep};
pub use credit::{CreditWarning, Exposure};
pub use status::{OrderEvent, OrderStatus};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// A line as ordered and priced. An order holds up to hundreds of these and
/// every change to the order rewrites them all, so their stored field
/// names are short; each long name is an alias, so lines stored before
/// still read. Amounts that are usually zero are left out when they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// 1-based.
    #[serde(rename = "no", alias = "line_no")]
    pub line_no: u32,
    pub sku: String,
    #[serde(rename = "pid", alias = "product_id")]
    pub product_id: String,
    pub name: String,
    /// In the product's sales unit.
    #[serde(rename = "qty", alias = "quantity")]
    pub quantity: Decimal,
    #[serde(rename = "list", alias = "list_unit_price")]
    pub list_unit_price: Decimal,
    /// Net, rounded, as the pricing engine gave it at submission.
    #[serde(rename = "unit", alias = "unit_price")]
    pub unit_price: Decimal,
    /// Net of discounts, before tax.
    #[serde(rename = "net", alias = "line_total")]
    pub line_total: Decimal,
    #[serde(
        rename = "disc",
        alias = "discount_total",
        default,
        skip_serializing_if = "Decimal::is_zero"
    )]
    pub discount_total: Decimal,
    /// Promotions that priced the line, counted against their caps.
    #[serde(
        rename = "promo",
        alias = "promotions",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub promotions: Vec<String>,
    #[serde(rename = "tc", alias = "tax_class")]
    pub tax_class: TaxClass,
    pub tax: Decimal,
    #[serde(default, skip_serializing_if = "Decimal::is_zero")]
    pub duty: Decimal,
    /// Shipped so far.
    #[serde(
        rename = "shp",
        alias = "shipped",
        default,
        skip_serializing_if = "Decimal::is_zero"
    )]
    pub shipped: Decimal,
}

/// One row of the tax breakdown: all tax of one kind and rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRow {
    pub name: String,
    /// Percent.
    pub rate: Decimal,
    pub base: Decimal,
    pub amount: Decimal,
}

/// A change of status, who made it and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub at: Millis,
    pub to: OrderStatus,
    /// The user or API key, or "system" for the server's own decisions.
    pub by: String,
    pub note: String,
}

/// An approver's decision on one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub role: Role,
    pub by: String,
    pub at: Millis,
    pub approved: bool,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Stable id, e.g. "ord-0192…" (a UUIDv7, so ids sort by time).
    pub id: String,
    /// For people: SO-2026-000123, numbered per year, never reused.
    pub number: String,
    pub account_id: String,
    /// The submitter's department, whose budget the order draws on.
    pub unit_id: Option<String>,
    pub placed_by: String,
    pub placed_at: Millis,
    pub po_number: String,
    pub ship_to_id: String,
    pub ship_to_country: String,
    pub currency: String,
    pub lines: Vec<OrderLine>,
    pub subtotal: Decimal,
    pub discount_total: Decimal,
    pub tax_total: Decimal,
    pub duty_total: Decimal,
    pub total: Decimal,
    pub tax_breakdown: Vec<TaxRow>,
    /// The account's active contract the order falls under, if any.
    pub contract_id: Option<String>,
    pub status: OrderStatus,
    pub approval: ApprovalDecision,
    pub approvals: Vec<Approval>,
    pub credit_warning: Option<CreditWarning>,
    pub history: Vec<StatusChange>,
    /// Stock held for the order: (SKU, warehouse, quantity).
    #[serde(default)]
    pub reservations: Vec<crate::inventory::Reservation>,
    /// The month ("2026-11") whose department budget the order drew on,
    /// once it passed approval.
    #[serde(default)]
    pub budget_month: Option<String>,
    #[serde(default)]
    pub shipments: Vec<fulfilment::Shipment>,
    #[serde(default)]
    pub returns: Vec<fulfilment::Return>,
    /// The invoice that billed the order, once invoiced.
    #[serde(default)]
    pub invoice_number: Option<String>,
    #[serde(default)]
    pub payment: Option<crate::payments::Payment>,
}

impl Order {
    /// Moves the order on by `event`, recording who and why.
    pub fn apply(
        &mut self,
        event: OrderEvent,
        by: &str,
        at: Millis,
        note: impl Into<String>,
    ) -> Result<(), DomainError> {
        self.status = status::next(self.status, event)?;
        self.history.push(StatusChange {
            at,
            to: self.status,
            by: by.to_string(),
            note: note.into(),
        });
        Ok(())
    }

    /// The approval steps still waiting for a decision, the next first;
    /// none unless the order is pending approval.
    pub fn pending_steps(&self) -> &[Role] {
        if self.status != OrderStatus::PendingApproval {
            return &[];
        }
        let approved = self.approvals.iter().filter(|a| a.approved).count();
        self.approval.steps.get(approved..).unwrap_or_default()
    }

    /// The approval step waiting for a decision, if any.
    pub fn pending_step(&self) -> Option<Role> {
        self.pending_steps().first().copied()
    }
}

/// The human number of the `sequence`-th order of `year`.
pub fn order_number(year: i32, sequence: u64) -> String {
    format!("SO-{year}-{sequence:06}")
}

/// What the caller expected an order to cost, to catch prices that moved
/// since they last looked.
#[derive(Debug, Clone, Default)]
pub struct Expectation {
    pub total: Option<Decimal>,
    /// Per line (by index), the unit price the caller saw.
    pub unit_prices: Vec<Option<Decimal>>,
}

/// Refuses the order if its total, or any line's unit price, is not what
/// the caller expected, naming each line that differs.
pub fn check_expectation(
    expected: &Expectation,
    lines: &[OrderLine],
    total: Decimal,
) -> Result<(), DomainError> {
    let mut violations = Vec::new();
    for (i, (line, want)) in lines.iter().zip(&expected.unit_prices).enumerate() {
        if let Some(want) = want
            && *want != line.unit_price
        {
            violations.push(FieldViolation::new(
                format!("lines[{i}]"),
                format!(
                    "{}: expected unit price {}, now {}",
                    line.sku,
                    want.normalize(),
                    line.unit_price.normalize()
                ),
            ));
        }
    }
    if let Some(want) = expected.total
        && want != total
    {
        violations.push(FieldViolation::new(
            "expected_total",
            format!(
                "expected {}, the order comes to {}",
                want.normalize(),
                total.normalize()
            ),
        ));
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(DomainError::PreconditionFailed {
            reason: "PRICE_CHANGED",
            violations,
        })
    }
}

#[cfg(test)]
#[path = "orders_tests.rs"]
mod tests;
