//! Who may export or erase personal data (what erasing does to each
//! record is [`erasure`](super::erasure)). Only a person has personal
//! data to export; an admin never erases themselves, so the account keeps
//! someone who can act for it.

use super::{Caller, CallerKind};
use crate::DomainError;

/// Refuses an export to a caller who is not a person.
pub fn may_export(caller: &Caller) -> Result<(), DomainError> {
    if caller.kind == CallerKind::User {
        return Ok(());
    }
    Err(DomainError::precondition(
        "NOT_A_PERSON",
        "API keys hold no personal data",
    ))
}

/// Refuses `caller` erasing their own user, `user_id`.
pub fn may_erase(caller: &Caller, user_id: &str) -> Result<(), DomainError> {
    if user_id != caller.id {
        return Ok(());
    }
    Err(DomainError::precondition(
        "CANNOT_ERASE_SELF",
        "ask another admin to erase your user",
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::identity::Role;

    fn caller(kind: CallerKind) -> Caller {
        Caller {
            kind,
            id: "me".into(),
            account_id: Some("acc".into()),
            roles: vec![Role::AccountAdmin],
            session_id: None,
            on_behalf_of: None,
            assigned_accounts: vec![],
            territories: vec![],
        }
    }

    #[test]
    fn only_a_person_exports() {
        assert!(may_export(&caller(CallerKind::User)).is_ok());
        let err = may_export(&caller(CallerKind::ApiKey)).unwrap_err();
        assert!(matches!(
            err,
            DomainError::FailedPrecondition {
                reason: "NOT_A_PERSON",
                ..
            }
        ));
    }

    #[test]
    fn an_admin_erases_others_only() {
        let admin = caller(CallerKind::User);
        assert!(may_erase(&admin, "someone-else").is_ok());
        assert!(matches!(
            may_erase(&admin, "me").unwrap_err(),
            DomainError::FailedPrecondition {
                reason: "CANNOT_ERASE_SELF",
                ..
            }
        ));
    }
}
