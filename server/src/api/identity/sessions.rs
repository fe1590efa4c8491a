//! A device's session and who is calling: refreshing tokens, signing out,
//! the caller's devices and ending one, and who the caller is.

use tonic::{Request, Response};
use tradeport_proto::identity as pb;

use super::wire::{roles_to_proto, ts};
use super::{Reply, caller, origin};
use crate::service::identity::{Identity, IssuedTokens};
use tradeport_domain::identity::CallerKind;

pub(super) fn tokens_to(t: IssuedTokens) -> Option<pb::SessionTokens> {
    Some(pb::SessionTokens {
        access_token: t.access_token,
        access_expire_time: ts(t.access_expires),
        refresh_token: t.refresh_token,
        refresh_expire_time: ts(t.refresh_expires),
        device_id: t.session_id,
        user_id: t.user_id,
    })
}

pub(super) async fn refresh(
    identity: &Identity,
    request: Request<pb::RefreshSessionRequest>,
) -> Reply<pb::RefreshSessionResponse> {
    let origin = origin(&request);
    let tokens = identity.refresh(&request.into_inner().refresh_token, &origin)?;
    Ok(Response::new(pb::RefreshSessionResponse {
        tokens: tokens_to(tokens),
    }))
}

pub(super) async fn logout(
    identity: &Identity,
    request: Request<pb::LogoutRequest>,
) -> Reply<pb::LogoutResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    identity.logout(&caller, &origin)?;
    Ok(Response::new(pb::LogoutResponse {}))
}

pub(super) async fn devices(
    identity: &Identity,
    request: Request<pb::ListDevicesRequest>,
) -> Reply<pb::ListDevicesResponse> {
    let caller = caller(&request)?;
    let r = request.into_inner();
    let (devices, next_page_token) = identity.devices(&caller, r.page_size, &r.page_token)?;
    Ok(Response::new(pb::ListDevicesResponse {
        devices: devices
            .into_iter()
            .map(|d| pb::Device {
                device_id: d.session.id,
                name: d.session.device_name,
                create_time: ts(d.session.created),
                last_use_time: ts(d.session.last_used),
                current: d.current,
            })
            .collect(),
        next_page_token,
    }))
}

pub(super) async fn revoke_device(
    identity: &Identity,
    request: Request<pb::RevokeDeviceRequest>,
) -> Reply<pb::RevokeDeviceResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    identity.revoke_device(&caller, &request.into_inner().device_id, &origin)?;
    Ok(Response::new(pb::RevokeDeviceResponse {}))
}

pub(super) async fn get_caller(
    identity: &Identity,
    request: Request<pb::GetCallerRequest>,
) -> Reply<pb::GetCallerResponse> {
    let caller = caller(&request)?;
    let display_name = identity.shown_name(&caller)?;
    // One id field for each kind of caller.
    let (user_id, api_key_id) = match caller.kind {
        CallerKind::User => (caller.id.clone(), String::new()),
        CallerKind::ApiKey => (String::new(), caller.id.clone()),
    };
    Ok(Response::new(pb::GetCallerResponse {
        user_id,
        account_id: caller.account_id.clone().unwrap_or_default(),
        roles: roles_to_proto(&caller.roles),
        on_behalf_of_account_id: caller.on_behalf_of.clone().unwrap_or_default(),
        api_key_id,
        display_name,
    }))
}
