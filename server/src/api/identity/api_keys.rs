//! API keys for partner apps and integrations: creating one (its secret
//! is shown this once), listing and revoking them.

use tonic::{Request, Response};
use tradeport_proto::identity as pb;

use super::wire::{roles_from_proto, roles_to_proto, ts};
use super::{Reply, caller, origin};
use crate::service::identity::Identity;
use tradeport_domain::identity::records::ApiKeyRecord;

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

pub(super) async fn create(
    identity: &Identity,
    request: Request<pb::CreateApiKeyRequest>,
) -> Reply<pb::CreateApiKeyResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let r = request.into_inner();
    let roles = roles_from_proto(&r.roles)?;
    let created = identity.create_api_key(&caller, &r.account_id, &r.name, roles, &origin)?;
    Ok(Response::new(pb::CreateApiKeyResponse {
        api_key: Some(api_key_to(&created.key)),
        secret: created.secret,
    }))
}

pub(super) async fn list(
    identity: &Identity,
    request: Request<pb::ListApiKeysRequest>,
) -> Reply<pb::ListApiKeysResponse> {
    let caller = caller(&request)?;
    let r = request.into_inner();
    let (keys, next_page_token) =
        identity.api_keys(&caller, &r.account_id, r.page_size, &r.page_token)?;
    Ok(Response::new(pb::ListApiKeysResponse {
        api_keys: keys.iter().map(api_key_to).collect(),
        next_page_token,
    }))
}

pub(super) async fn revoke(
    identity: &Identity,
    request: Request<pb::RevokeApiKeyRequest>,
) -> Reply<pb::RevokeApiKeyResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let key = identity.revoke_api_key(&caller, &request.into_inner().api_key_id, &origin)?;
    Ok(Response::new(pb::RevokeApiKeyResponse {
        api_key: Some(api_key_to(&key)),
    }))
}
