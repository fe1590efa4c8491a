//! Which rule of `domain::text` each human-readable field of the identity
//! records is held to — applications, contacts, addresses, invitations,
//! units, territories, device, passkey and API key names, rejection
//! reasons — so that no such field reaches the store or the audit trail
//! unchecked. Checking returns the trimmed values; it never stores, and a
//! violation never repeats the value.

use super::records::{Address, Application, Contact};
use crate::DomainError;
use crate::text::{self, ADDRESS_LINE, CODE, FUNCTION, LABEL, NAME, NOTE, PHONE, Rule, TextCheck};

/// How strict an address is: a delivery or billing address in the profile
/// needs a street and a city; an application may leave them to later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressNeeds {
    Country,
    Street,
}

/// Checks an address's fields, named `<prefix>.<field>`.
pub fn address(check: &mut TextCheck, prefix: &str, a: &Address, needs: AddressNeeds) -> Address {
    let street = |rule: Rule| match needs {
        AddressNeeds::Street => rule.required(),
        AddressNeeds::Country => rule,
    };
    let line1 = check.text(format!("{prefix}.line1"), &a.line1, street(ADDRESS_LINE));
    let line2 = check.text(format!("{prefix}.line2"), &a.line2, ADDRESS_LINE);
    let city = check.text(format!("{prefix}.city"), &a.city, street(ADDRESS_LINE));
    let postal_code = check.text(format!("{prefix}.postal_code"), &a.postal_code, CODE);
    let region = check.text(format!("{prefix}.region"), &a.region, CODE);
    let field = format!("{prefix}.country_code");
    let country_code = match text::check(&a.country_code, CODE.required()) {
        Err(description) => {
            check.violation(field, description);
            a.country_code.clone()
        }
        Ok(cc) if cc.len() == 2 && cc.chars().all(|c| c.is_ascii_uppercase()) => cc,
        Ok(_) => {
            check.violation(field, "must be an ISO 3166-1 alpha-2 code such as \"DE\"");
            a.country_code.clone()
        }
    };
    Address {
        line1,
        line2,
        city,
        postal_code,
        region,
        country_code,
    }
}

/// Checks a list of contacts, each named `<prefix>[i].<field>`.
pub fn contacts(check: &mut TextCheck, prefix: &str, contacts: &[Contact]) -> Vec<Contact> {
    contacts
        .iter()
        .enumerate()
        .map(|(i, c)| Contact {
            name: check.text(format!("{prefix}[{i}].name"), &c.name, NAME.required()),
            email: check.email(format!("{prefix}[{i}].email"), &c.email, true),
            phone: check.text(format!("{prefix}[{i}].phone"), &c.phone, PHONE),
            function: check.text(format!("{prefix}[{i}].function"), &c.function, FUNCTION),
        })
        .collect()
}

/// Checks a submitted application's text and returns it trimmed; its
/// fields are named `application.<field>`.
pub fn application(a: &Application) -> Result<Application, DomainError> {
    let mut check = TextCheck::new();
    let checked = Application {
        legal_name: check.text("application.legal_name", &a.legal_name, NAME.required()),
        tax_id: check.text("application.tax_id", &a.tax_id, CODE.required()),
        contacts: contacts(&mut check, "application.contacts", &a.contacts),
        billing_address: address(
            &mut check,
            "application.billing_address",
            &a.billing_address,
            AddressNeeds::Country,
        ),
        shipping_addresses: a
            .shipping_addresses
            .iter()
            .enumerate()
            .map(|(i, s)| {
                address(
                    &mut check,
                    &format!("application.shipping_addresses[{i}]"),
                    s,
                    AddressNeeds::Country,
                )
            })
            .collect(),
        requested_payment_terms: check.text(
            "application.requested_payment_terms",
            &a.requested_payment_terms,
            FUNCTION,
        ),
        admin_email: check.email("application.admin_email", &a.admin_email, true),
        admin_name: check.text("application.admin_name", &a.admin_name, NAME.required()),
        ..a.clone()
    };
    check.finish("INVALID_APPLICATION")?;
    Ok(checked)
}

/// A person being invited: their email and the name shown for them.
pub fn invitee(email: &str, display_name: &str) -> Result<(String, String), DomainError> {
    let mut check = TextCheck::new();
    let email = check.email("email", email, true);
    let name = check.text("display_name", display_name, NAME.required());
    check.finish("INVALID_INVITATION")?;
    Ok((email, name))
}

/// A name someone gives a thing — a device, a passkey, an API key, a unit
/// — in the request field `field`.
pub fn label(field: &str, value: &str, required: bool) -> Result<String, DomainError> {
    let rule = if required { LABEL.required() } else { LABEL };
    text::check(value, rule).map_err(|description| {
        let reason = if value.trim().is_empty() {
            "NAME_REQUIRED"
        } else {
            "INVALID_NAME"
        };
        DomainError::invalid(reason, field, description)
    })
}

/// A short code a person types (a tier, a territory), in `field`.
pub fn code(
    check: &mut TextCheck,
    field: impl Into<String>,
    value: &str,
    required: bool,
) -> String {
    check.text(field, value, if required { CODE.required() } else { CODE })
}

/// Why an application is rejected: several lines are fine.
pub fn reason(value: &str) -> Result<String, DomainError> {
    text::check(value, NOTE.required()).map_err(|description| {
        let reason = if value.trim().is_empty() {
            "REASON_REQUIRED"
        } else {
            "INVALID_REASON"
        };
        DomainError::invalid(reason, "reason", description)
    })
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
