//! Applications for an account: applying (open to anyone), and brand
//! staff listing, approving and rejecting them.

use tonic::{Request, Response};
use tradeport_proto::identity as pb;

use super::wire::{IntoStatus, ts};
use super::{Reply, caller, origin};
use crate::api::profile::{address_from, address_to, contact_from, contact_to};
use crate::service::identity::{ApplicationDecision, Identity, NewApplication};
use tradeport_domain::DomainError;
use tradeport_domain::identity::records::{Application, ApplicationState};

fn application_to(a: &Application) -> pb::Application {
    pb::Application {
        id: a.id.clone(),
        legal_name: a.legal_name.clone(),
        tax_id: a.tax_id.clone(),
        contacts: a.contacts.iter().map(contact_to).collect(),
        billing_address: Some(address_to(&a.billing_address)),
        shipping_addresses: a.shipping_addresses.iter().map(address_to).collect(),
        requested_payment_terms: a.requested_payment_terms.clone(),
        admin_email: a.admin_email.clone(),
        admin_name: a.admin_name.clone(),
        state: match a.state {
            ApplicationState::Pending => pb::ApplicationState::Pending,
            ApplicationState::Approved => pb::ApplicationState::Approved,
            ApplicationState::Rejected => pb::ApplicationState::Rejected,
        } as i32,
        rejection_reason: a.rejection_reason.clone(),
        account_id: a.account_id.clone().unwrap_or_default(),
        create_time: ts(a.created),
    }
}

pub(super) async fn apply(
    identity: &Identity,
    request: Request<pb::ApplyForAccountRequest>,
) -> Reply<pb::ApplyForAccountResponse> {
    let origin = origin(&request);
    let r = request.into_inner();
    let request_id = r.request_id;
    let a = r.application.unwrap_or_default();
    let application = identity.apply(
        NewApplication {
            legal_name: a.legal_name,
            tax_id: a.tax_id,
            contacts: a.contacts.into_iter().map(contact_from).collect(),
            billing_address: address_from(a.billing_address),
            shipping_addresses: a
                .shipping_addresses
                .into_iter()
                .map(|s| address_from(Some(s)))
                .collect(),
            requested_payment_terms: a.requested_payment_terms,
            admin_email: a.admin_email,
            admin_name: a.admin_name,
        },
        &origin,
        &request_id,
    )?;
    Ok(Response::new(pb::ApplyForAccountResponse {
        application: Some(application_to(&application)),
    }))
}

pub(super) async fn list(
    identity: &Identity,
    request: Request<pb::ListApplicationsRequest>,
) -> Reply<pb::ListApplicationsResponse> {
    let caller = caller(&request)?;
    let r = request.into_inner();
    let state = match pb::ApplicationState::try_from(r.state) {
        Ok(pb::ApplicationState::Unspecified) => None,
        Ok(pb::ApplicationState::Pending) => Some(ApplicationState::Pending),
        Ok(pb::ApplicationState::Approved) => Some(ApplicationState::Approved),
        Ok(pb::ApplicationState::Rejected) => Some(ApplicationState::Rejected),
        Err(_) => {
            return Err(DomainError::invalid(
                "UNKNOWN_STATE",
                "state",
                "is not an application state",
            )
            .into_status());
        }
    };
    let (applications, next_page_token) =
        identity.applications(&caller, state, r.page_size, &r.page_token)?;
    Ok(Response::new(pb::ListApplicationsResponse {
        applications: applications.iter().map(application_to).collect(),
        next_page_token,
    }))
}

pub(super) async fn approve(
    identity: &Identity,
    request: Request<pb::ApproveApplicationRequest>,
) -> Reply<pb::ApproveApplicationResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let r = request.into_inner();
    let limit = r.credit_limit.unwrap_or_default();
    let (application, invitation) = identity.approve(
        &caller,
        &r.application_id,
        ApplicationDecision {
            tier: r.tier,
            credit_limit: limit.amount,
            currency: limit.currency_code,
            sales_rep_id: r.sales_rep_id,
            territory: r.territory,
        },
        &origin,
    )?;
    Ok(Response::new(pb::ApproveApplicationResponse {
        account_id: application.account_id.clone().unwrap_or_default(),
        application: Some(application_to(&application)),
        invitation_code: invitation.code,
        invitation_expire_time: ts(invitation.expires),
    }))
}

pub(super) async fn reject(
    identity: &Identity,
    request: Request<pb::RejectApplicationRequest>,
) -> Reply<pb::RejectApplicationResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let r = request.into_inner();
    let application = identity.reject(
        &caller,
        &r.application_id,
        &r.reason,
        &origin,
        &r.request_id,
    )?;
    Ok(Response::new(pb::RejectApplicationResponse {
        application: Some(application_to(&application)),
    }))
}
