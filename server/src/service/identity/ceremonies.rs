//! Passkey ceremonies (webauthn-rs), what enrolment, sign-in and adding a
//! passkey share: keeping a ceremony's state between its two halves, and
//! the options JSON a client's authenticator is given.
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
    CreationChallengeResponse, PasskeyRegistration, RequestChallengeResponse, Uuid,
};
use webauthn_rs_proto::{AuthenticatorSelectionCriteria, ResidentKeyRequirement};

use super::passkey_records::{Ceremony, CeremonyStep};
use super::{Identity, Result, keys, now};
use crate::service::identity::secrets::new_id;
use crate::store::versioned::get;
use crate::store::{Commit, StoreError};
use tradeport_domain::DomainError;
use tradeport_domain::identity::records::User;

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

/// How a credential id is written in store keys and on the wire.
pub(super) fn credential_key(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// The client's answer to a ceremony, parsed.
pub(super) fn json_field<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T> {
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
    serde_json::to_string(value)
        .map_err(|e| ServiceError::internal(format!("encoding WebAuthn options: {e}")))
}

/// The creation options a client gets: unwrapped, and asking for a
/// discoverable credential. webauthn-rs's passkey registration discourages
/// one, so a security key (or any authenticator that does as asked) would
/// make a credential that usernameless sign-in can never find. Every
/// authenticator that can verify its user — which the server requires —
/// can store a discoverable credential, so "required" shuts out none.
pub(super) fn creation_options_json(options: CreationChallengeResponse) -> Result<String> {
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
pub(super) fn request_options_json(options: RequestChallengeResponse) -> Result<String> {
    to_json(&options.public_key)
}

pub(super) fn verification_failed(e: impl std::fmt::Display) -> ServiceError {
    tracing::info!(error = %e, "passkey verification failed");
    DomainError::unauthenticated(
        "PASSKEY_VERIFICATION_FAILED",
        "the passkey response did not verify",
    )
    .into()
}

pub(super) fn webauthn_failure(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::internal(format!("webauthn: {e}"))
}

pub(super) fn wrong_ceremony() -> ServiceError {
    DomainError::precondition(
        "CEREMONY_INVALID",
        "this ceremony is not one this call can finish; start again",
    )
    .into()
}

fn uuid_of(user: &User) -> Result<Uuid> {
    Uuid::parse_str(&user.id).map_err(|e| webauthn_failure(format!("user id is not a UUID: {e}")))
}

impl Identity {
    pub(super) fn store_ceremony(&self, step: CeremonyStep) -> Result<String> {
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
    pub(super) fn take_ceremony(&self, id: &str) -> Result<CeremonyStep> {
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

    /// Starts registering a new passkey for `user`: the options for the
    /// authenticator (which must not make a second credential for a
    /// passkey the user has) and the state its answer is checked against.
    pub(super) fn start_registration(
        &self,
        user: &User,
    ) -> Result<(CreationChallengeResponse, PasskeyRegistration)> {
        let existing = self
            .stored_passkeys(&user.id)?
            .into_iter()
            .map(|(_, p)| p.passkey.cred_id().clone())
            .collect::<Vec<_>>();
        self.webauthn
            .start_passkey_registration(
                uuid_of(user)?,
                &user.email,
                &user.display_name,
                Some(existing),
            )
            .map_err(webauthn_failure)
    }

    /// Commits what finishing a ceremony changed: a conflict means the
    /// invitation or account changed meanwhile, and the ceremony is over.
    pub(super) fn commit_or_used(&self, commit: Commit) -> Result<()> {
        match self.store.commit(commit) {
            Err(StoreError::Conflict { .. }) => Err(DomainError::precondition(
                "CEREMONY_INVALID",
                "this invitation or account changed while enrolling; start again",
            )
            .into()),
            other => Ok(other?),
        }
    }
}
