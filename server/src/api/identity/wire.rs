//! Wire forms the identity handlers share, some with other services too:
//! times, roles, and a domain error as a status.

use prost_types::Timestamp;
use tonic::Status;
use tradeport_proto::identity as pb;

use tradeport_domain::DomainError;
use tradeport_domain::identity::Role;
use tradeport_domain::identity::records::Millis;

pub(super) trait IntoStatus {
    fn into_status(self) -> Status;
}

impl IntoStatus for DomainError {
    fn into_status(self) -> Status {
        crate::api::errors::Failure::from(self).into()
    }
}

pub fn ts(ms: Millis) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    })
}

pub fn millis(t: &Timestamp) -> Millis {
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

/// The roles of a request's `roles` field, each refused by its position.
pub(super) fn roles_from_proto(values: &[i32]) -> Result<Vec<Role>, Status> {
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

pub(super) fn roles_to_proto(roles: &[Role]) -> Vec<i32> {
    roles.iter().map(|r| role_to_proto(*r) as i32).collect()
}
