//! IdentityService: wire ⇄ identity use cases. Every rule lives in
//! `domain::identity`, every load, authorisation and commit in
//! `crate::service::identity`; a handler here decodes the request, calls
//! one use case and encodes its answer.
//!
//! The handlers are split by concern, as the use cases are:
//! `applications`, `people`, `units`, `privacy`, `api_keys`, `audit`,
//! passkey `ceremonies` (enrolment and sign-in) and `passkeys`, `sessions`;
//! the profile's are in `api::profile`. `wire` holds the wire forms they
//! share with other services.

mod api_keys;
mod applications;
mod audit;
mod ceremonies;
mod passkeys;
mod people;
mod privacy;
mod sessions;
mod units;
mod wire;

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tradeport_proto::identity::{self as pb, identity_service_server::IdentityService};

use crate::auth::origin_of;
use crate::service::identity::{Identity, Origin};
use tradeport_domain::DomainError;
use tradeport_domain::identity::{Caller, Principal};
use wire::IntoStatus;

pub(super) use wire::{millis, ts};
pub use wire::{role_from_proto, role_to_proto};

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

fn origin<T>(request: &Request<T>) -> Origin {
    origin_of(request.extensions())
}

pub(super) type Reply<T> = Result<Response<T>, Status>;

/// Serves each RPC of the service by its handler: `rpc(Request) ->
/// Response: handler;`, where the handler takes the use cases and the
/// request.
macro_rules! serve {
    ($($rpc:ident($request:ident) -> $response:ident: $handler:path;)*) => {
        #[tonic::async_trait]
        impl IdentityService for IdentityApi {
            $(
                async fn $rpc(&self, request: Request<pb::$request>) -> Reply<pb::$response> {
                    $handler(&self.identity, request).await
                }
            )*
        }
    };
}

serve! {
    apply_for_account(ApplyForAccountRequest) -> ApplyForAccountResponse: applications::apply;
    list_applications(ListApplicationsRequest) -> ListApplicationsResponse: applications::list;
    approve_application(ApproveApplicationRequest) -> ApproveApplicationResponse:
        applications::approve;
    reject_application(RejectApplicationRequest) -> RejectApplicationResponse:
        applications::reject;

    start_enrolment(StartEnrolmentRequest) -> StartEnrolmentResponse:
        ceremonies::start_enrolment;
    finish_enrolment(FinishEnrolmentRequest) -> FinishEnrolmentResponse:
        ceremonies::finish_enrolment;
    start_login(StartLoginRequest) -> StartLoginResponse: ceremonies::start_login;
    finish_login(FinishLoginRequest) -> FinishLoginResponse: ceremonies::finish_login;

    refresh_session(RefreshSessionRequest) -> RefreshSessionResponse: sessions::refresh;
    logout(LogoutRequest) -> LogoutResponse: sessions::logout;
    list_devices(ListDevicesRequest) -> ListDevicesResponse: sessions::devices;
    revoke_device(RevokeDeviceRequest) -> RevokeDeviceResponse: sessions::revoke_device;
    get_caller(GetCallerRequest) -> GetCallerResponse: sessions::get_caller;

    start_add_passkey(StartAddPasskeyRequest) -> StartAddPasskeyResponse: passkeys::start_add;
    finish_add_passkey(FinishAddPasskeyRequest) -> FinishAddPasskeyResponse:
        passkeys::finish_add;
    list_passkeys(ListPasskeysRequest) -> ListPasskeysResponse: passkeys::list;
    remove_passkey(RemovePasskeyRequest) -> RemovePasskeyResponse: passkeys::remove;

    create_org_unit(CreateOrgUnitRequest) -> CreateOrgUnitResponse: units::create;
    list_org_units(ListOrgUnitsRequest) -> ListOrgUnitsResponse: units::list;

    create_invitation(CreateInvitationRequest) -> CreateInvitationResponse: people::invite;
    list_users(ListUsersRequest) -> ListUsersResponse: people::list;
    set_user_roles(SetUserRolesRequest) -> SetUserRolesResponse: people::set_roles;
    disable_user(DisableUserRequest) -> DisableUserResponse: people::disable;
    set_rep_assignments(SetRepAssignmentsRequest) -> SetRepAssignmentsResponse:
        people::set_rep_assignments;

    create_api_key(CreateApiKeyRequest) -> CreateApiKeyResponse: api_keys::create;
    list_api_keys(ListApiKeysRequest) -> ListApiKeysResponse: api_keys::list;
    revoke_api_key(RevokeApiKeyRequest) -> RevokeApiKeyResponse: api_keys::revoke;

    list_audit_events(ListAuditEventsRequest) -> ListAuditEventsResponse: audit::list;

    get_account_profile(GetAccountProfileRequest) -> GetAccountProfileResponse:
        super::profile::get;
    update_account_profile(UpdateAccountProfileRequest) -> UpdateAccountProfileResponse:
        super::profile::update;

    export_my_data(ExportMyDataRequest) -> ExportMyDataResponse: privacy::export_my_data;
    erase_user(EraseUserRequest) -> EraseUserResponse: privacy::erase_user;
}
