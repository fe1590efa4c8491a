//! The account profile's RPCs (part of IdentityService) and its wire
//! forms, which applications share: company details, contacts, addresses
//! and invoicing details.

use tonic::{Request, Response};
use tradeport_proto::common::Money;
use tradeport_proto::identity as pb;

use super::identity::{Reply, caller};
use crate::auth::origin_of;
use crate::service::identity::Identity;
use tradeport_domain::identity::profile::ProfilePatch;
use tradeport_domain::identity::records::{Account, Address, Contact, Invoicing, ShipTo};

pub fn address_from(a: Option<pb::Address>) -> Address {
    let a = a.unwrap_or_default();
    Address {
        line1: a.line1,
        line2: a.line2,
        city: a.city,
        postal_code: a.postal_code,
        region: a.region,
        country_code: a.country_code,
    }
}

pub fn address_to(a: &Address) -> pb::Address {
    pb::Address {
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        city: a.city.clone(),
        postal_code: a.postal_code.clone(),
        region: a.region.clone(),
        country_code: a.country_code.clone(),
    }
}

pub fn contact_from(c: pb::Contact) -> Contact {
    Contact {
        name: c.name,
        email: c.email,
        phone: c.phone,
        function: c.function,
    }
}

pub fn contact_to(c: &Contact) -> pb::Contact {
    pb::Contact {
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        function: c.function.clone(),
    }
}

pub fn profile_to(a: &Account) -> pb::AccountProfile {
    pb::AccountProfile {
        account_id: a.id.clone(),
        legal_name: a.legal_name.clone(),
        contacts: a.contacts.iter().map(contact_to).collect(),
        billing_address: Some(address_to(&a.billing_address)),
        ship_to_addresses: a
            .ship_to
            .iter()
            .map(|s| pb::ShipToAddress {
                id: s.id.clone(),
                label: s.label.clone(),
                address: Some(address_to(&s.address)),
            })
            .collect(),
        invoicing: Some(pb::InvoicingDetails {
            tax_id: a.invoicing.tax_id.clone(),
            invoice_title: a.invoicing.invoice_title.clone(),
            e_invoice_address: a.invoicing.e_invoice_address.clone(),
        }),
        tier: a.tier.clone(),
        credit_limit: Some(Money {
            currency_code: a.currency.clone(),
            amount: a.credit_limit.to_string(),
        }),
        payment_terms: a.payment_terms.clone(),
    }
}

pub fn patch_from(p: pb::AccountProfile) -> ProfilePatch {
    let invoicing = p.invoicing.unwrap_or_default();
    ProfilePatch {
        contacts: p.contacts.into_iter().map(contact_from).collect(),
        billing_address: address_from(p.billing_address),
        ship_to: p
            .ship_to_addresses
            .into_iter()
            .map(|s| ShipTo {
                id: s.id,
                label: s.label,
                address: address_from(s.address),
            })
            .collect(),
        invoicing: Invoicing {
            tax_id: invoicing.tax_id,
            invoice_title: invoicing.invoice_title,
            e_invoice_address: invoicing.e_invoice_address,
        },
    }
}

pub(super) async fn get(
    identity: &Identity,
    request: Request<pb::GetAccountProfileRequest>,
) -> Reply<pb::GetAccountProfileResponse> {
    let caller = caller(&request)?;
    let account = identity.profile(&caller, &request.into_inner().account_id)?;
    Ok(Response::new(pb::GetAccountProfileResponse {
        profile: Some(profile_to(&account)),
    }))
}

pub(super) async fn update(
    identity: &Identity,
    request: Request<pb::UpdateAccountProfileRequest>,
) -> Reply<pb::UpdateAccountProfileResponse> {
    let caller = caller(&request)?;
    let origin = origin_of(request.extensions());
    let r = request.into_inner();
    let profile = r.profile.unwrap_or_default();
    let account_id = profile.account_id.clone();
    let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
    let account =
        identity.update_profile(&caller, &account_id, patch_from(profile), &paths, &origin)?;
    Ok(Response::new(pb::UpdateAccountProfileResponse {
        profile: Some(profile_to(&account)),
    }))
}
