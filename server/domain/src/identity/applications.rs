//! Applications for an account and their review: what a submitted
//! application becomes, the order brand staff review them in, what an
//! approval must decide (tier, credit limit and its currency, territory,
//! the sales rep) and the account an approved application opens. Only a
//! pending application is decided, once.

use rust_decimal::Decimal;

use super::input;
use super::people::is_brand_sales_rep;
use super::records::{
    Account, Address, Application, ApplicationState, Contact, Invoicing, Millis, ShipTo, User,
};
use crate::decimal::parse_decimal;
use crate::text::TextCheck;
use crate::{DomainError, FieldViolation};

/// A company's application, as submitted.
#[derive(Debug, Clone, Default)]
pub struct NewApplication {
    pub legal_name: String,
    pub tax_id: String,
    pub contacts: Vec<Contact>,
    pub billing_address: Address,
    pub shipping_addresses: Vec<Address>,
    pub requested_payment_terms: String,
    pub admin_email: String,
    pub admin_name: String,
}

/// What brand staff decide when approving, as the request says it.
#[derive(Debug, Clone, Default)]
pub struct ApplicationDecision {
    pub tier: String,
    pub credit_limit: String,
    pub currency: String,
    pub sales_rep_id: String,
    pub territory: String,
}

/// An approval's decision, checked: what the new account opens with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalTerms {
    pub tier: String,
    pub credit_limit: Decimal,
    /// An ISO 4217 code, upper case.
    pub currency: String,
    pub territory: String,
}

/// `new` as a pending application with this id, its text checked and
/// trimmed.
pub fn submitted(new: NewApplication, id: String, now: Millis) -> Result<Application, DomainError> {
    input::application(&Application {
        id,
        legal_name: new.legal_name,
        tax_id: new.tax_id,
        contacts: new.contacts,
        billing_address: new.billing_address,
        shipping_addresses: new.shipping_addresses,
        requested_payment_terms: new.requested_payment_terms,
        admin_email: new.admin_email,
        admin_name: new.admin_name,
        state: ApplicationState::Pending,
        rejection_reason: String::new(),
        account_id: None,
        created: now,
    })
}

/// The applications in `state` (every one for `None`) in the order they
/// are reviewed: pending first, then newest first.
pub fn for_review(
    applications: impl IntoIterator<Item = Application>,
    state: Option<ApplicationState>,
) -> Vec<Application> {
    let mut listed: Vec<Application> = applications
        .into_iter()
        .filter(|a| state.is_none_or(|s| a.state == s))
        .collect();
    listed.sort_by_key(|a| {
        (
            a.state != ApplicationState::Pending,
            std::cmp::Reverse(a.created),
        )
    });
    listed
}

/// Refuses to decide an application that was already decided.
pub fn ensure_pending(application: &Application) -> Result<(), DomainError> {
    if application.state == ApplicationState::Pending {
        return Ok(());
    }
    Err(DomainError::precondition(
        "APPLICATION_DECIDED",
        format!("the application is already {:?}", application.state).to_lowercase(),
    ))
}

/// Checks an approval: a tier, an optional territory, a credit limit that
/// is a decimal and not negative, an ISO 4217 currency, and — when the
/// decision names one — a sales rep of the brand. `rep` is the user
/// `decision.sales_rep_id` names, if there is one. Every violation is
/// reported at once.
pub fn approval_terms(
    decision: &ApplicationDecision,
    rep: Option<&User>,
) -> Result<ApprovalTerms, DomainError> {
    let mut text = TextCheck::new();
    let tier = input::code(&mut text, "tier", &decision.tier, true);
    let territory = input::code(&mut text, "territory", &decision.territory, false);
    let mut v = text.into_violations();
    let credit_limit = match parse_decimal("credit_limit.amount", &decision.credit_limit) {
        Ok(d) if d < Decimal::ZERO => {
            v.push(FieldViolation::new(
                "credit_limit.amount",
                "must not be negative",
            ));
            Decimal::ZERO
        }
        Ok(d) => d,
        Err(DomainError::InvalidArgument { violations, .. }) => {
            v.extend(violations);
            Decimal::ZERO
        }
        Err(e) => return Err(e),
    };
    let currency = decision.currency.trim().to_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        v.push(FieldViolation::new(
            "credit_limit.currency_code",
            "must be an ISO 4217 code",
        ));
    }
    if !decision.sales_rep_id.is_empty() && !rep.is_some_and(is_brand_sales_rep) {
        v.push(FieldViolation::new("sales_rep_id", "is not a sales rep"));
    }
    if !v.is_empty() {
        return Err(DomainError::InvalidArgument {
            reason: "INVALID_APPROVAL",
            violations: v,
        });
    }
    Ok(ApprovalTerms {
        tier,
        credit_limit,
        currency,
        territory,
    })
}

/// The account an approved application opens, under `account_id`: the
/// company's details as applied, the terms as approved, one delivery
/// address per shipping address (labelled by its city, under the matching
/// one of `ship_to_ids`), and invoices to the legal name.
pub fn opened_account(
    application: &Application,
    terms: ApprovalTerms,
    account_id: String,
    ship_to_ids: Vec<String>,
    now: Millis,
) -> Account {
    Account {
        id: account_id,
        legal_name: application.legal_name.clone(),
        tax_id: application.tax_id.clone(),
        tier: terms.tier,
        credit_limit: terms.credit_limit,
        currency: terms.currency,
        payment_terms: application.requested_payment_terms.clone(),
        territory: terms.territory,
        contacts: application.contacts.clone(),
        billing_address: application.billing_address.clone(),
        ship_to: application
            .shipping_addresses
            .iter()
            .zip(ship_to_ids)
            .map(|(address, id)| ShipTo {
                id,
                label: address.city.clone(),
                address: address.clone(),
            })
            .collect(),
        invoicing: Invoicing {
            tax_id: application.tax_id.clone(),
            invoice_title: application.legal_name.clone(),
            e_invoice_address: String::new(),
        },
        created: now,
    }
}

/// `application`, approved into `account_id`.
pub fn approved(application: &Application, account_id: &str) -> Application {
    Application {
        state: ApplicationState::Approved,
        account_id: Some(account_id.to_string()),
        ..application.clone()
    }
}

/// `application`, rejected for `reason` (checked by
/// [`input::reason`](super::input::reason)).
pub fn rejected(application: &Application, reason: &str) -> Application {
    Application {
        state: ApplicationState::Rejected,
        rejection_reason: reason.to_string(),
        ..application.clone()
    }
}

#[cfg(test)]
#[path = "applications_tests.rs"]
mod tests;
