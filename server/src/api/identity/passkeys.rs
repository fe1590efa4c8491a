//! The caller's own passkeys: adding one (a two-half ceremony), listing
//! them, removing one.

use tonic::{Request, Response};
use tradeport_proto::identity as pb;

use super::wire::ts;
use super::{Reply, caller, origin};
use crate::service::identity::{Identity, PasskeyInfo};

fn passkey_to(p: PasskeyInfo) -> pb::Passkey {
    pb::Passkey {
        id: p.id,
        name: p.name,
        create_time: ts(p.created),
        last_use_time: p.last_used.and_then(ts),
        backed_up: p.backed_up,
    }
}

pub(super) async fn start_add(
    identity: &Identity,
    request: Request<pb::StartAddPasskeyRequest>,
) -> Reply<pb::StartAddPasskeyResponse> {
    let caller = caller(&request)?;
    let start = identity.start_add_passkey(&caller)?;
    Ok(Response::new(pb::StartAddPasskeyResponse {
        ceremony_id: start.ceremony_id,
        creation_options_json: start.options_json,
    }))
}

pub(super) async fn finish_add(
    identity: &Identity,
    request: Request<pb::FinishAddPasskeyRequest>,
) -> Reply<pb::FinishAddPasskeyResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let r = request.into_inner();
    let passkey = identity.finish_add_passkey(
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

pub(super) async fn list(
    identity: &Identity,
    request: Request<pb::ListPasskeysRequest>,
) -> Reply<pb::ListPasskeysResponse> {
    let caller = caller(&request)?;
    let passkeys = identity.passkeys(&caller)?;
    Ok(Response::new(pb::ListPasskeysResponse {
        passkeys: passkeys.into_iter().map(passkey_to).collect(),
    }))
}

pub(super) async fn remove(
    identity: &Identity,
    request: Request<pb::RemovePasskeyRequest>,
) -> Reply<pb::RemovePasskeyResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    identity.remove_passkey(&caller, &request.into_inner().passkey_id, &origin)?;
    Ok(Response::new(pb::RemovePasskeyResponse {}))
}
