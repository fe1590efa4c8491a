//! Personal data: a user's export of everything held about them, and an
//! admin's erasure of a user. Erasure removes the person (name, email,
//! passkeys, sessions) but keeps the user id, so the account's orders and
//! ledger entries stay whole, attributed to an anonymous user.

use serde_json::json;

use super::{Identity, IdentityError, Origin, Result, keys, now};
use crate::domain::DomainError;
use crate::domain::identity::audit::{AuditEvent, AuditFilter};
use crate::domain::identity::records::{User, UserState};
use crate::domain::identity::{Action, Caller, CallerKind};
use crate::store::Commit;
use crate::store::records::scan;

impl Identity {
    /// The caller's personal data, as a JSON document.
    pub fn export_my_data(&self, caller: &Caller, origin: &Origin) -> Result<String> {
        caller.authorize_action(Action::SelfService)?;
        if caller.kind != CallerKind::User {
            return Err(DomainError::precondition(
                "NOT_A_PERSON",
                "API keys hold no personal data",
            )
            .into());
        }
        let user = self
            .user(&caller.id)?
            .ok_or_else(|| {
                DomainError::unauthenticated("USER_UNKNOWN", "sign in as a user for this")
            })?
            .value;
        let passkeys: Vec<_> = self
            .passkeys(caller)?
            .into_iter()
            .map(|p| json!({"id": p.id, "name": p.name, "created_ms": p.created, "last_used_ms": p.last_used, "backed_up": p.backed_up}))
            .collect();
        let devices: Vec<_> = self
            .devices(caller)?
            .into_iter()
            .map(|d| json!({"id": d.session.id, "name": d.session.device_name, "created_ms": d.session.created, "last_used_ms": d.session.last_used}))
            .collect();
        let scope = user
            .account_id
            .clone()
            .unwrap_or_else(|| keys::BRAND.into());
        let mine = AuditFilter {
            actor_id: user.id.clone(),
            ..AuditFilter::default()
        };
        let events: Vec<_> = scan::<crate::domain::identity::audit::AuditEvent>(self.store(), &keys::audits(&scope), None, 100_000)?
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| mine.matches(e))
            .map(|e| json!({"time_ms": e.time, "action": e.action, "target": e.target_id, "success": e.success, "details": e.details, "source": e.source}))
            .collect();
        let document = json!({
            "user": {
                "id": user.id,
                "email": user.email,
                "display_name": user.display_name,
                "account_id": user.account_id,
                "unit_id": user.unit_id,
                "roles": user.roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
                "created_ms": user.created,
            },
            "passkeys": passkeys,
            "devices": devices,
            "audit_events": events,
        });
        let event = AuditEvent::new("data.exported", &user.id, user.account_id.as_deref(), now())
            .target(&user.id)
            .source(&origin.source);
        self.audit_alone(event)?;
        serde_json::to_string_pretty(&document)
            .map_err(|e| IdentityError::Store(crate::store::StoreError::Engine(e.to_string())))
    }

    /// Erases a user's personal data (admins of the user's account, or the
    /// brand's). The user can never sign in again.
    pub fn erase_user(&self, caller: &Caller, user_id: &str, origin: &Origin) -> Result<User> {
        let (user, account) = self.managed_user(caller, user_id, Action::EraseUsers)?;
        if user_id == caller.id {
            return Err(DomainError::precondition(
                "CANNOT_ERASE_SELF",
                "ask another admin to erase your user",
            )
            .into());
        }
        let mut erased = user.value.clone();
        erased.email = format!("erased-{}@erased.invalid", erased.id);
        erased.display_name = "Erased user".into();
        erased.state = UserState::Disabled;
        let key = keys::user(user_id);
        let mut commit = Commit::new()
            .expect_version(&key, &user)
            .put_record(&key, &erased)?
            .delete(keys::email(&user.value.email));
        let prefix = keys::passkeys(user_id);
        for (passkey_key, _) in self
            .store
            .scan(crate::store::KeyRange::prefix(prefix.as_bytes()), 10_000)?
        {
            commit = commit.delete(passkey_key);
        }
        let commit = self.revoke_all_sessions(commit, user_id)?;
        let event = self
            .caller_event(
                "user.erased",
                caller,
                account.as_ref().map(|a| a.id.as_str()),
                origin,
            )
            .target(user_id);
        self.store.commit(self.audit(commit, event)?)?;
        Ok(erased)
    }
}
