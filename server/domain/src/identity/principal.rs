//! Who is calling, and the one check of what they may do to which account.
//! Another account's resource answers exactly like a missing one (NOT_FOUND)
//! so that ids leak nothing; a visible resource the caller's roles do not
//! cover answers PERMISSION_DENIED.

use super::permissions::{Action, Role, allows};
use super::records::{Account, ApiKeyRecord, User};
use crate::DomainError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No credentials: only the open RPCs accept this.
    Anonymous,
    Caller(Caller),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    User,
    ApiKey,
}

/// An authenticated caller: a signed-in user or an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub kind: CallerKind,
    /// The user id or the API key id.
    pub id: String,
    /// The caller's own customer account; `None` for the brand.
    pub account_id: Option<String>,
    pub roles: Vec<Role>,
    /// The device session the call came through (users only).
    pub session_id: Option<String>,
    /// A sales rep acting for a customer: that account (already checked).
    pub on_behalf_of: Option<String>,
    /// For sales reps: accounts assigned directly, and territories.
    pub assigned_accounts: Vec<String>,
    pub territories: Vec<String>,
}

impl Caller {
    /// A signed-in user, calling through the device session `session_id`.
    pub fn user(user: User, session_id: String) -> Self {
        Self {
            kind: CallerKind::User,
            id: user.id,
            account_id: user.account_id,
            roles: user.roles,
            session_id: Some(session_id),
            on_behalf_of: None,
            assigned_accounts: user.assigned_accounts,
            territories: user.territories,
        }
    }

    /// A partner app or integration calling with `key`.
    pub fn api_key(key: ApiKeyRecord) -> Self {
        Self {
            kind: CallerKind::ApiKey,
            id: key.id,
            account_id: key.account_id,
            roles: key.roles,
            session_id: None,
            on_behalf_of: None,
            assigned_accounts: Vec::new(),
            territories: Vec::new(),
        }
    }

    fn may(&self, action: Action) -> bool {
        self.roles.iter().any(|r| allows(*r, action))
    }

    pub fn is_brand_wide(&self) -> bool {
        self.account_id.is_none()
            && self
                .roles
                .iter()
                .any(|r| r.is_brand() && *r != Role::SalesRep)
    }

    /// Whether the caller may see `account` at all.
    pub fn sees(&self, account: &Account) -> bool {
        match &self.account_id {
            Some(own) => *own == account.id,
            None if self.is_brand_wide() => true,
            None => {
                self.roles.contains(&Role::SalesRep)
                    && (self.assigned_accounts.contains(&account.id)
                        || (!account.territory.is_empty()
                            && self.territories.contains(&account.territory)))
            }
        }
    }

    /// The account the caller acts within: their own, or the one a rep acts
    /// for. `None` for brand staff acting brand-wide.
    pub fn acting_account(&self) -> Option<&str> {
        self.account_id.as_deref().or(self.on_behalf_of.as_deref())
    }

    /// The account a request's `account_id` names: empty means the acting
    /// account, which is `None` — the brand — for brand staff acting
    /// brand-wide.
    pub fn named_account(&self, account_id: &str) -> Option<String> {
        if account_id.is_empty() {
            self.acting_account().map(str::to_string)
        } else {
            Some(account_id.to_string())
        }
    }

    /// Checks that the caller may act for the customer `account` (read
    /// under `account_id`): only brand staff who see it may. One that
    /// exists but is not theirs is `Hidden`, answered as a missing one.
    pub fn may_act_for(
        &self,
        account: Option<&Account>,
        account_id: &str,
    ) -> Result<(), DomainError> {
        if self.account_id.is_none() && account.is_some_and(|a| self.sees(a)) {
            return Ok(());
        }
        let resource = "account";
        let id = account_id.to_string();
        Err(match account {
            Some(_) => DomainError::Hidden { resource, id },
            None => DomainError::NotFound { resource, id },
        })
    }

    /// Checks `action` on `account` (`None` = brand-level resource).
    /// `resource`/`id` name what the caller asked for: one it may not see
    /// is `Hidden` (a NOT_FOUND to the caller, a denied attempt on record).
    pub fn authorize(
        &self,
        action: Action,
        account: Option<&Account>,
        resource: &'static str,
        id: &str,
    ) -> Result<(), DomainError> {
        let visible = match account {
            Some(account) => self.sees(account),
            // Brand-level resources exist only for brand staff.
            None => self.account_id.is_none(),
        };
        if !visible {
            return Err(DomainError::Hidden {
                resource,
                id: id.to_string(),
            });
        }
        if !self.may(action) {
            return Err(DomainError::PermissionDenied {
                action: format!("{action:?}"),
            });
        }
        Ok(())
    }

    /// Checks an action that concerns no particular account.
    pub fn authorize_action(&self, action: Action) -> Result<(), DomainError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(DomainError::PermissionDenied {
                action: format!("{action:?}"),
            })
        }
    }

    /// Whether the caller may grant `roles` to a user of `account`: customer
    /// admins grant customer roles in their own account only; brand admins
    /// grant anything, brand roles only to brand users.
    pub fn may_grant(&self, roles: &[Role], account: Option<&Account>) -> Result<(), DomainError> {
        let brand_target = account.is_none();
        if let Some(bad) = roles.iter().find(|r| r.is_brand() != brand_target) {
            return Err(DomainError::invalid(
                "ROLE_NOT_GRANTABLE",
                "roles",
                format!(
                    "{} is a {} role and cannot be given to a {} user",
                    bad.name(),
                    if bad.is_brand() { "brand" } else { "customer" },
                    if brand_target { "brand" } else { "customer" }
                ),
            ));
        }
        if roles.is_empty() {
            return Err(DomainError::invalid(
                "ROLE_REQUIRED",
                "roles",
                "give at least one role",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "principal_tests.rs"]
mod tests;
