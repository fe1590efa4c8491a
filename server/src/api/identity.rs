//! IdentityService: wire ⇄ identity use cases. Every rule lives in
//! `domain::identity`, every load-and-commit in `crate::service::identity`.

use std::sync::Arc;

use prost_types::Timestamp;
use tonic::{Request, Response, Status};
use tradeport_proto::identity::{self as pb, identity_service_server::IdentityService};

use super::profile::{address_from, address_to, contact_from, contact_to, patch_from, profile_to};
use crate::auth::origin_of;
use crate::service::identity::{
    ApplicationDecision, Identity, Invitee, IssuedTokens, NewApplication, Origin, PasskeyInfo,
};
use tradeport_domain::DomainError;
use tradeport_domain::identity::audit::{AuditEvent, AuditFilter};
use tradeport_domain::identity::records::{
    self as rec, ApiKeyRecord, Application, ApplicationState, Millis, User, UserState,
};
use tradeport_domain::identity::{Caller, CallerKind, Principal, Role};

pub struct IdentityApi {
    identity: Arc<Identity>,
}

impl IdentityApi {
    pub fn new(identity: Arc<Identity>) -> Self {
        Self { identity }
    }
}

/// The authenticated caller of a request the auth layer let through.
pub fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    match request.extensions().get::<Principal>() {
        Some(Principal::Caller(caller)) => Ok(caller.clone()),
        _ => {
            Err(DomainError::unauthenticated("CREDENTIALS_REQUIRED", "sign in first").into_status())
        }
    }
}

trait IntoStatus {
    fn into_status(self) -> Status;
}

impl IntoStatus for DomainError {
    fn into_status(self) -> Status {
        super::errors::Failure::from(self).into()
    }
}

fn origin<T>(request: &Request<T>) -> Origin {
    origin_of(request.extensions())
}

pub(super) fn ts(ms: Millis) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    })
}

pub(super) fn millis(t: &Timestamp) -> Millis {
    t.seconds * 1000 + i64::from(t.nanos) / 1_000_000
}

pub fn role_from_proto(value: i32, field: &str) -> Result<Role, DomainError> {
    Ok(match pb::Role::try_from(value) {
        Ok(pb::Role::AccountAdmin) => Role::AccountAdmin,
        Ok(pb::Role::Buyer) => Role::Buyer,
        Ok(pb::Role::Approver) => Role::Approver,
        Ok(pb::Role::Finance) => Role::Finance,
        Ok(pb::Role::Viewer) => Role::Viewer,
        Ok(pb::Role::BrandAdmin) => Role::BrandAdmin,
        Ok(pb::Role::SalesRep) => Role::SalesRep,
        Ok(pb::Role::BrandFinance) => Role::BrandFinance,
        Ok(pb::Role::CatalogManager) => Role::CatalogManager,
        Ok(pb::Role::Integration) => Role::Integration,
        _ => {
            return Err(DomainError::invalid(
                "UNKNOWN_ROLE",
                field,
                format!("{value} is not a role"),
            ));
        }
    })
}

fn roles_from_proto(values: &[i32]) -> Result<Vec<Role>, Status> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| role_from_proto(*v, &format!("roles[{i}]")).map_err(IntoStatus::into_status))
        .collect()
}

pub fn role_to_proto(role: Role) -> pb::Role {
    match role {
        Role::AccountAdmin => pb::Role::AccountAdmin,
        Role::Buyer => pb::Role::Buyer,
        Role::Approver => pb::Role::Approver,
        Role::Finance => pb::Role::Finance,
        Role::Viewer => pb::Role::Viewer,
        Role::BrandAdmin => pb::Role::BrandAdmin,
        Role::SalesRep => pb::Role::SalesRep,
        Role::BrandFinance => pb::Role::BrandFinance,
        Role::CatalogManager => pb::Role::CatalogManager,
        Role::Integration => pb::Role::Integration,
    }
}

fn roles_to_proto(roles: &[Role]) -> Vec<i32> {
    roles.iter().map(|r| role_to_proto(*r) as i32).collect()
}

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

fn tokens_to(t: IssuedTokens) -> Option<pb::SessionTokens> {
    Some(pb::SessionTokens {
        access_token: t.access_token,
        access_expire_time: ts(t.access_expires),
        refresh_token: t.refresh_token,
        refresh_expire_time: ts(t.refresh_expires),
        device_id: t.session_id,
        user_id: t.user_id,
    })
}

fn user_to(u: &User) -> pb::User {
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

fn api_key_to(k: &ApiKeyRecord) -> pb::ApiKey {
    pb::ApiKey {
        id: k.id.clone(),
        account_id: k.account_id.clone().unwrap_or_default(),
        name: k.name.clone(),
        roles: roles_to_proto(&k.roles),
        create_time: ts(k.created),
        last_use_time: k.last_used.and_then(ts),
        revoked: k.revoked,
    }
}

fn passkey_to(p: PasskeyInfo) -> pb::Passkey {
    pb::Passkey {
        id: p.id,
        name: p.name,
        create_time: ts(p.created),
        last_use_time: p.last_used.and_then(ts),
        backed_up: p.backed_up,
    }
}

fn audit_to(e: AuditEvent) -> pb::AuditEvent {
    pb::AuditEvent {
        id: e.id,
        time: ts(e.time),
        action: e.action,
        actor_id: e.actor_id,
        account_id: e.account_id.unwrap_or_default(),
        on_behalf_of_account_id: e.on_behalf_of.unwrap_or_default(),
        target_id: e.target_id,
        success: e.success,
        details: e.details.into_iter().collect(),
        source: e.source,
    }
}

fn unit_to(u: rec::OrgUnit) -> pb::OrgUnit {
    pb::OrgUnit {
        id: u.id,
        account_id: u.account_id,
        parent_id: u.parent_id.unwrap_or_default(),
        name: u.name,
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl IdentityService for IdentityApi {
    async fn apply_for_account(
        &self,
        request: Request<pb::ApplyForAccountRequest>,
    ) -> Reply<pb::ApplyForAccountResponse> {
        let origin = origin(&request);
        let r = request.into_inner();
        let request_id = r.request_id;
        let a = r.application.unwrap_or_default();
        let application = self.identity.apply(
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

    async fn list_applications(
        &self,
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
            self.identity
                .applications(&caller, state, r.page_size, &r.page_token)?;
        Ok(Response::new(pb::ListApplicationsResponse {
            applications: applications.iter().map(application_to).collect(),
            next_page_token,
        }))
    }

    async fn approve_application(
        &self,
        request: Request<pb::ApproveApplicationRequest>,
    ) -> Reply<pb::ApproveApplicationResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let r = request.into_inner();
        let limit = r.credit_limit.unwrap_or_default();
        let (application, invitation) = self.identity.approve(
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

    async fn reject_application(
        &self,
        request: Request<pb::RejectApplicationRequest>,
    ) -> Reply<pb::RejectApplicationResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let r = request.into_inner();
        let application = self.identity.reject(
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

    async fn start_enrolment(
        &self,
        request: Request<pb::StartEnrolmentRequest>,
    ) -> Reply<pb::StartEnrolmentResponse> {
        let origin = origin(&request);
        let start = self
            .identity
            .start_enrolment(&request.into_inner().invitation_code, &origin)?;
        Ok(Response::new(pb::StartEnrolmentResponse {
            ceremony_id: start.ceremony_id,
            creation_options_json: start.options_json,
        }))
    }

    async fn finish_enrolment(
        &self,
        request: Request<pb::FinishEnrolmentRequest>,
    ) -> Reply<pb::FinishEnrolmentResponse> {
        let origin = origin(&request);
        let r = request.into_inner();
        let tokens = self.identity.finish_enrolment(
            &r.ceremony_id,
            &r.credential_json,
            &r.passkey_name,
            &r.device_name,
            &origin,
        )?;
        Ok(Response::new(pb::FinishEnrolmentResponse {
            tokens: tokens_to(tokens),
        }))
    }

    async fn start_login(
        &self,
        request: Request<pb::StartLoginRequest>,
    ) -> Reply<pb::StartLoginResponse> {
        let origin = origin(&request);
        let start = self
            .identity
            .start_login(&request.into_inner().username, &origin)?;
        Ok(Response::new(pb::StartLoginResponse {
            ceremony_id: start.ceremony_id,
            request_options_json: start.options_json,
        }))
    }

    async fn finish_login(
        &self,
        request: Request<pb::FinishLoginRequest>,
    ) -> Reply<pb::FinishLoginResponse> {
        let origin = origin(&request);
        let r = request.into_inner();
        let tokens = self.identity.finish_login(
            &r.ceremony_id,
            &r.credential_json,
            &r.device_name,
            &origin,
        )?;
        Ok(Response::new(pb::FinishLoginResponse {
            tokens: tokens_to(tokens),
        }))
    }

    async fn refresh_session(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Reply<pb::RefreshSessionResponse> {
        let origin = origin(&request);
        let tokens = self
            .identity
            .refresh(&request.into_inner().refresh_token, &origin)?;
        Ok(Response::new(pb::RefreshSessionResponse {
            tokens: tokens_to(tokens),
        }))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Reply<pb::LogoutResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        self.identity.logout(&caller, &origin)?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn list_devices(
        &self,
        request: Request<pb::ListDevicesRequest>,
    ) -> Reply<pb::ListDevicesResponse> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (devices, next_page_token) =
            self.identity.devices(&caller, r.page_size, &r.page_token)?;
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

    async fn revoke_device(
        &self,
        request: Request<pb::RevokeDeviceRequest>,
    ) -> Reply<pb::RevokeDeviceResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        self.identity
            .revoke_device(&caller, &request.into_inner().device_id, &origin)?;
        Ok(Response::new(pb::RevokeDeviceResponse {}))
    }

    async fn start_add_passkey(
        &self,
        request: Request<pb::StartAddPasskeyRequest>,
    ) -> Reply<pb::StartAddPasskeyResponse> {
        let caller = caller(&request)?;
        let start = self.identity.start_add_passkey(&caller)?;
        Ok(Response::new(pb::StartAddPasskeyResponse {
            ceremony_id: start.ceremony_id,
            creation_options_json: start.options_json,
        }))
    }

    async fn finish_add_passkey(
        &self,
        request: Request<pb::FinishAddPasskeyRequest>,
    ) -> Reply<pb::FinishAddPasskeyResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let r = request.into_inner();
        let passkey = self.identity.finish_add_passkey(
            &caller,
            &r.ceremony_id,
            &r.credential_json,
            &r.passkey_name,
            &origin,
        )?;
        Ok(Response::new(pb::FinishAddPasskeyResponse {
            passkey: Some(passkey_to(passkey)),
        }))
    }

    async fn list_passkeys(
        &self,
        request: Request<pb::ListPasskeysRequest>,
    ) -> Reply<pb::ListPasskeysResponse> {
        let caller = caller(&request)?;
        let passkeys = self.identity.passkeys(&caller)?;
        Ok(Response::new(pb::ListPasskeysResponse {
            passkeys: passkeys.into_iter().map(passkey_to).collect(),
        }))
    }

    async fn remove_passkey(
        &self,
        request: Request<pb::RemovePasskeyRequest>,
    ) -> Reply<pb::RemovePasskeyResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        self.identity
            .remove_passkey(&caller, &request.into_inner().passkey_id, &origin)?;
        Ok(Response::new(pb::RemovePasskeyResponse {}))
    }

    async fn get_caller(
        &self,
        request: Request<pb::GetCallerRequest>,
    ) -> Reply<pb::GetCallerResponse> {
        let caller = caller(&request)?;
        let display_name = self.identity.shown_name(&caller)?;
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

    async fn create_org_unit(
        &self,
        request: Request<pb::CreateOrgUnitRequest>,
    ) -> Reply<pb::CreateOrgUnitResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let r = request.into_inner();
        let unit = self.identity.create_unit(
            &caller,
            &r.account_id,
            &r.parent_id,
            &r.name,
            &origin,
            &r.request_id,
        )?;
        Ok(Response::new(pb::CreateOrgUnitResponse {
            unit: Some(unit_to(unit)),
        }))
    }

    async fn list_org_units(
        &self,
        request: Request<pb::ListOrgUnitsRequest>,
    ) -> Reply<pb::ListOrgUnitsResponse> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (units, next_page_token) =
            self.identity
                .units(&caller, &r.account_id, r.page_size, &r.page_token)?;
        Ok(Response::new(pb::ListOrgUnitsResponse {
            units: units.into_iter().map(unit_to).collect(),
            next_page_token,
        }))
    }

    async fn create_invitation(
        &self,
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
        let invitation = self.identity.invite(&caller, invitee, &origin)?;
        Ok(Response::new(pb::CreateInvitationResponse {
            user_id: invitation.user.id,
            invitation_code: invitation.code,
            expire_time: ts(invitation.expires),
        }))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Reply<pb::ListUsersResponse> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (users, next_page_token) =
            self.identity
                .users(&caller, &r.account_id, r.page_size, &r.page_token)?;
        Ok(Response::new(pb::ListUsersResponse {
            users: users.iter().map(user_to).collect(),
            next_page_token,
        }))
    }

    async fn set_user_roles(
        &self,
        request: Request<pb::SetUserRolesRequest>,
    ) -> Reply<pb::SetUserRolesResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let r = request.into_inner();
        let roles = roles_from_proto(&r.roles)?;
        let user = self
            .identity
            .set_roles(&caller, &r.user_id, roles, &origin, &r.request_id)?;
        Ok(Response::new(pb::SetUserRolesResponse {
            user: Some(user_to(&user)),
        }))
    }

    async fn disable_user(
        &self,
        request: Request<pb::DisableUserRequest>,
    ) -> Reply<pb::DisableUserResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let r = request.into_inner();
        let user = self
            .identity
            .disable_user(&caller, &r.user_id, &origin, &r.request_id)?;
        Ok(Response::new(pb::DisableUserResponse {
            user: Some(user_to(&user)),
        }))
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> Reply<pb::CreateApiKeyResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let r = request.into_inner();
        let roles = roles_from_proto(&r.roles)?;
        let created =
            self.identity
                .create_api_key(&caller, &r.account_id, &r.name, roles, &origin)?;
        Ok(Response::new(pb::CreateApiKeyResponse {
            api_key: Some(api_key_to(&created.key)),
            secret: created.secret,
        }))
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> Reply<pb::ListApiKeysResponse> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (keys, next_page_token) =
            self.identity
                .api_keys(&caller, &r.account_id, r.page_size, &r.page_token)?;
        Ok(Response::new(pb::ListApiKeysResponse {
            api_keys: keys.iter().map(api_key_to).collect(),
            next_page_token,
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Reply<pb::RevokeApiKeyResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let key =
            self.identity
                .revoke_api_key(&caller, &request.into_inner().api_key_id, &origin)?;
        Ok(Response::new(pb::RevokeApiKeyResponse {
            api_key: Some(api_key_to(&key)),
        }))
    }

    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Reply<pb::ListAuditEventsResponse> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let filter = AuditFilter {
            actions: r.actions,
            actor_id: r.actor_id,
            start: r.start_time.as_ref().map(millis),
            end: r.end_time.as_ref().map(millis),
        };
        let page = self.identity.audit_events(
            &caller,
            &r.account_id,
            &filter,
            r.page_size,
            &r.page_token,
        )?;
        Ok(Response::new(pb::ListAuditEventsResponse {
            events: page.events.into_iter().map(audit_to).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn get_account_profile(
        &self,
        request: Request<pb::GetAccountProfileRequest>,
    ) -> Reply<pb::GetAccountProfileResponse> {
        let caller = caller(&request)?;
        let account = self
            .identity
            .profile(&caller, &request.into_inner().account_id)?;
        Ok(Response::new(pb::GetAccountProfileResponse {
            profile: Some(profile_to(&account)),
        }))
    }

    async fn update_account_profile(
        &self,
        request: Request<pb::UpdateAccountProfileRequest>,
    ) -> Reply<pb::UpdateAccountProfileResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let r = request.into_inner();
        let profile = r.profile.unwrap_or_default();
        let account_id = profile.account_id.clone();
        let paths = r.update_mask.map(|m| m.paths).unwrap_or_default();
        let account = self.identity.update_profile(
            &caller,
            &account_id,
            patch_from(profile),
            &paths,
            &origin,
        )?;
        Ok(Response::new(pb::UpdateAccountProfileResponse {
            profile: Some(profile_to(&account)),
        }))
    }

    async fn export_my_data(
        &self,
        request: Request<pb::ExportMyDataRequest>,
    ) -> Reply<pb::ExportMyDataResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let data_json = self.identity.export_my_data(&caller, &origin)?;
        Ok(Response::new(pb::ExportMyDataResponse { data_json }))
    }

    async fn erase_user(
        &self,
        request: Request<pb::EraseUserRequest>,
    ) -> Reply<pb::EraseUserResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let user = self
            .identity
            .erase_user(&caller, &request.into_inner().user_id, &origin)?;
        Ok(Response::new(pb::EraseUserResponse {
            user: Some(user_to(&user)),
        }))
    }

    async fn set_rep_assignments(
        &self,
        request: Request<pb::SetRepAssignmentsRequest>,
    ) -> Reply<pb::SetRepAssignmentsResponse> {
        let caller = caller(&request)?;
        let origin = origin(&request);
        let r = request.into_inner();
        let rep = self.identity.set_rep_assignments(
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
}
