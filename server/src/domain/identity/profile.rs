//! The profile centre's rules: which fields an update may touch
//! (`update_mask`, AIP-134), who may touch which, and what valid values look
//! like. Finance users keep the invoicing details and billing address;
//! account and brand admins edit everything editable. Legal name, tier,
//! credit limit and payment terms are the brand's decisions and are never
//! edited here.

use std::collections::HashSet;

use super::Role;
use super::records::{Account, Address, Contact, Invoicing, ShipTo};
use crate::domain::{DomainError, FieldViolation};

/// The proposed values, of which the masked fields are taken.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub contacts: Vec<Contact>,
    pub billing_address: Address,
    pub ship_to: Vec<ShipTo>,
    pub invoicing: Invoicing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileField {
    Contacts,
    BillingAddress,
    ShipTo,
    InvoicingTaxId,
    InvoicingTitle,
    InvoicingEAddress,
}

const READ_ONLY: &[&str] = &[
    "account_id",
    "legal_name",
    "tier",
    "credit_limit",
    "payment_terms",
];

/// Parses `update_mask.paths`.
pub fn parse_mask(paths: &[String]) -> Result<Vec<ProfileField>, DomainError> {
    if paths.is_empty() {
        return Err(DomainError::invalid(
            "UPDATE_MASK_REQUIRED",
            "update_mask",
            "name the fields to change",
        ));
    }
    let mut fields = Vec::new();
    let mut violations = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let field = format!("update_mask.paths[{i}]");
        match path.as_str() {
            "contacts" => fields.push(ProfileField::Contacts),
            "billing_address" => fields.push(ProfileField::BillingAddress),
            "ship_to_addresses" => fields.push(ProfileField::ShipTo),
            "invoicing" => fields.extend([
                ProfileField::InvoicingTaxId,
                ProfileField::InvoicingTitle,
                ProfileField::InvoicingEAddress,
            ]),
            "invoicing.tax_id" => fields.push(ProfileField::InvoicingTaxId),
            "invoicing.invoice_title" => fields.push(ProfileField::InvoicingTitle),
            "invoicing.e_invoice_address" => fields.push(ProfileField::InvoicingEAddress),
            p if READ_ONLY.contains(&p) => violations.push(FieldViolation::new(
                field,
                format!("{p} is set by the brand, not editable here"),
            )),
            p => violations.push(FieldViolation::new(
                field,
                format!("{p:?} is not a profile field"),
            )),
        }
    }
    if !violations.is_empty() {
        return Err(DomainError::InvalidArgument {
            reason: "INVALID_UPDATE_MASK",
            violations,
        });
    }
    fields.dedup();
    Ok(fields)
}

fn may_edit(roles: &[Role], field: ProfileField) -> bool {
    roles.iter().any(|r| match r {
        Role::AccountAdmin | Role::BrandAdmin => true,
        Role::Finance => matches!(
            field,
            ProfileField::BillingAddress
                | ProfileField::InvoicingTaxId
                | ProfileField::InvoicingTitle
                | ProfileField::InvoicingEAddress
        ),
        _ => false,
    })
}

fn check_address(prefix: &str, a: &Address, v: &mut Vec<FieldViolation>) {
    if a.line1.trim().is_empty() {
        v.push(FieldViolation::new(
            format!("{prefix}.line1"),
            "is required",
        ));
    }
    if a.city.trim().is_empty() {
        v.push(FieldViolation::new(format!("{prefix}.city"), "is required"));
    }
    let cc = a.country_code.trim();
    if cc.len() != 2 || !cc.chars().all(|c| c.is_ascii_uppercase()) {
        v.push(FieldViolation::new(
            format!("{prefix}.country_code"),
            "must be an ISO 3166-1 alpha-2 code such as \"DE\"",
        ));
    }
}

fn check_email(field: String, email: &str, v: &mut Vec<FieldViolation>) {
    let ok = email
        .split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
    if !ok {
        v.push(FieldViolation::new(field, "is not an email address"));
    }
}

/// The account after applying the masked fields of `patch`, or why not.
pub fn apply(
    account: &Account,
    patch: ProfilePatch,
    fields: &[ProfileField],
    editor: &[Role],
) -> Result<Account, DomainError> {
    if let Some(denied) = fields.iter().find(|f| !may_edit(editor, **f)) {
        return Err(DomainError::PermissionDenied {
            action: format!("edit {denied:?}"),
        });
    }
    let mut v = Vec::new();
    let mut next = account.clone();
    for field in fields {
        match field {
            ProfileField::Contacts => {
                for (i, c) in patch.contacts.iter().enumerate() {
                    if c.name.trim().is_empty() {
                        v.push(FieldViolation::new(
                            format!("profile.contacts[{i}].name"),
                            "is required",
                        ));
                    }
                    check_email(format!("profile.contacts[{i}].email"), &c.email, &mut v);
                }
                next.contacts = patch.contacts.clone();
            }
            ProfileField::BillingAddress => {
                check_address("profile.billing_address", &patch.billing_address, &mut v);
                next.billing_address = patch.billing_address.clone();
            }
            ProfileField::ShipTo => {
                let mut seen = HashSet::new();
                for (i, s) in patch.ship_to.iter().enumerate() {
                    check_address(
                        &format!("profile.ship_to_addresses[{i}].address"),
                        &s.address,
                        &mut v,
                    );
                    if !seen.insert(s.id.as_str()) {
                        v.push(FieldViolation::new(
                            format!("profile.ship_to_addresses[{i}].id"),
                            "appears twice",
                        ));
                    }
                }
                next.ship_to = patch.ship_to.clone();
            }
            ProfileField::InvoicingTaxId => {
                next.invoicing.tax_id = patch.invoicing.tax_id.trim().to_string()
            }
            ProfileField::InvoicingTitle => {
                if patch.invoicing.invoice_title.trim().is_empty() {
                    v.push(FieldViolation::new(
                        "profile.invoicing.invoice_title",
                        "must not be empty",
                    ));
                }
                next.invoicing.invoice_title = patch.invoicing.invoice_title.trim().to_string();
            }
            ProfileField::InvoicingEAddress => {
                let e = patch.invoicing.e_invoice_address.trim();
                if e.len() > 254 {
                    v.push(FieldViolation::new(
                        "profile.invoicing.e_invoice_address",
                        "is longer than 254 characters",
                    ));
                }
                next.invoicing.e_invoice_address = e.to_string();
            }
        }
    }
    if v.is_empty() {
        Ok(next)
    } else {
        Err(DomainError::InvalidArgument {
            reason: "INVALID_PROFILE",
            violations: v,
        })
    }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
