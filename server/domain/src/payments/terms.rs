//! Payment terms: when an invoice is due, and what paying early earns.
//!
//! Terms are kept on the account as text ("net 30") and parsed here. The
//! forms understood, case and spacing aside:
//!
//! - `prepayment` (also `prepaid`, `cash in advance`): paid before the goods
//!   leave; the invoice is due on its own date.
//! - `due on receipt` (also `due upon receipt`): due on the invoice date.
//! - `net N` (also `netN`): due N calendar days after the invoice date,
//!   1 ≤ N ≤ 365. Calendar days, so month ends and leap days need no rule
//!   of their own: 31 January net 30 is due on 2 March, or 1 March in a
//!   leap year.
//! - `P/D net N` (also `P/D, net N`): as `net N`, and P % off when paid
//!   within D days of the invoice date (the D-th day included), 0 < P < 100
//!   and 1 ≤ D < N. "2/10 net 30" is 2 % off until the 10th day.
//!
//! Terms are stored in their canonical text ("2/10 net 30") so a record
//! reads the way the brand wrote it.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::DomainError;
use crate::pricing::round_money;

/// The field terms errors name: the account's `payment_terms`.
const FIELD: &str = "payment_terms";

/// Longest net period accepted, in days.
const MAX_NET_DAYS: u16 = 365;

/// A cash discount for paying early: `percent` off when paid within
/// `within_days` of the invoice date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EarlyPayment {
    pub percent: Decimal,
    pub within_days: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PaymentTerms {
    /// Paid before shipping.
    Prepayment,
    /// Due on the invoice date.
    DueOnReceipt,
    /// Due `days` after the invoice date, perhaps with a discount for
    /// paying early.
    Net {
        days: u16,
        early_payment: Option<EarlyPayment>,
    },
}

impl PaymentTerms {
    /// Plain "net `days`" terms, without an early-payment discount.
    pub fn net(days: u16) -> Self {
        Self::Net {
            days,
            early_payment: None,
        }
    }

    /// Parses terms as an account holds them; errors name `payment_terms`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = text.to_ascii_lowercase();
        match text.as_str() {
            "prepayment" | "prepaid" | "cash in advance" => return Ok(Self::Prepayment),
            "due on receipt" | "due upon receipt" => return Ok(Self::DueOnReceipt),
            _ => {}
        }
        let (early, net) = match text.split_once(' ') {
            Some((head, rest)) if head.contains('/') => {
                (Some(head.trim_end_matches(',')), rest.trim_start())
            }
            _ => (None, text.as_str()),
        };
        let days = net
            .strip_prefix("net")
            .map(str::trim_start)
            .and_then(parse_days)
            .ok_or_else(|| not_terms(raw))?;
        if days == 0 || days > MAX_NET_DAYS {
            return Err(invalid(format!(
                "{raw:?}: the net period must be 1 to {MAX_NET_DAYS} days"
            )));
        }
        let early_payment = match early {
            None => None,
            Some(early) => Some(parse_early(raw, early, days)?),
        };
        Ok(Self::Net {
            days,
            early_payment,
        })
    }

    /// The day an invoice dated `invoice_date` is due.
    pub fn due_date(&self, invoice_date: Date) -> Date {
        match self {
            Self::Prepayment | Self::DueOnReceipt => invoice_date,
            Self::Net { days, .. } => add_days(invoice_date, *days),
        }
    }

    /// The last day paying earns the early-payment discount, if the terms
    /// give one.
    pub fn discount_deadline(&self, invoice_date: Date) -> Option<Date> {
        match self {
            Self::Net {
                early_payment: Some(early),
                ..
            } => Some(add_days(invoice_date, early.within_days)),
            _ => None,
        }
    }

    /// What may be taken off `amount` (an invoice's gross total) when it is
    /// paid on `paid_on`: the discount percent of it, rounded to
    /// `currency`'s minor unit, if paid by the discount deadline (that day
    /// included; paying before the invoice date counts as early too); zero
    /// otherwise, for terms without a discount, and for amounts that are
    /// not positive.
    pub fn early_payment_discount(
        &self,
        amount: Decimal,
        paid_on: Date,
        invoice_date: Date,
        currency: &str,
    ) -> Decimal {
        let Self::Net {
            early_payment: Some(early),
            ..
        } = self
        else {
            return Decimal::ZERO;
        };
        if amount <= Decimal::ZERO || paid_on > add_days(invoice_date, early.within_days) {
            return Decimal::ZERO;
        }
        round_money(amount * early.percent / Decimal::ONE_HUNDRED, currency)
    }

    /// Whether the goods may leave before they are paid for.
    pub fn gives_credit(&self) -> bool {
        !matches!(self, Self::Prepayment)
    }
}

impl fmt::Display for PaymentTerms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prepayment => f.write_str("prepayment"),
            Self::DueOnReceipt => f.write_str("due on receipt"),
            Self::Net {
                days,
                early_payment: None,
            } => write!(f, "net {days}"),
            Self::Net {
                days,
                early_payment: Some(early),
            } => write!(
                f,
                "{}/{} net {days}",
                early.percent.normalize(),
                early.within_days
            ),
        }
    }
}

impl FromStr for PaymentTerms {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PaymentTerms {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PaymentTerms> for String {
    fn from(terms: PaymentTerms) -> Self {
        terms.to_string()
    }
}

fn add_days(date: Date, days: u16) -> Date {
    date.saturating_add(Duration::days(i64::from(days)))
}

fn parse_days(digits: &str) -> Option<u16> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// "2/10" against a net period of `net_days`.
fn parse_early(raw: &str, early: &str, net_days: u16) -> Result<EarlyPayment, DomainError> {
    let (percent, within) = early.split_once('/').ok_or_else(|| not_terms(raw))?;
    let plain = !percent.is_empty()
        && percent.chars().all(|c| c.is_ascii_digit() || c == '.')
        && percent.matches('.').count() <= 1
        && percent.chars().any(|c| c.is_ascii_digit());
    let percent = plain
        .then(|| Decimal::from_str(percent).ok())
        .flatten()
        .ok_or_else(|| not_terms(raw))?;
    let within_days = parse_days(within).ok_or_else(|| not_terms(raw))?;
    if percent <= Decimal::ZERO || percent >= Decimal::ONE_HUNDRED {
        return Err(invalid(format!(
            "{raw:?}: the early-payment discount must be more than 0 % and less than 100 %"
        )));
    }
    if within_days == 0 || within_days >= net_days {
        return Err(invalid(format!(
            "{raw:?}: the discount period must be at least a day and shorter than the net period"
        )));
    }
    Ok(EarlyPayment {
        percent,
        within_days,
    })
}

fn not_terms(raw: &str) -> DomainError {
    invalid(format!(
        "{raw:?} is not payment terms like \"net 30\", \"2/10 net 30\", \"prepayment\" or \"due on receipt\""
    ))
}

fn invalid(description: String) -> DomainError {
    DomainError::invalid("INVALID_PAYMENT_TERMS", FIELD, description)
}

#[cfg(test)]
#[path = "terms_tests.rs"]
mod tests;
