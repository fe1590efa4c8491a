//! The open passkey ceremonies, each in two halves: enrolling a first
//! passkey with an invitation code, and signing in. Both end with a
//! device's tokens.

use tonic::{Request, Response};
use tradeport_proto::identity as pb;

use super::sessions::tokens_to;
use super::{Reply, origin};
use crate::service::identity::Identity;

pub(super) async fn start_enrolment(
    identity: &Identity,
    request: Request<pb::StartEnrolmentRequest>,
) -> Reply<pb::StartEnrolmentResponse> {
    let origin = origin(&request);
    let start = identity.start_enrolment(&request.into_inner().invitation_code, &origin)?;
    Ok(Response::new(pb::StartEnrolmentResponse {
        ceremony_id: start.ceremony_id,
        creation_options_json: start.options_json,
    }))
}

pub(super) async fn finish_enrolment(
    identity: &Identity,
    request: Request<pb::FinishEnrolmentRequest>,
) -> Reply<pb::FinishEnrolmentResponse> {
    let origin = origin(&request);
    let r = request.into_inner();
    let tokens = identity.finish_enrolment(
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

pub(super) async fn start_login(
    identity: &Identity,
    request: Request<pb::StartLoginRequest>,
) -> Reply<pb::StartLoginResponse> {
    let origin = origin(&request);
    let start = identity.start_login(&request.into_inner().username, &origin)?;
    Ok(Response::new(pb::StartLoginResponse {
        ceremony_id: start.ceremony_id,
        request_options_json: start.options_json,
    }))
}

pub(super) async fn finish_login(
    identity: &Identity,
    request: Request<pb::FinishLoginRequest>,
) -> Reply<pb::FinishLoginResponse> {
    let origin = origin(&request);
    let r = request.into_inner();
    let tokens =
        identity.finish_login(&r.ceremony_id, &r.credential_json, &r.device_name, &origin)?;
    Ok(Response::new(pb::FinishLoginResponse {
        tokens: tokens_to(tokens),
    }))
}
