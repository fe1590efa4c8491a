//! The people of an account (or of the brand): inviting them, listing
//! them, their roles, disabling them, and the accounts a sales rep covers.

use tonic::{Request, Response};
use tradeport_proto::identity as pb;

use super::wire::{roles_from_proto, roles_to_proto, ts};
use super::{Reply, caller, origin};
use crate::service::identity::{Identity, Invitee};
use tradeport_domain::identity::records::{User, UserState};

pub(super) fn user_to(u: &User) -> pb::User {
    pb::User {
        id: u.id.clone(),
        account_id: u.account_id.clone().unwrap_or_default(),
        unit_id: u.unit_id.clone().unwrap_or_default(),
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        roles: roles_to_proto(&u.roles),
        state: match u.state {
            UserState::Invited => pb::UserState::Invited,
            UserState::Active => pb::UserState::Active,
            UserState::Disabled => pb::UserState::Disabled,
        } as i32,
    }
}

pub(super) async fn invite(
    identity: &Identity,
    request: Request<pb::CreateInvitationRequest>,
) -> Reply<pb::CreateInvitationResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let r = request.into_inner();
    let roles = roles_from_proto(&r.roles)?;
    let invitee = Invitee {
        account_id: r.account_id,
        unit_id: r.unit_id,
        email: r.email,
        display_name: r.display_name,
        roles,
    };
    let invitation = identity.invite(&caller, invitee, &origin)?;
    Ok(Response::new(pb::CreateInvitationResponse {
        user_id: invitation.user.id,
        invitation_code: invitation.code,
        expire_time: ts(invitation.expires),
    }))
}

pub(super) async fn list(
    identity: &Identity,
    request: Request<pb::ListUsersRequest>,
) -> Reply<pb::ListUsersResponse> {
    let caller = caller(&request)?;
    let r = request.into_inner();
    let (users, next_page_token) =
        identity.users(&caller, &r.account_id, r.page_size, &r.page_token)?;
    Ok(Response::new(pb::ListUsersResponse {
        users: users.iter().map(user_to).collect(),
        next_page_token,
    }))
}

pub(super) async fn set_roles(
    identity: &Identity,
    request: Request<pb::SetUserRolesRequest>,
) -> Reply<pb::SetUserRolesResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let r = request.into_inner();
    let roles = roles_from_proto(&r.roles)?;
    let user = identity.set_roles(&caller, &r.user_id, roles, &origin, &r.request_id)?;
    Ok(Response::new(pb::SetUserRolesResponse {
        user: Some(user_to(&user)),
    }))
}

pub(super) async fn disable(
    identity: &Identity,
    request: Request<pb::DisableUserRequest>,
) -> Reply<pb::DisableUserResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let r = request.into_inner();
    let user = identity.disable_user(&caller, &r.user_id, &origin, &r.request_id)?;
    Ok(Response::new(pb::DisableUserResponse {
        user: Some(user_to(&user)),
    }))
}

pub(super) async fn set_rep_assignments(
    identity: &Identity,
    request: Request<pb::SetRepAssignmentsRequest>,
) -> Reply<pb::SetRepAssignmentsResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let r = request.into_inner();
    let rep = identity.set_rep_assignments(
        &caller,
        &r.user_id,
        r.account_ids,
        r.territories,
        &origin,
        &r.request_id,
    )?;
    Ok(Response::new(pb::SetRepAssignmentsResponse {
        user: Some(user_to(&rep)),
        account_ids: rep.assigned_accounts.clone(),
        territories: rep.territories.clone(),
    }))
}
