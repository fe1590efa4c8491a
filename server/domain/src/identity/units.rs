//! The organisation tree of a customer account: units (departments,
//! locations) under the company and under each other. Only customer
//! accounts have units, and a unit is named only within its own account.

use super::records::{Account, OrgUnit};
use crate::DomainError;

/// The account a unit request concerns: a brand-level request (no
/// account) is refused.
pub fn customer_account(account: Option<Account>) -> Result<Account, DomainError> {
    account.ok_or_else(|| {
        DomainError::invalid(
            "ACCOUNT_REQUIRED",
            "account_id",
            "units belong to a customer account",
        )
    })
}

/// A unit named in request field `field`: `found` says whether the
/// account has it.
pub fn known_unit(field: &str, found: bool) -> Result<(), DomainError> {
    if found {
        return Ok(());
    }
    Err(DomainError::invalid(
        "UNKNOWN_UNIT",
        field,
        "no such unit in this account",
    ))
}

/// A new unit of `account_id` called `name` (checked), under `parent_id`
/// (empty: directly under the company).
pub fn new_unit(id: String, account_id: &str, parent_id: &str, name: String) -> OrgUnit {
    OrgUnit {
        id,
        account_id: account_id.to_string(),
        parent_id: (!parent_id.is_empty()).then(|| parent_id.to_string()),
        name,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_needs_a_customer_account() {
        let err = customer_account(None).unwrap_err();
        assert!(matches!(
            err,
            DomainError::InvalidArgument {
                reason: "ACCOUNT_REQUIRED",
                ..
            }
        ));
        let account = Account::for_tests("acc", "");
        assert_eq!(customer_account(Some(account.clone())).unwrap(), account);
    }

    #[test]
    fn an_unknown_unit_is_refused_naming_the_field() {
        assert!(known_unit("parent_id", true).is_ok());
        let DomainError::InvalidArgument { reason, violations } =
            known_unit("parent_id", false).unwrap_err()
        else {
            panic!("not an invalid argument");
        };
        assert_eq!(reason, "UNKNOWN_UNIT");
        assert_eq!(violations[0].field, "parent_id");
    }

    #[test]
    fn an_empty_parent_puts_the_unit_under_the_company() {
        let top = new_unit("u1".into(), "acc", "", "Purchasing".into());
        assert_eq!(top.parent_id, None);
        let nested = new_unit("u2".into(), "acc", "u1", "Branch".into());
        assert_eq!(nested.parent_id.as_deref(), Some("u1"));
        assert_eq!(nested.account_id, "acc");
    }
}
