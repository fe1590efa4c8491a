//! Signing in with a passkey: by username, or usernameless with a
//! discoverable credential. Every sign-in counts against its address, and
//! against the user it is for, so guessing is slow; an unknown username is
//! answered exactly like a known one (see `stand_ins`).

use webauthn_rs::prelude::{PublicKeyCredential, RequestChallengeResponse};

use super::ceremonies::{
    CeremonyStart, credential_key, json_field, request_options_json, verification_failed,
    webauthn_failure, wrong_ceremony,
};
use super::limits::SignInSubject;
use super::passkey_records::{CeremonyStep, StoredPasskey};
use super::{Identity, Origin, Result, keys, now};
use crate::service::identity::sessions::IssuedTokens;
use crate::store::Commit;
use crate::store::versioned::{get, get_value};
use tradeport_domain::identity::audit::AuditEvent;
use tradeport_domain::identity::input;
use tradeport_domain::identity::sign_in::{self, is_active, may_sign_in};

impl Identity {
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
            .filter(is_active);
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
        let user = may_sign_in(self.user(&user_id)?.map(|u| u.value))?;
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
}
