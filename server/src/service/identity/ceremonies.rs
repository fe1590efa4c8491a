//! Passkey ceremonies (webauthn-rs): enrolment with a one-time invitation,
//! sign-in by username or usernameless, adding and removing passkeys.
//!
//! Ceremony state lives in the store, expires after five minutes and is
//! consumed — deleted in a commit that expects it unchanged — before the
//! response is verified, so a ceremony can be finished at most once even by
//! two racing requests, and a failed attempt cannot be retried on the same
//! challenge.

use crate::service::ServiceError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Uuid,
};
use webauthn_rs_proto::{AuthenticatorSelectionCriteria, ResidentKeyRequirement};

use super::limits::SignInSubject;
use super::passkey_records::{Ceremony, CeremonyStep, StoredPasskey};
use super::{Identity, Origin, Result, keys, now};
use crate::service::identity::secrets::{hash, new_id};
use crate::service::identity::sessions::IssuedTokens;
use crate::store::records::{Versioned, get, get_value, scan};
use crate::store::{Commit, StoreError};
use tradeport_domain::DomainError;
use tradeport_domain::identity::audit::AuditEvent;
use tradeport_domain::identity::input;
use tradeport_domain::identity::records::{Invitation, Millis, User, UserState};
use tradeport_domain::identity::sign_in;
use tradeport_domain::identity::{Action, Caller};

/// The first half of a ceremony, for the client's authenticator.
#[derive(Debug, Clone)]
pub struct CeremonyStart {
    pub ceremony_id: String,
    /// The W3C options JSON: `PublicKeyCredentialCreationOptionsJSON` or
    /// `PublicKeyCredentialRequestOptionsJSON`, as
    /// `PublicKeyCredential.parseCreationOptionsFromJSON` /
    /// `parseRequestOptionsFromJSON` take them — never webauthn-rs's
    /// `{"publicKey": …}` wrapper, which browsers refuse.
    pub options_json: String,
}

#[derive(Debug, Clone)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    pub created: Millis,
    pub last_used: Option<Millis>,
    pub backed_up: bool,
}

fn credential_key(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

fn json_field<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| {
        DomainError::invalid(
            "INVALID_CREDENTIAL",
            "credential_json",
            format!("is not a WebAuthn credential: {e}"),
        )
        .into()
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| {
        ServiceError::Store(StoreError::Engine(format!(
            "encoding WebAuthn options: {e}"
        )))
    })
}

/// The creation options a client gets: unwrapped, and asking for a
/// discoverable credential. webauthn-rs's passkey registration discourages
/// one, so a security key (or any authenticator that does as asked) would
/// make a credential that usernameless sign-in can never find. Every
/// authenticator that can verify its user — which the server requires —
/// can store a discoverable credential, so "required" shuts out none.
fn creation_options_json(options: CreationChallengeResponse) -> Result<String> {
    let mut options = options.public_key;
    let selection = options
        .authenticator_selection
        .get_or_insert_with(AuthenticatorSelectionCriteria::default);
    selection.resident_key = Some(ResidentKeyRequirement::Required);
    // Level 1 browsers read only this one; the spec asks for it to be true
    // exactly when residentKey is "required".
    selection.require_resident_key = true;
    to_json(&options)
}

/// The request options a client gets: unwrapped. webauthn-rs's wrapper also
/// carries the mediation, which is an argument of
/// `navigator.credentials.get`, not an option: a modal sign-in is meant
/// (not the autofill, "conditional", mediation that webauthn-rs presets for
/// usernameless sign-in), so it is dropped with the wrapper.
fn request_options_json(options: RequestChallengeResponse) -> Result<String> {
    to_json(&options.public_key)
}

fn verification_failed(e: impl std::fmt::Display) -> ServiceError {
    tracing::info!(error = %e, "passkey verification failed");
    DomainError::unauthenticated(
        "PASSKEY_VERIFICATION_FAILED",
        "the passkey response did not verify",
    )
    .into()
}

fn webauthn_failure(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Store(StoreError::Engine(format!("webauthn: {e}")))
}

fn uuid_of(user: &User) -> Result<Uuid> {
    Uuid::parse_str(&user.id).map_err(|e| webauthn_failure(format!("user id is not a UUID: {e}")))
}

impl Identity {
    fn store_ceremony(&self, step: CeremonyStep) -> Result<String> {
        let id = new_id("cer_")?;
        let ceremony = Ceremony {
            expires: now() + super::ms(self.lifetimes.ceremony),
            step,
        };
        let key = keys::ceremony(&id);
        self.store.commit(
            Commit::new()
                .expect_absent(&key)
                .put_record(&key, &ceremony)?,
        )?;
        Ok(id)
    }

    /// Consumes a ceremony: it can be taken once, before it expires.
    fn take_ceremony(&self, id: &str) -> Result<CeremonyStep> {
        let invalid = || {
            ServiceError::from(DomainError::precondition(
                "CEREMONY_INVALID",
                "this passkey ceremony expired or was already used; start again",
            ))
        };
        if id.is_empty() {
            return Err(
                DomainError::invalid("MISSING_CEREMONY", "ceremony_id", "is required").into(),
            );
        }
        let key = keys::ceremony(id);
        let ceremony = get::<Ceremony>(self.store(), &key)?.ok_or_else(invalid)?;
        match self.store.commit(
            Commit::new()
                .expect_version(&key, &ceremony)
                .delete(key.clone()),
        ) {
            Err(StoreError::Conflict { .. }) => return Err(invalid()),
            other => other?,
        }
        if now() >= ceremony.value.expires {
            return Err(invalid());
        }
        Ok(ceremony.value.step)
    }

    fn stored_passkeys(&self, user_id: &str) -> Result<Vec<(String, StoredPasskey)>> {
        Ok(
            scan::<StoredPasskey>(self.store(), &keys::passkeys(user_id), None, 1000)?
                .into_iter()
                .map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), v))
                .collect(),
        )
    }

    /// Starts enrolment of a first passkey with an invitation code.
    pub fn start_enrolment(&self, code: &str, origin: &Origin) -> Result<CeremonyStart> {
        self.limits.login_from(&origin.source)?;
        let invitation_hash = hash(code.trim());
        let invalid = || {
            ServiceError::from(DomainError::unauthenticated(
                "INVITATION_INVALID",
                "this invitation code is unknown, used or expired",
            ))
        };
        let invitation =
            get_value::<Invitation>(self.store(), &keys::invitation(&invitation_hash))?
                .filter(|i| now() < i.expires)
                .ok_or_else(invalid)?;
        let user = self
            .user(&invitation.user_id)?
            .map(|u| u.value)
            .filter(|u| u.state != UserState::Disabled)
            .ok_or_else(invalid)?;
        let existing = self
            .stored_passkeys(&user.id)?
            .into_iter()
            .map(|(_, p)| p.passkey.cred_id().clone())
            .collect::<Vec<_>>();
        let (options, state) = self
            .webauthn
            .start_passkey_registration(
                uuid_of(&user)?,
                &user.email,
                &user.display_name,
                Some(existing),
            )
            .map_err(webauthn_failure)?;
        let ceremony_id = self.store_ceremony(CeremonyStep::Enrolment {
            invitation_hash,
            user_id: user.id,
            state,
        })?;
        Ok(CeremonyStart {
            ceremony_id,
            options_json: creation_options_json(options)?,
        })
    }

    /// Finishes enrolment: the invitation is used up, the user becomes
    /// active, the passkey is stored and a session starts — in one commit.
    pub fn finish_enrolment(
        &self,
        ceremony_id: &str,
        credential_json: &str,
        passkey_name: &str,
        device_name: &str,
        origin: &Origin,
    ) -> Result<IssuedTokens> {
        // Before the ceremony is used up, so a fixed name can finish it.
        let passkey_name = input::label("passkey_name", passkey_name, false)?;
        let device_name = input::label("device_name", device_name, false)?;
        let CeremonyStep::Enrolment {
            invitation_hash,
            user_id,
            state,
        } = self.take_ceremony(ceremony_id)?
        else {
            return Err(wrong_ceremony());
        };
        let credential: RegisterPublicKeyCredential = json_field(credential_json)?;
        let passkey = match self
            .webauthn
            .finish_passkey_registration(&credential, &state)
        {
            Ok(passkey) => passkey,
            Err(e) => {
                let event = AuditEvent::new("passkey.enrolment_failed", &user_id, None, now())
                    .source(&origin.source)
                    .failed();
                self.audit_alone(self.scoped(event, &user_id)?)?;
                return Err(verification_failed(e));
            }
        };
        let invitation_key = keys::invitation(&invitation_hash);
        let invitation = get::<Invitation>(self.store(), &invitation_key)?.ok_or_else(|| {
            DomainError::unauthenticated(
                "INVITATION_INVALID",
                "this invitation code was already used",
            )
        })?;
        let user = self.user(&user_id)?.ok_or_else(wrong_ceremony)?;
        let mut active = user.value.clone();
        active.state = UserState::Active;
        let now = now();
        let credential_id = credential_key(passkey.cred_id().as_ref());
        let stored = StoredPasskey {
            user_id: user_id.clone(),
            name: name_or(&passkey_name, "Passkey"),
            passkey,
            created: now,
            last_used: None,
        };
        let commit = Commit::new()
            .expect_version(&invitation_key, &invitation)
            .delete(invitation_key.clone())
            .expect_version(&keys::user(&user_id), &user)
            .put_record(&keys::user(&user_id), &active)?
            .put_record(&keys::passkey(&user_id, &credential_id), &stored)?;
        let (commit, tokens) = self.new_session(commit, &active, &device_name)?;
        let event = AuditEvent::new(
            "passkey.enrolled",
            &user_id,
            active.account_id.as_deref(),
            now,
        )
        .target(&credential_id)
        .detail("device", &device_name)
        .source(&origin.source);
        self.commit_or_used(self.audit(commit, event)?)?;
        Ok(tokens)
    }

    fn commit_or_used(&self, commit: Commit) -> Result<()> {
        match self.store.commit(commit) {
            Err(StoreError::Conflict { .. }) => Err(DomainError::precondition(
                "CEREMONY_INVALID",
                "this invitation or account changed while enrolling; start again",
            )
            .into()),
            other => Ok(other?),
        }
    }

    /// Starts a sign-in: the one attempt a sign-in counts against its
    /// address, and with a username against that user. With a username the
    /// challenge lists that user's passkeys; an unknown username (or one
    /// without passkeys) gets a challenge that looks the same, listing
    /// stand-in credentials, so that usernames cannot be probed. Without a
    /// username it is a discoverable, usernameless challenge.
    pub fn start_login(&self, username: &str, origin: &Origin) -> Result<CeremonyStart> {
        let username = sign_in::username(username)?;
        self.limits.login_from(&origin.source)?;
        if username.is_empty() {
            let (options, state) = self
                .webauthn
                .start_discoverable_authentication()
                .map_err(webauthn_failure)?;
            let ceremony_id = self.store_ceremony(CeremonyStep::DiscoverableLogin { state })?;
            return Ok(CeremonyStart {
                ceremony_id,
                options_json: request_options_json(options)?,
            });
        }
        let user = get_value::<String>(self.store(), &keys::email(username))?
            .map(|id| self.user(&id))
            .transpose()?
            .flatten()
            .map(|u| u.value)
            .filter(|u| u.state == UserState::Active);
        let passkeys = match &user {
            Some(u) => self.stored_passkeys(&u.id)?,
            None => Vec::new(),
        };
        let (ceremony_id, options) = match user {
            Some(user) if !passkeys.is_empty() => {
                self.limits.login_for(SignInSubject::User(&user.id))?;
                let keys: Vec<_> = passkeys.into_iter().map(|(_, p)| p.passkey).collect();
                let (options, state) = self
                    .webauthn
                    .start_passkey_authentication(&keys)
                    .map_err(webauthn_failure)?;
                let id = self.store_ceremony(CeremonyStep::Login {
                    user_id: user.id,
                    state,
                })?;
                (id, options)
            }
            _ => {
                self.limits.login_for(SignInSubject::Unknown(username))?;
                let options = self.stand_in_challenge(username)?;
                (
                    self.store_ceremony(CeremonyStep::UnknownUserLogin)?,
                    options,
                )
            }
        };
        Ok(CeremonyStart {
            ceremony_id,
            options_json: request_options_json(options)?,
        })
    }

    /// A challenge for an unknown username, shaped as a known user's: the
    /// same fields, a fresh challenge, stable stand-in credential ids.
    fn stand_in_challenge(&self, username: &str) -> Result<RequestChallengeResponse> {
        let (mut options, _) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(webauthn_failure)?;
        options.mediation = None;
        options.public_key.extensions = None;
        let stand_ins: Vec<serde_json::Value> = self
            .stand_ins
            .ids(username)
            .iter()
            .map(|id| serde_json::json!({"type": "public-key", "id": credential_key(id)}))
            .collect();
        // Built from JSON, as a known user's list would be serialised.
        options.public_key.allow_credentials =
            serde_json::from_value(serde_json::Value::Array(stand_ins))
                .map_err(webauthn_failure)?;
        Ok(options)
    }

    /// Finishes a sign-in and starts a session on the device.
    pub fn finish_login(
        &self,
        ceremony_id: &str,
        credential_json: &str,
        device_name: &str,
        origin: &Origin,
    ) -> Result<IssuedTokens> {
        // The attempt was counted when the ceremony started: a ceremony is
        // finished at most once, so finishing costs nothing more.
        let device_name = input::label("device_name", device_name, false)?;
        let step = self.take_ceremony(ceremony_id)?;
        let credential: PublicKeyCredential = json_field(credential_json)?;
        let (user_id, verified) = match step {
            CeremonyStep::Login { user_id, state } => {
                let result = self
                    .webauthn
                    .finish_passkey_authentication(&credential, &state);
                (user_id, result)
            }
            CeremonyStep::DiscoverableLogin { state } => {
                let (uuid, credential_id) = self
                    .webauthn
                    .identify_discoverable_authentication(&credential)
                    .map_err(verification_failed)?;
                let user_id = uuid.to_string();
                // Usernameless sign-ins count against the user too.
                self.limits.login_for(SignInSubject::User(&user_id))?;
                let passkey = get_value::<StoredPasskey>(
                    self.store(),
                    &keys::passkey(&user_id, &credential_key(credential_id)),
                )?
                .ok_or_else(|| verification_failed("unknown credential"))?;
                let result = self.webauthn.finish_discoverable_authentication_v2(
                    &credential,
                    state,
                    &passkey.passkey,
                );
                (user_id, result)
            }
            CeremonyStep::UnknownUserLogin => {
                return Err(verification_failed("no such user"));
            }
            _ => return Err(wrong_ceremony()),
        };
        let result = match verified {
            Ok(result) => result,
            Err(e) => {
                let event = AuditEvent::new("login.failed", &user_id, None, now())
                    .detail("reason", e.to_string())
                    .source(&origin.source)
                    .failed();
                self.audit_alone(self.scoped(event, &user_id)?)?;
                return Err(verification_failed(e));
            }
        };
        let user = self
            .user(&user_id)?
            .map(|u| u.value)
            .filter(|u| u.state == UserState::Active)
            .ok_or_else(|| {
                DomainError::unauthenticated("USER_DISABLED", "this user can no longer sign in")
            })?;
        // The counter and backup state move with every use; a counter that
        // went backwards was refused by webauthn-rs as a cloned key.
        let credential_id = credential_key(result.cred_id().as_ref());
        let key = keys::passkey(&user_id, &credential_id);
        let stored = get::<StoredPasskey>(self.store(), &key)?
            .ok_or_else(|| verification_failed("passkey removed during sign-in"))?;
        let now = now();
        let mut updated = stored.value.clone();
        updated.passkey.update_credential(&result);
        updated.last_used = Some(now);
        let commit = Commit::new()
            .expect_version(&key, &stored)
            .put_record(&key, &updated)?;
        let (commit, tokens) = self.new_session(commit, &user, &device_name)?;
        let event = AuditEvent::new("login.succeeded", &user_id, user.account_id.as_deref(), now)
            .target(&credential_id)
            .detail("device", &device_name)
            .source(&origin.source);
        self.commit_or_used(self.audit(commit, event)?)?;
        Ok(tokens)
    }

    pub fn start_add_passkey(&self, caller: &Caller) -> Result<CeremonyStart> {
        caller.authorize_action(Action::SelfService)?;
        let user = self.signed_in_user(caller)?;
        let existing = self
            .stored_passkeys(&user.value.id)?
            .into_iter()
            .map(|(_, p)| p.passkey.cred_id().clone())
            .collect::<Vec<_>>();
        let (options, state) = self
            .webauthn
            .start_passkey_registration(
                uuid_of(&user.value)?,
                &user.value.email,
                &user.value.display_name,
                Some(existing),
            )
            .map_err(webauthn_failure)?;
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
        let credential_id = credential_key(passkey.cred_id().as_ref());
        let stored = StoredPasskey {
            user_id: user_id.clone(),
            name: name_or(&name, "Passkey"),
            passkey,
            created: now,
            last_used: None,
        };
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
        let target =
            get::<StoredPasskey>(self.store(), &key)?.ok_or_else(|| DomainError::NotFound {
                resource: "passkey",
                id: passkey_id.to_string(),
            })?;
        if all.len() <= 1 {
            return Err(DomainError::precondition(
                "LAST_PASSKEY",
                "this is your only passkey; add another before removing it",
            )
            .into());
        }
        // Expect every other passkey unchanged: two concurrent removals of
        // the last two cannot both succeed.
        let mut commit = Commit::new();
        for (other_key, _) in &all {
            if let Some(other) = get::<StoredPasskey>(self.store(), other_key)? {
                commit = commit.expect_version(other_key, &other);
            }
        }
        let _ = target;
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

fn wrong_ceremony() -> ServiceError {
    DomainError::precondition(
        "CEREMONY_INVALID",
        "this ceremony is not one this call can finish; start again",
    )
    .into()
}

fn name_or(name: &str, default: &str) -> String {
    if name.is_empty() {
        default.to_string()
    } else {
        name.to_string()
    }
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
