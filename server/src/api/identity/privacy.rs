//! Personal data: a user's export of what is held about them, and an
//! admin's erasure of a user.

use tonic::{Request, Response};
use tradeport_proto::identity as pb;

use super::people::user_to;
use super::{Reply, caller, origin};
use crate::service::identity::Identity;

pub(super) async fn export_my_data(
    identity: &Identity,
    request: Request<pb::ExportMyDataRequest>,
) -> Reply<pb::ExportMyDataResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let data_json = identity.export_my_data(&caller, &origin)?;
    Ok(Response::new(pb::ExportMyDataResponse { data_json }))
}

pub(super) async fn erase_user(
    identity: &Identity,
    request: Request<pb::EraseUserRequest>,
) -> Reply<pb::EraseUserResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let user = identity.erase_user(&caller, &request.into_inner().user_id, &origin)?;
    Ok(Response::new(pb::EraseUserResponse {
        user: Some(user_to(&user)),
    }))
}
