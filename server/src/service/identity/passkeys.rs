//! A signed-in user's own passkeys: adding one (a ceremony like
//! enrolment's), listing them and removing one — never the last.

use webauthn_rs::prelude::{Passkey, RegisterPublicKeyCredential};

use super::ceremonies::{
    CeremonyStart, creation_options_json, credential_key, json_field, verification_failed,
    wrong_ceremony,
};
use super::passkey_records::{CeremonyStep, StoredPasskey};
use super::{Identity, Origin, Result, keys, now};
use crate::store::Commit;
use crate::store::versioned::{Versioned, get, scan};
use tradeport_domain::DomainError;
use tradeport_domain::identity::audit::AuditEvent;
use tradeport_domain::identity::passkeys::{may_remove, name_or_default};
use tradeport_domain::identity::records::{Millis, User};
use tradeport_domain::identity::{Action, Caller, input};

#[derive(Debug, Clone)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    pub created: Millis,
    pub last_used: Option<Millis>,
    pub backed_up: bool,
}

impl Identity {
    /// A user's passkeys, each with its store key.
    pub(super) fn stored_passkeys(&self, user_id: &str) -> Result<Vec<(String, StoredPasskey)>> {
        Ok(
            scan::<StoredPasskey>(self.store(), &keys::passkeys(user_id), None, 1000)?
                .into_iter()
                .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
                .collect(),
        )
    }

    pub fn start_add_passkey(&self, caller: &Caller) -> Result<CeremonyStart> {
        caller.authorize_action(Action::SelfService)?;
        let user = self.signed_in_user(caller)?;
        let (options, state) = self.start_registration(&user.value)?;
        let ceremony_id = self.store_ceremony(CeremonyStep::AddPasskey {
            user_id: user.value.id,
            state,
        })?;
        Ok(CeremonyStart {
            ceremony_id,
            options_json: creation_options_json(options)?,
        })
    }

    pub fn finish_add_passkey(
        &self,
        caller: &Caller,
        ceremony_id: &str,
        credential_json: &str,
        name: &str,
        origin: &Origin,
    ) -> Result<PasskeyInfo> {
        caller.authorize_action(Action::SelfService)?;
        let name = input::label("passkey_name", name, false)?;
        let CeremonyStep::AddPasskey { user_id, state } = self.take_ceremony(ceremony_id)? else {
            return Err(wrong_ceremony());
        };
        if user_id != caller.id {
            return Err(wrong_ceremony());
        }
        let credential: RegisterPublicKeyCredential = json_field(credential_json)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(verification_failed)?;
        let now = now();
        let (credential_id, stored) = new_passkey(&user_id, &name, passkey, now);
        let key = keys::passkey(&user_id, &credential_id);
        let event = AuditEvent::new("passkey.added", &user_id, caller.account_id.as_deref(), now)
            .target(&credential_id)
            .source(&origin.source);
        let commit = Commit::new()
            .expect_absent(&key)
            .put_record(&key, &stored)?;
        self.commit_or_used(self.audit(commit, event)?)?;
        Ok(info(credential_id, &stored))
    }

    pub fn passkeys(&self, caller: &Caller) -> Result<Vec<PasskeyInfo>> {
        caller.authorize_action(Action::SelfService)?;
        let prefix = keys::passkeys(&caller.id);
        Ok(self
            .stored_passkeys(&caller.id)?
            .into_iter()
            .map(|(key, p)| info(key[prefix.len()..].to_string(), &p))
            .collect())
    }

    /// Removes a passkey of the caller's; the last one stays, so nobody
    /// locks themselves out.
    pub fn remove_passkey(&self, caller: &Caller, passkey_id: &str, origin: &Origin) -> Result<()> {
        caller.authorize_action(Action::SelfService)?;
        let all = self.stored_passkeys(&caller.id)?;
        let key = keys::passkey(&caller.id, passkey_id);
        if get::<StoredPasskey>(self.store(), &key)?.is_none() {
            return Err(DomainError::NotFound {
                resource: "passkey",
                id: passkey_id.to_string(),
            }
            .into());
        }
        may_remove(all.len())?;
        // Expect every other passkey unchanged: two concurrent removals of
        // the last two cannot both succeed.
        let mut commit = Commit::new();
        for (other_key, _) in &all {
            if let Some(other) = get::<StoredPasskey>(self.store(), other_key)? {
                commit = commit.expect_version(other_key, &other);
            }
        }
        let event = AuditEvent::new(
            "passkey.removed",
            &caller.id,
            caller.account_id.as_deref(),
            now(),
        )
        .target(passkey_id)
        .source(&origin.source);
        let commit = self.audit(commit.delete(key), event)?;
        self.commit_or_used(commit)
    }

    fn signed_in_user(&self, caller: &Caller) -> Result<Versioned<User>> {
        self.user(&caller.id)?.ok_or_else(|| {
            DomainError::unauthenticated("USER_UNKNOWN", "sign in as a user for this").into()
        })
    }
}

/// A passkey just registered for `user_id`, as it is kept, and the
/// credential id it is kept under.
pub(super) fn new_passkey(
    user_id: &str,
    name: &str,
    passkey: Passkey,
    now: Millis,
) -> (String, StoredPasskey) {
    let credential_id = credential_key(passkey.cred_id().as_ref());
    let stored = StoredPasskey {
        user_id: user_id.to_string(),
        name: name_or_default(name),
        passkey,
        created: now,
        last_used: None,
    };
    (credential_id, stored)
}

fn info(id: String, p: &StoredPasskey) -> PasskeyInfo {
    PasskeyInfo {
        id,
        name: p.name.clone(),
        created: p.created,
        last_used: p.last_used,
        backed_up: webauthn_rs::prelude::Credential::from(p.passkey.clone()).backup_state,
    }
}
