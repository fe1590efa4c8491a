//! The organisation tree of a customer account: creating and listing
//! units.

use tonic::{Request, Response};
use tradeport_proto::identity as pb;

use super::{Reply, caller, origin};
use crate::service::identity::Identity;
use tradeport_domain::identity::records::OrgUnit;

fn unit_to(u: OrgUnit) -> pb::OrgUnit {
    pb::OrgUnit {
        id: u.id,
        account_id: u.account_id,
        parent_id: u.parent_id.unwrap_or_default(),
        name: u.name,
    }
}

pub(super) async fn create(
    identity: &Identity,
    request: Request<pb::CreateOrgUnitRequest>,
) -> Reply<pb::CreateOrgUnitResponse> {
    let caller = caller(&request)?;
    let origin = origin(&request);
    let r = request.into_inner();
    let unit = identity.create_unit(
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

pub(super) async fn list(
    identity: &Identity,
    request: Request<pb::ListOrgUnitsRequest>,
) -> Reply<pb::ListOrgUnitsResponse> {
    let caller = caller(&request)?;
    let r = request.into_inner();
    let (units, next_page_token) =
        identity.units(&caller, &r.account_id, r.page_size, &r.page_token)?;
    Ok(Response::new(pb::ListOrgUnitsResponse {
        units: units.into_iter().map(unit_to).collect(),
        next_page_token,
    }))
}
