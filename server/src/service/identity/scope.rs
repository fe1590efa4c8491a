//! What a request names, resolved to records the caller may act on: the
//! account an `account_id` names (empty: the caller's own, or the brand),
//! and a user the caller may manage. Both authorise in the domain's one
//! check (`Caller::authorize`), so every use case that names an account or
//! a user answers a caller who may not see it the same way.

use super::{Identity, Result};
use crate::service::ServiceError;
use crate::store::versioned::Versioned;
use tradeport_domain::DomainError;
use tradeport_domain::identity::records::{Account, User};
use tradeport_domain::identity::{Action, Caller};

impl Identity {
    /// The account a request names, authorised for `action`: empty means
    /// the caller's acting account, or the brand (`None`) for brand staff.
    pub(super) fn scope_account(
        &self,
        caller: &Caller,
        action: Action,
        account_id: &str,
    ) -> Result<Option<Account>> {
        let Some(id) = caller.named_account(account_id) else {
            caller.authorize(action, None, "account", super::keys::BRAND)?;
            return Ok(None);
        };
        let Some(account) = self.account(&id)?.map(|a| a.value) else {
            return Err(DomainError::NotFound {
                resource: "account",
                id,
            }
            .into());
        };
        caller.authorize(action, Some(&account), "account", &id)?;
        Ok(Some(account))
    }

    /// A user the caller may manage, and their account: NOT_FOUND when it
    /// is in an account the caller cannot see.
    pub(super) fn managed_user(
        &self,
        caller: &Caller,
        user_id: &str,
        action: Action,
    ) -> Result<(Versioned<User>, Option<Account>)> {
        let not_found = || {
            ServiceError::from(DomainError::NotFound {
                resource: "user",
                id: user_id.to_string(),
            })
        };
        let user = self.user(user_id)?.ok_or_else(not_found)?;
        let account = match &user.value.account_id {
            Some(id) => Some(self.account(id)?.ok_or_else(not_found)?.value),
            None => None,
        };
        caller
            .authorize(action, account.as_ref(), "user", user_id)
            .map_err(|e| match e {
                DomainError::NotFound { .. } => not_found(),
                other => other.into(),
            })?;
        Ok((user, account))
    }
}
