//! The people of an account (or of the brand) and what may change about
//! them: who an invited user is, that an email has one user, roles kept
//! sorted and once each, that nobody disables themselves, and which
//! accounts and territories a sales rep covers. Who may do any of this to
//! whom is [`Caller::authorize`] and [`Caller::may_grant`].

use super::records::{Millis, User, UserState};
use super::{Caller, Role, input};
use crate::text::TextCheck;
use crate::{DomainError, FieldViolation};

/// Whether `user` is one of the brand's sales reps (who can be given
/// accounts to cover).
pub fn is_brand_sales_rep(user: &User) -> bool {
    user.account_id.is_none() && user.roles.contains(&Role::SalesRep)
}

/// A new user, invited under `id` into `account_id` (`None`: the brand)
/// and `unit_id` (`None`: the company level). They sign in by their email,
/// which is kept trimmed and in lower case.
pub fn invited_user(
    id: String,
    account_id: Option<&str>,
    unit_id: Option<&str>,
    email: &str,
    display_name: &str,
    roles: Vec<Role>,
    now: Millis,
) -> User {
    User {
        id,
        account_id: account_id.map(str::to_string),
        unit_id: unit_id.map(str::to_string),
        email: email.trim().to_lowercase(),
        display_name: display_name.trim().into(),
        roles,
        state: UserState::Invited,
        assigned_accounts: Vec::new(),
        territories: Vec::new(),
        created: now,
    }
}

/// One email, one user: `taken` says whether `email` already has one.
pub fn email_free(email: &str, taken: bool) -> Result<(), DomainError> {
    if !taken {
        return Ok(());
    }
    Err(DomainError::precondition(
        "EMAIL_TAKEN",
        format!("{email} already has a user"),
    ))
}

/// `user` with `roles`, each once, in a stable order.
pub fn with_roles(user: &User, mut roles: Vec<Role>) -> User {
    roles.sort();
    roles.dedup();
    User {
        roles,
        ..user.clone()
    }
}

/// `caller` disabling `user_id`: an admin cannot disable themselves, so an
/// account always keeps one who can undo a mistake.
pub fn may_disable(caller: &Caller, user_id: &str) -> Result<(), DomainError> {
    if user_id != caller.id {
        return Ok(());
    }
    Err(DomainError::precondition(
        "CANNOT_DISABLE_SELF",
        "ask another admin to disable your user",
    ))
}

/// `user`, disabled: no session of theirs works any more.
pub fn disabled(user: &User) -> User {
    User {
        state: UserState::Disabled,
        ..user.clone()
    }
}

/// Only a sales rep is given accounts to cover.
pub fn ensure_sales_rep(user: &User) -> Result<(), DomainError> {
    if user.roles.contains(&Role::SalesRep) {
        return Ok(());
    }
    Err(DomainError::invalid(
        "NOT_A_REP",
        "user_id",
        "is not a sales rep",
    ))
}

/// `rep` covering exactly `account_ids` and `territories` (checked as
/// codes and trimmed). `known[i]` says whether `account_ids[i]` is an
/// account; every unknown one is refused by its position.
pub fn assigned(
    rep: &User,
    account_ids: Vec<String>,
    territories: &[String],
    known: &[bool],
) -> Result<User, DomainError> {
    let mut text = TextCheck::new();
    let territories: Vec<String> = territories
        .iter()
        .enumerate()
        .map(|(i, t)| input::code(&mut text, format!("territories[{i}]"), t, true))
        .collect();
    let mut v = text.into_violations();
    for (i, known) in known.iter().enumerate() {
        if !known {
            v.push(FieldViolation::new(
                format!("account_ids[{i}]"),
                "no such account",
            ));
        }
    }
    if !v.is_empty() {
        return Err(DomainError::InvalidArgument {
            reason: "INVALID_ASSIGNMENT",
            violations: v,
        });
    }
    Ok(User {
        assigned_accounts: account_ids,
        territories,
        ..rep.clone()
    })
}

/// `rep`, covering `account_id` as well (the account their approval
/// opened).
pub fn with_account_assigned(rep: &User, account_id: &str) -> User {
    let mut assigned = rep.clone();
    assigned.assigned_accounts.push(account_id.to_string());
    assigned
}

/// Roles as the audit trail lists them: `buyer,approver`.
pub fn role_names(roles: &[Role]) -> String {
    roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
#[path = "people_tests.rs"]
mod tests;
