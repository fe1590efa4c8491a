//! The people of an account (or of the brand): inviting a user, listing
//! them, changing their roles, disabling them, and which accounts a sales
//! rep covers. The rules are `domain::identity::people`; this loads the
//! users and accounts they concern and commits each change with its audit
//! record.

use super::{Identity, Origin, Result, keys, lists, now};
use crate::service::identity::secrets::{INVITATION_PREFIX, hash, new_secret};
use crate::store::{Commit, idempotency};
use tradeport_domain::identity::people::{
    assigned, disabled, email_free, ensure_sales_rep, invited_user, may_disable, role_names,
    with_roles,
};
use tradeport_domain::identity::records::{Invitation, Millis, User};
use tradeport_domain::identity::units::known_unit;
use tradeport_domain::identity::{Action, Caller, Role, input};

/// Who to invite, and where.
#[derive(Debug, Clone, Default)]
pub struct Invitee {
    /// Empty: the caller's acting account, or the brand for brand staff.
    pub account_id: String,
    /// Empty: the company level.
    pub unit_id: String,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

/// A new user and the one-time code they enrol with.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub user: User,
    pub code: String,
    pub expires: Millis,
}

impl Identity {
    /// Adds an invited user and their invitation to `commit`.
    pub(super) fn invite_into(
        &self,
        commit: Commit,
        account_id: Option<&str>,
        unit_id: Option<&str>,
        email: &str,
        display_name: &str,
        roles: Vec<Role>,
    ) -> Result<(Commit, NewInvitation)> {
        let now = now();
        let user = invited_user(
            webauthn_rs::prelude::Uuid::new_v4().to_string(),
            account_id,
            unit_id,
            email,
            display_name,
            roles,
            now,
        );
        let code = new_secret(INVITATION_PREFIX)?;
        let expires = now + super::ms(self.lifetimes.invitation);
        let email_key = keys::email(&user.email);
        email_free(&user.email, self.store.get(email_key.as_bytes())?.is_some())?;
        let scope = account_id.unwrap_or(keys::BRAND);
        let commit = commit
            .expect_absent(&email_key)
            .put_record(&email_key, &user.id)?
            .put_record(&keys::user(&user.id), &user)?
            .put(keys::member(scope, &user.id), Vec::new())
            .put_record(
                &keys::invitation(&hash(&code)),
                &Invitation {
                    user_id: user.id.clone(),
                    expires,
                },
            )?;
        Ok((
            commit,
            NewInvitation {
                user,
                code,
                expires,
            },
        ))
    }

    /// Invites a user into an account (or, for brand admins, the brand).
    pub fn invite(
        &self,
        caller: &Caller,
        invitee: Invitee,
        origin: &Origin,
    ) -> Result<NewInvitation> {
        let Invitee {
            account_id,
            unit_id,
            email,
            display_name,
            roles,
        } = invitee;
        let account = self.scope_account(caller, Action::ManageUsers, &account_id)?;
        caller.may_grant(&roles, account.as_ref())?;
        let (email, display_name) = input::invitee(&email, &display_name)?;
        let unit = if unit_id.is_empty() {
            None
        } else {
            let found = account
                .as_ref()
                .map(|a| self.store.get(keys::unit(&a.id, &unit_id).as_bytes()))
                .transpose()?
                .flatten()
                .is_some();
            known_unit("unit_id", found)?;
            Some(unit_id.as_str())
        };
        let (commit, invitation) = self.invite_into(
            Commit::new(),
            account.as_ref().map(|a| a.id.as_str()),
            unit,
            &email,
            &display_name,
            roles,
        )?;
        let event = self
            .caller_event(
                "user.invited",
                caller,
                account.as_ref().map(|a| a.id.as_str()),
                origin,
            )
            .target(&invitation.user.id)
            .detail("roles", role_names(&invitation.user.roles));
        self.store.commit(self.audit(commit, event)?)?;
        Ok(invitation)
    }

    /// A page of the users of an account (or of the brand).
    pub fn users(
        &self,
        caller: &Caller,
        account_id: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<User>, String)> {
        let account = self.scope_account(caller, Action::ReadUsers, account_id)?;
        let scope = account.as_ref().map_or(keys::BRAND, |a| a.id.as_str());
        let users = self
            .indexed::<User>(&keys::members(scope), 100_000, keys::user)?
            .into_iter()
            .map(|(_, user)| user)
            .collect();
        lists::paged(users, page_size, page_token, lists::of_account(account_id))
    }

    pub fn set_roles(
        &self,
        caller: &Caller,
        user_id: &str,
        roles: Vec<Role>,
        origin: &Origin,
        request_id: &str,
    ) -> Result<User> {
        self.once(
            &idempotency::owner(caller),
            "SetUserRoles",
            request_id,
            |base| self.set_roles_once(base, caller, user_id, roles, origin),
        )
    }

    fn set_roles_once(
        &self,
        base: Commit,
        caller: &Caller,
        user_id: &str,
        roles: Vec<Role>,
        origin: &Origin,
    ) -> Result<(Commit, User)> {
        let (user, account) = self.managed_user(caller, user_id, Action::ManageUsers)?;
        caller.may_grant(&roles, account.as_ref())?;
        let updated = with_roles(&user.value, roles);
        let key = keys::user(user_id);
        let event = self
            .caller_event(
                "role.changed",
                caller,
                account.as_ref().map(|a| a.id.as_str()),
                origin,
            )
            .target(user_id)
            .detail("from", role_names(&user.value.roles))
            .detail("to", role_names(&updated.roles));
        let commit = base
            .expect_version(&key, &user)
            .put_record(&key, &updated)?;
        Ok((self.audit(commit, event)?, updated))
    }

    /// Disables a user: every session ends at once (the user's state is
    /// checked on every call) and is marked revoked.
    pub fn disable_user(
        &self,
        caller: &Caller,
        user_id: &str,
        origin: &Origin,
        request_id: &str,
    ) -> Result<User> {
        self.once(
            &idempotency::owner(caller),
            "DisableUser",
            request_id,
            |base| self.disable_user_once(base, caller, user_id, origin),
        )
    }

    fn disable_user_once(
        &self,
        base: Commit,
        caller: &Caller,
        user_id: &str,
        origin: &Origin,
    ) -> Result<(Commit, User)> {
        let (user, account) = self.managed_user(caller, user_id, Action::ManageUsers)?;
        may_disable(caller, user_id)?;
        let disabled = disabled(&user.value);
        let key = keys::user(user_id);
        let commit = base
            .expect_version(&key, &user)
            .put_record(&key, &disabled)?;
        let commit = self.revoke_all_sessions(commit, user_id)?;
        let event = self
            .caller_event(
                "user.disabled",
                caller,
                account.as_ref().map(|a| a.id.as_str()),
                origin,
            )
            .target(user_id);
        Ok((self.audit(commit, event)?, disabled))
    }

    /// Sets which accounts a sales rep covers: directly, and by territory.
    pub fn set_rep_assignments(
        &self,
        caller: &Caller,
        rep_id: &str,
        account_ids: Vec<String>,
        territories: Vec<String>,
        origin: &Origin,
        request_id: &str,
    ) -> Result<User> {
        self.once(
            &idempotency::owner(caller),
            "SetRepAssignments",
            request_id,
            |base| {
                let (rep, _) = self.managed_user(caller, rep_id, Action::ManageUsers)?;
                ensure_sales_rep(&rep.value)?;
                let known = account_ids
                    .iter()
                    .map(|id| Ok(self.account(id)?.is_some()))
                    .collect::<Result<Vec<bool>>>()?;
                let assigned = assigned(&rep.value, account_ids, &territories, &known)?;
                let key = keys::user(rep_id);
                let event = self
                    .caller_event("rep.assigned", caller, None, origin)
                    .target(rep_id)
                    .detail("accounts", assigned.assigned_accounts.join(","))
                    .detail("territories", assigned.territories.join(","));
                let commit = base
                    .expect_version(&key, &rep)
                    .put_record(&key, &assigned)?;
                Ok((self.audit(commit, event)?, assigned))
            },
        )
    }
}
