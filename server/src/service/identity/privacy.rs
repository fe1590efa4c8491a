//! Personal data: a user's export of everything held about them, and an
//! admin's erasure of a user. Erasure removes the person — their name,
//! email, passkeys, device names and notifications, and every copy of them
//! in audit details, applications, the account's contacts and remembered
//! replies — but keeps the user id, so the account's orders and ledger
//! entries stay whole, attributed to an anonymous user. It must never
//! leave a copy behind that it could have found, nor erase other people.

use crate::service::ServiceError;
use serde_json::json;

use super::passkey_records::StoredPasskey;
use super::{Identity, Origin, Result, keys, now};
use crate::store::versioned::{get, scan};
use tradeport_domain::DomainError;
use tradeport_domain::identity::audit::{AuditEvent, AuditFilter};
use tradeport_domain::identity::erasure::{self, Person};
use tradeport_domain::identity::privacy::{may_erase, may_export};
use tradeport_domain::identity::records::{Account, Application, Session, User};
use tradeport_domain::identity::{Action, Caller};

use crate::store::{Commit, KeyRange, StoreError, decode, encode, idempotency};

impl Identity {
    /// The caller's personal data, as a JSON document.
    pub fn export_my_data(&self, caller: &Caller, origin: &Origin) -> Result<String> {
        caller.authorize_action(Action::SelfService)?;
        may_export(caller)?;
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
            .signed_in_devices(caller)?
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
        let events: Vec<_> = scan::<tradeport_domain::identity::audit::AuditEvent>(self.store(), &keys::audits(&scope), None, 100_000)?
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
        serde_json::to_string_pretty(&document).map_err(ServiceError::internal)
    }

    /// Erases a user's personal data (admins of the user's account, or the
    /// brand's). The user can never sign in again; every copy of their
    /// name, email and device names is pseudonymised or removed (see
    /// `domain::identity::erasure`), in one commit.
    pub fn erase_user(&self, caller: &Caller, user_id: &str, origin: &Origin) -> Result<User> {
        let (_, account) = self.managed_user(caller, user_id, Action::EraseUsers)?;
        may_erase(caller, user_id)?;
        // Records written meanwhile (a replayed request, an audit record)
        // make the commit conflict: look again.
        for _ in 0..3 {
            let (commit, erased) = self.erasure(user_id, account.as_ref())?;
            let event = self
                .caller_event(
                    "user.erased",
                    caller,
                    account.as_ref().map(|a| a.id.as_str()),
                    origin,
                )
                .target(user_id);
            match self.store.commit(self.audit(commit, event)?) {
                Err(StoreError::Conflict { .. }) => continue,
                other => other?,
            }
            return Ok(erased);
        }
        Err(StoreError::Conflict {
            key: keys::user(user_id),
        }
        .into())
    }

    /// The commit that erases `user_id`, expecting every record it
    /// rewrites unchanged.
    fn erasure(&self, user_id: &str, account: Option<&Account>) -> Result<(Commit, User)> {
        let user = self.user(user_id)?.ok_or_else(|| DomainError::NotFound {
            resource: "user",
            id: user_id.to_string(),
        })?;
        let erased = erasure::user(&user.value);
        let key = keys::user(user_id);
        let mut commit = Commit::new()
            .expect_version(&key, &user)
            .put_record(&key, &erased)?;
        if user.value.email != erased.email {
            commit = commit.delete(keys::email(&user.value.email));
        }

        // Who they are, as copies may show it.
        let mut device_names = Vec::new();
        let passkeys = keys::passkeys(user_id);
        for (passkey_key, passkey) in scan::<StoredPasskey>(self.store(), &passkeys, None, 10_000)?
        {
            device_names.push(passkey.name);
            commit = commit.delete(passkey_key);
        }
        let mut sessions = Vec::new();
        let prefix = keys::user_sessions(user_id);
        for (link, _) in self
            .store
            .scan(KeyRange::prefix(prefix.as_bytes()), 100_000)?
        {
            let id = String::from_utf8_lossy(&link[prefix.len()..]).into_owned();
            if let Some(session) = get::<Session>(self.store(), &keys::session(&id))? {
                device_names.push(session.value.device_name.clone());
                sessions.push(session);
            }
        }
        let mut person = Person::of(&user.value, device_names);
        let mut applications = Vec::new();
        for (key, raw) in crate::store::scan_all(self.store(), b"app/", 1_000)? {
            let a: Application = decode(&key, &raw)?;
            person.learn_from(&a);
            applications.push((key, raw, a));
        }

        for session in sessions {
            if let Some(ended) = erasure::session(&session.value) {
                let key = keys::session(&session.value.id);
                commit = commit
                    .expect_version(&key, &session)
                    .put_record(&key, &ended)?;
            }
        }
        for (key, raw, a) in applications {
            let next = erasure::application(&a, &person)
                .map(|next| encode(&key, &next))
                .transpose()?;
            commit = rewritten(commit, &key, &raw, next);
        }
        if let Some(account) = account {
            let key = keys::account(&account.id);
            if let Some(current) = self.account(&account.id)?
                && let Some(next) = erasure::account(&current.value, &person)
            {
                commit = commit
                    .expect_version(&key, &current)
                    .put_record(&key, &next)?;
            }
        }
        commit = self.each_under("audit/", commit, |commit, key, raw| {
            let next = match decode::<AuditEvent>(key, raw) {
                Ok(event) => erasure::audit_event(&event, &person)
                    .map(|next| encode(key, &next))
                    .transpose()?,
                // A record of another shape (written by a newer build):
                // still no copy of the person may stay in it.
                Err(_) => scrubbed(key, raw, &person, false)?,
            };
            Ok(rewritten(commit, key, raw, next))
        })?;
        commit = self.each_under(idempotency::PREFIX, commit, |commit, key, raw| {
            // Remembered replies are of every kind of answer: their text
            // is scrubbed wherever it sits. The actor is the key's first
            // segment; a reply to the person is theirs.
            let rest = &key[idempotency::PREFIX.len()..];
            let actor = rest.split(|b| *b == b'/').next().unwrap_or_default();
            let next = scrubbed(key, raw, &person, actor == user_id.as_bytes())?;
            Ok(rewritten(commit, key, raw, next))
        })?;
        // What they were told is theirs alone.
        let notifications = format!("notif/user/{user_id}/");
        commit = self.each_under(&notifications, commit, |commit, key, _| {
            Ok(commit.delete(key))
        })?;
        Ok((commit, erased))
    }

    /// Folds `f` over every record under `prefix`, a page at a time.
    fn each_under(
        &self,
        prefix: &str,
        mut commit: Commit,
        mut f: impl FnMut(Commit, &[u8], &[u8]) -> std::result::Result<Commit, StoreError>,
    ) -> Result<Commit> {
        const PAGE: usize = 1_000;
        let prefix = prefix.as_bytes();
        let mut range = KeyRange::prefix(prefix);
        loop {
            let page = self.store.scan(range.clone(), PAGE)?;
            for (key, raw) in &page {
                commit = f(commit, key, raw)?;
            }
            match page.last() {
                Some((last, _)) if page.len() == PAGE => {
                    range = KeyRange::prefix_after(prefix, last);
                }
                _ => return Ok(commit),
            }
        }
    }
}

/// `commit` writing `next` over `key`, if there is a `next`, and expecting
/// `key` to hold what it was read as.
fn rewritten(commit: Commit, key: &[u8], raw: &[u8], next: Option<Vec<u8>>) -> Commit {
    match next {
        Some(bytes) => commit.expect(key, Some(raw.to_vec())).put(key, bytes),
        None => commit,
    }
}

/// A record of any shape with every text mentioning `person` replaced,
/// if any did.
fn scrubbed(
    key: &[u8],
    raw: &[u8],
    person: &Person,
    own: bool,
) -> std::result::Result<Option<Vec<u8>>, StoreError> {
    let mut value: serde_cbor_2::Value = decode(key, raw)?;
    if scrub_text(&mut value, person, own) {
        Ok(Some(encode(key, &value)?))
    } else {
        Ok(None)
    }
}

/// Replaces every text in `value` that mentions `person`; whether any did.
fn scrub_text(value: &mut serde_cbor_2::Value, person: &Person, own: bool) -> bool {
    use serde_cbor_2::Value;
    match value {
        Value::Text(text) => match person.scrub(text, own) {
            Some(erased) if text != erased => {
                *text = erased.to_string();
                true
            }
            _ => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, v| scrub_text(v, person, own) | any),
        Value::Map(map) => map
            .values_mut()
            .fold(false, |any, v| scrub_text(v, person, own) | any),
        Value::Tag(_, inner) => scrub_text(inner, person, own),
        _ => false,
    }
}
