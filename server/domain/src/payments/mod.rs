//! Payments: how an account may pay, what a buyer chose for an order, and
//! the record kept of it. Pure rules; the card gateway itself is the
//! server's (`adapters::payments::PaymentGateway`).
//!
//! The methods:
//!
//! - **On account**: invoiced, and due by the account's [`PaymentTerms`]
//!   ("net 30", "2/10 net 30"). The due date runs from the invoice date,
//!   so it is set when the order is invoiced ([`Payment::invoiced`]).
//! - **Bank transfer**: the buyer transfers the order's total against a
//!   pro-forma invoice, quoting its [`proforma_reference`] (derived from the
//!   order number, with check digits) so the money is matched to the order.
//! - **Card**: a tokenised card (the token comes from the gateway's own
//!   client-side form; card numbers never reach Tradeport) is authorised
//!   for the order's total at submission and captured as the goods ship —
//!   see [`card`].
//! - **Digital currency**: paid outside Tradeport (a stablecoin transfer, a
//!   crypto payment processor) and recorded with the network or currency
//!   and its external reference (a transaction hash, the processor's
//!   payment id).
//!
//! An account's allowed methods and terms are an [`AccountPayment`]; by
//! default on account (when the terms give credit) and bank transfer.
//! [`choose`] checks a [`PaymentRequest`] against them and names each bad
//! field (`payment.method`, `payment.card_token`, …).

pub mod card;
mod reference;
pub mod terms;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::{DomainError, FieldViolation};
pub use card::{CardPayment, CardState, ShippedShare, capture_for_shipment, shipped_share};
pub use reference::{PROFORMA_PREFIX, is_valid_proforma_reference, proforma_reference};
pub use terms::{EarlyPayment, PaymentTerms};

/// Longest digital-currency external reference, in characters.
pub const MAX_EXTERNAL_REFERENCE: usize = 128;
/// Longest digital-currency network or currency name, in characters.
pub const MAX_NETWORK: usize = 64;
/// Longest card token, in characters.
pub const MAX_CARD_TOKEN: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaymentMethodKind {
    OnAccount,
    BankTransfer,
    Card,
    DigitalCurrency,
}

impl PaymentMethodKind {
    pub const ALL: [Self; 4] = [
        Self::OnAccount,
        Self::BankTransfer,
        Self::Card,
        Self::DigitalCurrency,
    ];

    /// The stable name on the wire and in errors: "on_account",
    /// "bank_transfer", "card", "digital_currency".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OnAccount => "on_account",
            Self::BankTransfer => "bank_transfer",
            Self::Card => "card",
            Self::DigitalCurrency => "digital_currency",
        }
    }

    /// Parses a stable name (case and surrounding spaces forgiven), naming
    /// `field` on failure.
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| {
                DomainError::invalid(
                    "INVALID_PAYMENT",
                    field,
                    format!(
                        "{raw:?} is not a payment method; use one of {}",
                        names(&Self::ALL)
                    ),
                )
            })
    }
}

/// How an account may pay: the methods its buyers may choose (the first is
/// the default) and the terms it is invoiced on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPayment {
    pub methods: Vec<PaymentMethodKind>,
    pub terms: PaymentTerms,
}

impl AccountPayment {
    /// The default for an account on `payment_terms` (the account's terms
    /// text): on account, then bank transfer — or bank transfer alone on
    /// prepayment terms, which give no credit. Errors name `payment_terms`.
    pub fn default_for(payment_terms: &str) -> Result<Self, DomainError> {
        let terms = PaymentTerms::parse(payment_terms)?;
        let methods = if terms.gives_credit() {
            vec![
                PaymentMethodKind::OnAccount,
                PaymentMethodKind::BankTransfer,
            ]
        } else {
            vec![PaymentMethodKind::BankTransfer]
        };
        Ok(Self { methods, terms })
    }

    /// Methods as the brand sets them: at least one, none twice, and on
    /// account only on terms that give credit. Errors name
    /// `payment_methods`.
    pub fn new(methods: Vec<PaymentMethodKind>, terms: PaymentTerms) -> Result<Self, DomainError> {
        let mut v = Vec::new();
        if methods.is_empty() {
            v.push(FieldViolation::new(
                "payment_methods",
                "allow at least one payment method",
            ));
        }
        for (i, kind) in methods.iter().enumerate() {
            if methods[..i].contains(kind) {
                v.push(FieldViolation::new(
                    format!("payment_methods[{i}]"),
                    format!("{} appears twice", kind.as_str()),
                ));
            } else if *kind == PaymentMethodKind::OnAccount && !terms.gives_credit() {
                v.push(FieldViolation::new(
                    format!("payment_methods[{i}]"),
                    format!("on account needs terms that give credit, not {terms}"),
                ));
            }
        }
        if v.is_empty() {
            Ok(Self { methods, terms })
        } else {
            Err(DomainError::InvalidArgument {
                reason: "INVALID_PAYMENT_METHODS",
                violations: v,
            })
        }
    }

    pub fn allows(&self, kind: PaymentMethodKind) -> bool {
        self.methods.contains(&kind)
    }

    /// The method used when a request names none.
    pub fn default_method(&self) -> Option<PaymentMethodKind> {
        self.methods.first().copied()
    }
}

/// How a buyer asks to pay for an order, as the request carries it. Empty
/// strings are "not given", as on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentRequest {
    /// None: the account's default method.
    pub method: Option<PaymentMethodKind>,
    /// Card: the gateway's token for the card ("tok_…").
    pub card_token: String,
    /// Digital currency: the network or currency paid in ("USDC on
    /// Ethereum", "BTC").
    pub network: String,
    /// Digital currency: the transaction hash or processor payment id.
    pub external_reference: String,
}

/// A request that passed [`choose`]: the method and its checked fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    OnAccount {
        terms: PaymentTerms,
    },
    BankTransfer,
    Card {
        card_token: String,
    },
    DigitalCurrency {
        network: String,
        external_reference: String,
    },
}

impl Chosen {
    pub fn method(&self) -> PaymentMethodKind {
        match self {
            Self::OnAccount { .. } => PaymentMethodKind::OnAccount,
            Self::BankTransfer => PaymentMethodKind::BankTransfer,
            Self::Card { .. } => PaymentMethodKind::Card,
            Self::DigitalCurrency { .. } => PaymentMethodKind::DigitalCurrency,
        }
    }

    /// The payment record of the order numbered `order_number` for
    /// `amount` in `currency`. A card is authorised by `authorize`, given
    /// the card token; it is called for card payments only, and its error
    /// (a decline, the gateway down) is passed back as it is.
    pub fn record<E>(
        self,
        order_number: &str,
        amount: Decimal,
        currency: &str,
        authorize: impl FnOnce(&str) -> Result<CardPayment, E>,
    ) -> Result<Payment, E> {
        Ok(match self {
            Self::OnAccount { terms } => Payment::OnAccount {
                terms,
                due_date: None,
            },
            Self::BankTransfer => Payment::BankTransfer {
                reference: proforma_reference(order_number),
                amount_due: amount,
                currency: currency.to_string(),
            },
            Self::Card { card_token } => Payment::Card(authorize(&card_token)?),
            Self::DigitalCurrency {
                network,
                external_reference,
            } => Payment::DigitalCurrency {
                network,
                external_reference,
            },
        })
    }
}

/// How an order is paid, kept on the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payment {
    OnAccount {
        terms: PaymentTerms,
        /// Set when the order is invoiced: the terms run from the invoice
        /// date.
        due_date: Option<Date>,
    },
    BankTransfer {
        /// The pro-forma reference the transfer must quote.
        reference: String,
        amount_due: Decimal,
        currency: String,
    },
    Card(CardPayment),
    DigitalCurrency {
        network: String,
        external_reference: String,
    },
}

impl Payment {
    pub fn method(&self) -> PaymentMethodKind {
        match self {
            Self::OnAccount { .. } => PaymentMethodKind::OnAccount,
            Self::BankTransfer { .. } => PaymentMethodKind::BankTransfer,
            Self::Card(_) => PaymentMethodKind::Card,
            Self::DigitalCurrency { .. } => PaymentMethodKind::DigitalCurrency,
        }
    }

    /// Records the invoice date: an on-account payment becomes due by its
    /// terms. Other methods are paid already or against the pro-forma.
    pub fn invoiced(&mut self, invoice_date: Date) {
        if let Self::OnAccount { terms, due_date } = self {
            *due_date = Some(terms.due_date(invoice_date));
        }
    }

    /// The card payment, if the order is paid by card.
    pub fn card(&self) -> Option<&CardPayment> {
        match self {
            Self::Card(card) => Some(card),
            _ => None,
        }
    }

    pub fn card_mut(&mut self) -> Option<&mut CardPayment> {
        match self {
            Self::Card(card) => Some(card),
            _ => None,
        }
    }
}

/// Checks `request` against what `account` allows: the method (or the
/// account's default) must be allowed — `PAYMENT_METHOD_NOT_ALLOWED` on
/// `payment.method` — and the method's fields well formed, and no other
/// method's given — `INVALID_PAYMENT` naming each field.
pub fn choose(account: &AccountPayment, request: &PaymentRequest) -> Result<Chosen, DomainError> {
    let method = match request.method.or_else(|| account.default_method()) {
        Some(method) if account.allows(method) => method,
        Some(method) => {
            return Err(DomainError::invalid(
                "PAYMENT_METHOD_NOT_ALLOWED",
                "payment.method",
                format!(
                    "the account may not pay by {}; it may pay by {}",
                    method.as_str(),
                    names(&account.methods)
                ),
            ));
        }
        None => {
            return Err(DomainError::invalid(
                "PAYMENT_METHOD_NOT_ALLOWED",
                "payment.method",
                "the account has no payment method; the brand sets them",
            ));
        }
    };
    let mut v = Vec::new();
    let card_token = request.card_token.trim();
    let network = request.network.trim();
    let external_reference = request.external_reference.trim();
    if method == PaymentMethodKind::Card {
        check_text(
            &mut v,
            "payment.card_token",
            card_token,
            MAX_CARD_TOKEN,
            false,
        );
    } else if !card_token.is_empty() {
        v.push(only_for("payment.card_token", PaymentMethodKind::Card));
    }
    if method == PaymentMethodKind::DigitalCurrency {
        check_text(&mut v, "payment.network", network, MAX_NETWORK, true);
        check_text(
            &mut v,
            "payment.external_reference",
            external_reference,
            MAX_EXTERNAL_REFERENCE,
            true,
        );
    } else {
        for (field, value) in [
            ("payment.network", network),
            ("payment.external_reference", external_reference),
        ] {
            if !value.is_empty() {
                v.push(only_for(field, PaymentMethodKind::DigitalCurrency));
            }
        }
    }
    if !v.is_empty() {
        return Err(DomainError::InvalidArgument {
            reason: "INVALID_PAYMENT",
            violations: v,
        });
    }
    Ok(match method {
        PaymentMethodKind::OnAccount => Chosen::OnAccount {
            terms: account.terms,
        },
        PaymentMethodKind::BankTransfer => Chosen::BankTransfer,
        PaymentMethodKind::Card => Chosen::Card {
            card_token: card_token.to_string(),
        },
        PaymentMethodKind::DigitalCurrency => Chosen::DigitalCurrency {
            network: network.to_string(),
            external_reference: external_reference.to_string(),
        },
    })
}

/// The error for a card the gateway declined, on `payment.card_token`, so
/// the buyer is asked for another card. `code` is the gateway's decline
/// code ("card_declined", "insufficient_funds").
pub fn card_declined(code: &str, message: &str) -> DomainError {
    DomainError::PreconditionFailed {
        reason: "CARD_DECLINED",
        violations: vec![FieldViolation::new(
            "payment.card_token",
            format!("the card was declined ({code}): {message}"),
        )],
    }
}

/// Requires `value` (already trimmed) to be given, at most `max`
/// characters, all printable ASCII — spaces inside allowed only if
/// `spaces`.
fn check_text(v: &mut Vec<FieldViolation>, field: &str, value: &str, max: usize, spaces: bool) {
    if value.is_empty() {
        v.push(FieldViolation::new(field, "required"));
    } else if value.chars().count() > max {
        v.push(FieldViolation::new(
            field,
            format!("at most {max} characters"),
        ));
    } else if !value
        .chars()
        .all(|c| c.is_ascii_graphic() || (spaces && c == ' '))
    {
        v.push(FieldViolation::new(
            field,
            if spaces {
                "printable characters only"
            } else {
                "printable characters only, no spaces"
            },
        ));
    }
}

fn only_for(field: &str, method: PaymentMethodKind) -> FieldViolation {
    FieldViolation::new(field, format!("only for {} payments", method.as_str()))
}

fn names(kinds: &[PaymentMethodKind]) -> String {
    if kinds.is_empty() {
        return "none".to_string();
    }
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[path = "payments_tests.rs"]
mod tests;
