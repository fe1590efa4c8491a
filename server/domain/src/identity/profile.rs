//! The profile centre's rules: which fields an update may touch
//! (`update_mask`, AIP-134), who may touch which, and what valid values look
//! like. Finance users keep the invoicing details and billing address;
//! account and brand admins edit everything editable. Legal name, tier,
//! credit limit and payment terms are the brand's decisions and are never
//! edited here.

use std::collections::HashSet;

use super::Role;
use super::input::{self, AddressNeeds};
use super::records::{Account, Address, Contact, Invoicing, ShipTo};
use crate::DomainError;
use crate::mask::UpdateMask;
use crate::text::{CODE, EMAIL_MAX_CHARS, LABEL, NAME, Rule, TextCheck};

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

/// The paths of a profile update, as [`parse_mask`] reads them.
const PROFILE_MASK: UpdateMask<'static, ProfileField> = UpdateMask {
    paths: &[
        ("contacts", ProfileField::Contacts),
        ("billing_address", ProfileField::BillingAddress),
        ("ship_to_addresses", ProfileField::ShipTo),
        ("invoicing", ProfileField::InvoicingTaxId),
        ("invoicing", ProfileField::InvoicingTitle),
        ("invoicing", ProfileField::InvoicingEAddress),
        ("invoicing.tax_id", ProfileField::InvoicingTaxId),
        ("invoicing.invoice_title", ProfileField::InvoicingTitle),
        (
            "invoicing.e_invoice_address",
            ProfileField::InvoicingEAddress,
        ),
    ],
    fixed: &[
        "account_id",
        "legal_name",
        "tier",
        "credit_limit",
        "payment_terms",
    ],
    fixed_because: "is set by the brand, not editable here",
    resource: "profile",
};

/// Parses `update_mask.paths`.
pub fn parse_mask(paths: &[String]) -> Result<Vec<ProfileField>, DomainError> {
    let mut fields = PROFILE_MASK.parse(paths)?;
    fields.dedup();
    Ok(fields)
}

/// The account a profile belongs to: only customer accounts have one, so
/// a brand-level request (no account) is refused.
pub fn customer_account(account: Option<Account>) -> Result<Account, DomainError> {
    account.ok_or_else(|| {
        DomainError::invalid(
            "ACCOUNT_REQUIRED",
            "account_id",
            "profiles belong to customer accounts; name one",
        )
    })
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
    let mut check = TextCheck::new();
    let mut next = account.clone();
    for field in fields {
        match field {
            ProfileField::Contacts => {
                next.contacts = input::contacts(&mut check, "profile.contacts", &patch.contacts);
            }
            ProfileField::BillingAddress => {
                next.billing_address = input::address(
                    &mut check,
                    "profile.billing_address",
                    &patch.billing_address,
                    AddressNeeds::Street,
                );
            }
            ProfileField::ShipTo => {
                let mut seen = HashSet::new();
                let mut ship_to = Vec::with_capacity(patch.ship_to.len());
                for (i, s) in patch.ship_to.iter().enumerate() {
                    let prefix = format!("profile.ship_to_addresses[{i}]");
                    if !seen.insert(s.id.as_str()) {
                        check.violation(format!("{prefix}.id"), "appears twice");
                    }
                    ship_to.push(ShipTo {
                        id: s.id.clone(),
                        label: check.text(format!("{prefix}.label"), &s.label, LABEL),
                        address: input::address(
                            &mut check,
                            &format!("{prefix}.address"),
                            &s.address,
                            AddressNeeds::Street,
                        ),
                    });
                }
                next.ship_to = ship_to;
            }
            ProfileField::InvoicingTaxId => {
                next.invoicing.tax_id =
                    check.text("profile.invoicing.tax_id", &patch.invoicing.tax_id, CODE);
            }
            ProfileField::InvoicingTitle => {
                next.invoicing.invoice_title = check.text(
                    "profile.invoicing.invoice_title",
                    &patch.invoicing.invoice_title,
                    NAME.required(),
                );
            }
            ProfileField::InvoicingEAddress => {
                // A Peppol id or an email: either way one line of text.
                next.invoicing.e_invoice_address = check.text(
                    "profile.invoicing.e_invoice_address",
                    &patch.invoicing.e_invoice_address,
                    Rule::line(EMAIL_MAX_CHARS),
                );
            }
        }
    }
    check.finish("INVALID_PROFILE")?;
    Ok(next)
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
