//! A submission: an order as the caller sent it, completed from the draft
//! it names, checked (where it ships, its PO number, how many lines, the
//! prices the caller expects), priced into order lines, taxed, and made
//! into the order as submitted — before it is numbered and decided. The
//! order use case loads what these rules read and commits what they make.

use rust_decimal::Decimal;

use super::{ApprovalDecision, Expectation, Millis, Order, OrderLine, OrderStatus};
use super::{StatusChange, TaxRow};
use crate::catalog::CatalogIndex;
use crate::decimal::parse_decimal;
use crate::documents::DraftForOrder;
use crate::identity::records::{Account, ShipTo};
use crate::payments::PaymentRequest;
use crate::pricing::{CartLine, CartQuote, MAX_CART_LINES};
use crate::tax::{TaxExemption, TaxKind, TaxLine, TaxRequest, TaxResult};
use crate::{DomainError, FieldViolation};

/// A line as the caller sent it.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub sku: String,
    pub quantity: String,
    /// Empty: no expectation.
    pub expected_unit_price: String,
}

/// An order as the caller sent it.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub request_id: String,
    pub lines: Vec<LineInput>,
    pub ship_to_id: String,
    pub po_number: String,
    /// (currency, amount), amount empty for none.
    pub expected_total: Option<(String, String)>,
    /// Quick-order text, used when `lines` is empty.
    pub lines_text: String,
    pub payment: PaymentRequest,
    /// The draft this order comes from; empty for none. A draft becomes
    /// at most one order.
    pub draft_id: String,
}

/// The longest PO number an order keeps.
pub const MAX_PO_CHARS: usize = 64;

impl Submission {
    /// The lines as sent, (SKU, quantity): from a draft, the lines the
    /// person confirmed on their device, which the server's copy must
    /// still hold (see `documents::check_confirmed_lines`).
    pub fn confirmed_lines(&self) -> Vec<(String, String)> {
        self.lines
            .iter()
            .map(|l| (l.sku.clone(), l.quantity.clone()))
            .collect()
    }

    /// Completes the submission from the draft it names: what the caller
    /// left empty (the lines, the ship-to address, the PO number) is the
    /// draft's, as the server holds it.
    pub fn take_draft(&mut self, draft: DraftForOrder) {
        if self.lines.is_empty() {
            self.lines = draft
                .lines
                .iter()
                .map(|(sku, quantity)| LineInput {
                    sku: sku.clone(),
                    quantity: quantity.to_string(),
                    ..Default::default()
                })
                .collect();
        }
        if self.ship_to_id.is_empty() {
            self.ship_to_id = draft.ship_to_id;
        }
        if self.po_number.is_empty() {
            self.po_number = draft.po_reference;
        }
    }

    /// Checks what the submission says of itself against `account`,
    /// adding every problem to `v`: the ship-to address it names (none
    /// named: the account's only one), the PO number's length, the number
    /// of lines, and the prices the caller expects, which it returns.
    pub fn check<'a>(
        &self,
        account: &'a Account,
        v: &mut Vec<FieldViolation>,
    ) -> (Option<&'a ShipTo>, Expectation) {
        let ship_to = match (self.ship_to_id.trim(), account.ship_to.as_slice()) {
            ("", [only]) => Some(only),
            ("", _) => {
                v.push(FieldViolation::new(
                    "ship_to_id",
                    "name one of the account's ship-to addresses",
                ));
                None
            }
            (id, all) => {
                let found = all.iter().find(|t| t.id == id);
                if found.is_none() {
                    v.push(FieldViolation::new(
                        "ship_to_id",
                        format!("the account has no ship-to address {id:?}"),
                    ));
                }
                found
            }
        };
        if self.po_number.chars().count() > MAX_PO_CHARS {
            v.push(FieldViolation::new(
                "po_number",
                format!("must be at most {MAX_PO_CHARS} characters"),
            ));
        }
        if self.lines.is_empty() || self.lines.len() > MAX_CART_LINES {
            v.push(FieldViolation::new(
                "lines",
                format!("give 1 to {MAX_CART_LINES} lines"),
            ));
        }
        let mut expected = Expectation::default();
        for (i, line) in self.lines.iter().enumerate() {
            expected.unit_prices.push(optional_decimal(
                &format!("lines[{i}].expected_unit_price"),
                &line.expected_unit_price,
                v,
            ));
        }
        if let Some((want_currency, amount)) = &self.expected_total {
            expected.total = optional_decimal("expected_total.amount", amount, v);
            if expected.total.is_some() && !want_currency.eq_ignore_ascii_case(&account.currency) {
                v.push(FieldViolation::new(
                    "expected_total.currency_code",
                    format!("the account buys in {}", account.currency),
                ));
            }
        }
        (ship_to, expected)
    }

    /// The lines as a cart to price.
    pub fn cart(&self) -> Vec<CartLine> {
        self.lines
            .iter()
            .map(|l| CartLine {
                sku: l.sku.trim().to_string(),
                quantity: l.quantity.clone(),
            })
            .collect()
    }
}

/// The order's lines as priced in `quote`, untaxed: each line's product
/// must still be orderable and its quantity one the product sells in.
/// A SKU the catalog no longer has is NOT_FOUND.
pub fn order_lines(quote: &CartQuote, index: &CatalogIndex) -> Result<Vec<OrderLine>, DomainError> {
    let mut v = Vec::new();
    let mut lines = Vec::with_capacity(quote.lines.len());
    for (i, q) in quote.lines.iter().enumerate() {
        let Some(product) = index.get_sku(&q.sku) else {
            return Err(DomainError::NotFound {
                resource: "product",
                id: q.sku.clone(),
            });
        };
        if !product.orderable() {
            v.push(FieldViolation::new(
                format!("lines[{i}].sku"),
                format!("{} is discontinued", q.sku),
            ));
        }
        for problem in product.quantity_problems(q.quantity) {
            v.push(FieldViolation::new(
                format!("lines[{i}].quantity"),
                problem.describe(),
            ));
        }
        lines.push(OrderLine {
            line_no: u32::try_from(i + 1).unwrap_or(u32::MAX),
            sku: q.sku.clone(),
            product_id: product.id.clone(),
            name: product.name.clone(),
            quantity: q.quantity,
            list_unit_price: q.list_unit_price,
            unit_price: q.unit_price,
            line_total: q.line_total,
            discount_total: q.discount_total,
            promotions: q.promotions.clone(),
            tax_class: product.tax_class,
            tax: Decimal::ZERO,
            duty: Decimal::ZERO,
            shipped: Decimal::ZERO,
        });
    }
    if v.is_empty() {
        Ok(lines)
    } else {
        Err(invalid_order(v))
    }
}

/// What the tax rules are asked about `lines` shipped to `ship_to`.
pub fn tax_request<'a>(
    ship_to: &ShipTo,
    date: time::Date,
    currency: &str,
    exemption: Option<&'a TaxExemption>,
    lines: &[OrderLine],
) -> TaxRequest<'a> {
    let region = ship_to.address.region.trim();
    TaxRequest {
        ship_to_country_code: ship_to.address.country_code.clone(),
        ship_to_region_code: (!region.is_empty()).then(|| region.to_string()),
        date,
        currency: currency.to_string(),
        exemption,
        lines: lines
            .iter()
            .map(|l| TaxLine {
                line_id: l.line_no.to_string(),
                tax_class: l.tax_class,
                net_amount: l.line_total,
            })
            .collect(),
    }
}

/// An order as submitted, from what the use case loaded and the rules
/// made of it.
pub struct NewOrder<'a> {
    pub id: String,
    pub account_id: &'a str,
    pub placed_by: &'a str,
    pub placed_at: Millis,
    pub submission: &'a Submission,
    pub ship_to: &'a ShipTo,
    pub currency: &'a str,
    pub quote: &'a CartQuote,
    /// The order lines the quote priced (see [`order_lines`]).
    pub lines: Vec<OrderLine>,
    pub tax: &'a TaxResult,
    /// The account's contract in force, if any.
    pub contract_id: Option<&'a str>,
}

impl Order {
    /// The order `new` describes, taxed and submitted: each line carries
    /// its tax and duty; the order's tax is VAT and local taxes, its duty
    /// apart, its total the gross; breakdown rows name their rate (duty
    /// rows only their name). Not yet numbered, approved or paid.
    pub fn submitted(new: NewOrder<'_>) -> Order {
        let NewOrder { tax, .. } = new;
        let mut lines = new.lines;
        for (line, taxed) in lines.iter_mut().zip(&tax.lines) {
            line.tax = taxed.tax;
            line.duty = taxed.duty;
        }
        Order {
            id: new.id,
            number: String::new(),
            account_id: new.account_id.to_string(),
            unit_id: None,
            placed_by: new.placed_by.to_string(),
            placed_at: new.placed_at,
            po_number: new.submission.po_number.trim().to_string(),
            ship_to_id: new.ship_to.id.clone(),
            ship_to_country: new.ship_to.address.country_code.clone(),
            currency: new.currency.to_string(),
            subtotal: new.quote.subtotal,
            discount_total: new.quote.discount_total,
            tax_total: tax.total_vat + tax.total_local_tax,
            duty_total: tax.total_duty,
            total: tax.total_gross,
            tax_breakdown: tax
                .breakdown
                .iter()
                .map(|b| TaxRow {
                    name: match b.kind {
                        TaxKind::Duty => b.name.clone(),
                        _ => format!("{} {} %", b.name, b.rate.normalize()),
                    },
                    rate: b.rate,
                    base: b.taxable_base,
                    amount: b.amount,
                })
                .collect(),
            contract_id: new.contract_id.map(str::to_string),
            lines,
            status: OrderStatus::Submitted,
            approval: ApprovalDecision {
                steps: Vec::new(),
                rule: String::new(),
                over_budget: false,
            },
            approvals: Vec::new(),
            credit_warning: None,
            history: vec![StatusChange {
                at: new.placed_at,
                to: OrderStatus::Submitted,
                by: new.placed_by.to_string(),
                note: String::new(),
            }],
            reservations: Vec::new(),
            budget_month: None,
            shipments: Vec::new(),
            returns: Vec::new(),
            invoice_number: None,
            payment: None,
        }
    }
}

/// Refuses a submission for `violations`.
pub fn invalid_order(violations: Vec<FieldViolation>) -> DomainError {
    DomainError::InvalidArgument {
        reason: "INVALID_ORDER",
        violations,
    }
}

fn optional_decimal(field: &str, raw: &str, v: &mut Vec<FieldViolation>) -> Option<Decimal> {
    if raw.trim().is_empty() {
        return None;
    }
    match parse_decimal(field, raw) {
        Ok(d) => Some(d),
        Err(DomainError::InvalidArgument { violations, .. }) => {
            v.extend(violations);
            None
        }
        Err(other) => {
            v.push(FieldViolation::new(field, other.to_string()));
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn line(sku: &str, quantity: &str) -> LineInput {
        LineInput {
            sku: sku.into(),
            quantity: quantity.into(),
            ..Default::default()
        }
    }

    fn draft() -> DraftForOrder {
        DraftForOrder {
            account_id: "acc-1".into(),
            lines: vec![("TP-1".into(), dec!(2.50))],
            ship_to_id: "st-2".into(),
            po_reference: "PO-9".into(),
        }
    }

    #[test]
    fn a_draft_fills_in_only_what_the_caller_left_empty() {
        let mut bare = Submission::default();
        bare.take_draft(draft());
        let lines: Vec<(String, String)> = bare.confirmed_lines();
        assert_eq!(lines, [("TP-1".to_string(), "2.50".to_string())]);
        assert_eq!(
            (bare.ship_to_id.as_str(), bare.po_number.as_str()),
            ("st-2", "PO-9")
        );

        let mut given = Submission {
            lines: vec![line("TP-2", "1")],
            ship_to_id: "st-1".into(),
            po_number: "mine".into(),
            ..Default::default()
        };
        given.take_draft(draft());
        assert_eq!(
            given.confirmed_lines(),
            [("TP-2".to_string(), "1".to_string())]
        );
        assert_eq!(
            (given.ship_to_id.as_str(), given.po_number.as_str()),
            ("st-1", "mine")
        );
    }

    #[test]
    fn a_submission_names_every_field_it_gets_wrong() {
        let mut account = Account::for_tests("acc-1", "");
        account.currency = "EUR".into();
        account.ship_to = vec![
            ShipTo {
                id: "st-1".into(),
                ..Default::default()
            },
            ShipTo {
                id: "st-2".into(),
                ..Default::default()
            },
        ];
        let s = Submission {
            lines: vec![LineInput {
                expected_unit_price: "abc".into(),
                ..line("TP-1", "1")
            }],
            po_number: "P".repeat(MAX_PO_CHARS + 1),
            expected_total: Some(("USD".into(), "10".into())),
            ..Default::default()
        };
        let mut v = Vec::new();
        let (ship_to, expected) = s.check(&account, &mut v);
        assert!(ship_to.is_none());
        assert_eq!(expected.total, Some(dec!(10)));
        let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "ship_to_id",
                "po_number",
                "lines[0].expected_unit_price",
                "expected_total.currency_code"
            ]
        );

        let named = Submission {
            ship_to_id: "st-2".into(),
            lines: vec![line(" TP-1 ", "3")],
            ..Default::default()
        };
        let mut v = Vec::new();
        assert_eq!(named.check(&account, &mut v).0.unwrap().id, "st-2");
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(named.cart()[0].sku, "TP-1");
    }
}
