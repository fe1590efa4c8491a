//! The passkey callback the app implements: [`Authenticator`], over
//! Android's Credential Manager or iOS's ASAuthorization, with the standard
//! WebAuthn JSON both ways — the options as `navigator.credentials.create`
//! and `.get` take them (what Credential Manager's `requestJson` is), the
//! credential as `PublicKeyCredential.toJSON()` gives it (what its
//! `registrationResponseJson` and `authenticationResponseJson` are).
//!
//! [`Bridge`] adapts it to the SDK's `Authenticator`, converting JSON only.

use std::sync::Arc;

use tradeport_mobile::passkey::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};
use tradeport_mobile::{AuthenticatorError, Url};

/// Why the app's authenticator produced no credential.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum AuthenticatorFailure {
    /// The person dismissed the prompt, or it timed out.
    #[error("the passkey prompt was cancelled")]
    Cancelled,
    /// Nothing on this device can sign in to `rp_id`.
    #[error("no passkey for {rp_id}")]
    NoCredential { rp_id: String },
    /// Anything else the platform reported.
    #[error("the authenticator failed: {detail}")]
    Failed { detail: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for AuthenticatorFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed { detail: e.reason }
    }
}

/// A WebAuthn client and authenticator, implemented by the app with the
/// platform's passkey API. The SDK calls it in the middle of enrolment and
/// sign-in, on one of its own threads, and waits for the answer: blocking
/// until the person has answered the prompt is expected.
#[uniffi::export(with_foreign)]
pub trait Authenticator: Send + Sync {
    /// Creates a passkey. `options_json` is a
    /// `PublicKeyCredentialCreationOptions` in WebAuthn JSON; returns the
    /// `RegistrationResponseJSON` of the new credential. `origin` is the
    /// app's WebAuthn origin, for authenticators that build the client data
    /// themselves.
    fn register(
        &self,
        origin: String,
        options_json: String,
    ) -> Result<String, AuthenticatorFailure>;

    /// Signs a challenge with a passkey. `options_json` is a
    /// `PublicKeyCredentialRequestOptions` in WebAuthn JSON (an empty
    /// `allowCredentials` asks for any discoverable passkey, and the answer
    /// must then carry its `userHandle`); returns the
    /// `AuthenticationResponseJSON`.
    fn authenticate(
        &self,
        origin: String,
        options_json: String,
    ) -> Result<String, AuthenticatorFailure>;
}

/// The app's authenticator as the SDK's.
pub(crate) struct Bridge(pub(crate) Arc<dyn Authenticator>);

impl From<AuthenticatorFailure> for AuthenticatorError {
    fn from(failure: AuthenticatorFailure) -> Self {
        match failure {
            AuthenticatorFailure::Cancelled => Self::Cancelled,
            AuthenticatorFailure::NoCredential { rp_id } => Self::NoCredential { rp_id },
            AuthenticatorFailure::Failed { detail } => Self::Failed(detail),
        }
    }
}

/// The origin as client data carries it: `https://host[:port]`, no path.
fn web_origin(origin: &Url) -> String {
    origin.origin().ascii_serialization()
}

fn to_json(value: &impl serde::Serialize) -> Result<String, AuthenticatorError> {
    serde_json::to_string(value)
        .map_err(|e| AuthenticatorError::Failed(format!("the options do not encode: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, AuthenticatorError> {
    serde_json::from_str(json).map_err(|e| {
        AuthenticatorError::Failed(format!(
            "the authenticator's credential is not WebAuthn JSON: {e}"
        ))
    })
}

impl tradeport_mobile::Authenticator for Bridge {
    fn register(
        &mut self,
        origin: &Url,
        options: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, AuthenticatorError> {
        let json = self
            .0
            .register(web_origin(origin), to_json(&options.public_key)?)?;
        from_json(&json)
    }

    fn authenticate(
        &mut self,
        origin: &Url,
        options: RequestChallengeResponse,
    ) -> Result<PublicKeyCredential, AuthenticatorError> {
        let json = self
            .0
            .authenticate(web_origin(origin), to_json(&options.public_key)?)?;
        from_json(&json)
    }
}
