//! Passkeys on the device: the [`Authenticator`] trait the host app
//! implements with the platform's passkey APIs (Android Credential Manager,
//! iOS `ASAuthorizationController`), and [`SoftwarePasskey`], an in-memory
//! authenticator for development and tests only.
//!
//! Options and credentials are webauthn-rs's types. The server sends the
//! options as the standard WebAuthn JSON alone (what browsers parse); the
//! SDK puts them in webauthn-rs's `{"publicKey": …}` wrapper for
//! [`Authenticator`], and sends credentials back as the JSON they serialise to. This module never talks to the
//! server and never stores a private key anywhere but in process memory.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator as _;
use webauthn_authenticator_rs::error::WebauthnCError;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs_proto::ResidentKeyRequirement;

pub use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// Why an authenticator produced no credential.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthenticatorError {
    /// The person dismissed the passkey prompt, or it timed out.
    #[error("the passkey prompt was cancelled or timed out")]
    Cancelled,
    /// Nothing on this device can sign in to this relying party.
    #[error("no passkey for {rp_id} on this device")]
    NoCredential {
        /// The relying party (the portal's domain) asked for.
        rp_id: String,
    },
    /// Anything else the platform reported: a bad origin, an unsupported
    /// algorithm, a hardware failure.
    #[error("the authenticator failed: {0}")]
    Failed(String),
}

/// A WebAuthn client and authenticator, as the platform provides them. The
/// host app implements it over its passkey APIs; the SDK calls it in the
/// middle of enrolment and sign-in.
///
/// The calls are synchronous and wait for the person (biometrics, PIN), so
/// they block the calling thread for as long as the prompt is up: run the
/// SDK's flows on a multi-threaded runtime.
pub trait Authenticator: Send {
    /// Creates a passkey (`navigator.credentials.create`). `origin` is the
    /// app's WebAuthn origin, which the server's relying party must accept.
    fn register(
        &mut self,
        origin: &Url,
        options: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, AuthenticatorError>;

    /// Signs a challenge with a passkey (`navigator.credentials.get`). An
    /// empty `allow_credentials` asks for any discoverable passkey of the
    /// relying party, and the answer must then carry its user handle.
    fn authenticate(
        &mut self,
        origin: &Url,
        options: RequestChallengeResponse,
    ) -> Result<PublicKeyCredential, AuthenticatorError>;
}

/// **FOR DEVELOPMENT AND TESTS ONLY — NEVER SHIP THIS IN AN APP.**
///
/// A software passkey: P-256 keys generated and held in process memory by
/// webauthn-authenticator-rs's `SoftPasskey`. It is unsafe for real accounts
/// because:
///
/// - it **lies about user verification**: it sets the UV flag without asking
///   anyone for anything (`SoftPasskey::new(true)`, "falsify UV"). The server
///   requires user verification, so an honest software key could not sign in
///   at all; this one passes by claiming a check that never happened;
/// - its private keys sit unprotected in ordinary memory, not in a secure
///   enclave or keystore, and vanish when the process ends (`SoftPasskey`
///   offers no way to export or persist them).
///
/// `SoftPasskey` also cannot do discoverable (usernameless) sign-in: it only
/// signs for credentials listed in `allow_credentials`, never returns a user
/// handle, and refuses `requireResidentKey`. This wrapper remembers every
/// credential it creates with its relying party and user handle, and for a
/// discoverable request it offers the most recently created discoverable
/// credential of that relying party and attaches its user handle to the
/// answer — what a platform passkey does. The user handle is not covered by
/// the assertion signature, so this is faithful.
///
/// Like a security key, and unlike platform passkeys (which make every
/// credential discoverable), it does as the relying party asks: a
/// credential is discoverable only if the creation options asked for one
/// (`residentKey` "required" or "preferred", or `requireResidentKey`), so a
/// server that discourages them is caught by the first usernameless sign-in.
pub struct SoftwarePasskey {
    inner: SoftPasskey,
    /// Oldest first.
    credentials: Vec<HeldCredential>,
}

struct HeldCredential {
    rp_id: String,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    /// Offered to a request that lists no credentials.
    discoverable: bool,
}

impl SoftwarePasskey {
    /// An empty software passkey. See the type's documentation: development
    /// and tests only.
    pub fn new() -> Self {
        Self {
            inner: SoftPasskey::new(true),
            credentials: Vec::new(),
        }
    }

    /// How many credentials this passkey holds, for every relying party.
    pub fn credential_count(&self) -> usize {
        self.credentials.len()
    }
}

impl Default for SoftwarePasskey {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SoftwarePasskey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwarePasskey")
            .field("credentials", &self.credentials.len())
            .finish_non_exhaustive()
    }
}

impl Authenticator for SoftwarePasskey {
    fn register(
        &mut self,
        origin: &Url,
        mut options: CreationChallengeResponse,
    ) -> Result<RegisterPublicKeyCredential, AuthenticatorError> {
        let rp_id = options.public_key.rp.id.clone();
        let user_handle = options.public_key.user.id.clone();
        let discoverable = options
            .public_key
            .authenticator_selection
            .as_mut()
            .is_some_and(|selection| {
                let asked = selection.require_resident_key
                    || matches!(
                        selection.resident_key,
                        Some(ResidentKeyRequirement::Required | ResidentKeyRequirement::Preferred)
                    );
                // This wrapper keeps the credential discoverable itself;
                // SoftPasskey would refuse to make it.
                selection.require_resident_key = false;
                selection.resident_key = None;
                asked
            });
        let credential = self
            .inner
            .do_registration(origin.clone(), options)
            .map_err(from_webauthn)?;
        self.credentials.push(HeldCredential {
            rp_id,
            credential_id: credential.raw_id.clone(),
            user_handle,
            discoverable,
        });
        Ok(credential)
    }

    fn authenticate(
        &mut self,
        origin: &Url,
        mut options: RequestChallengeResponse,
    ) -> Result<PublicKeyCredential, AuthenticatorError> {
        let rp_id = options.public_key.rp_id.clone();
        let allowed = &options.public_key.allow_credentials;
        let held = self
            .credentials
            .iter()
            .rev()
            .filter(|c| c.rp_id == rp_id)
            .find(|c| {
                if allowed.is_empty() {
                    c.discoverable
                } else {
                    allowed.iter().any(|a| a.id == c.credential_id)
                }
            })
            .ok_or_else(|| AuthenticatorError::NoCredential {
                rp_id: rp_id.clone(),
            })?;
        if allowed.is_empty() {
            // AllowCredentials is not re-exported by webauthn-authenticator-rs,
            // so it is built from its standard JSON form.
            let descriptor = serde_json::json!({
                "type": "public-key",
                "id": URL_SAFE_NO_PAD.encode(&held.credential_id),
            });
            let descriptor = serde_json::from_value(descriptor)
                .map_err(|e| AuthenticatorError::Failed(e.to_string()))?;
            options.public_key.allow_credentials = vec![descriptor];
        }
        let user_handle = held.user_handle.clone();
        let mut credential = self
            .inner
            .do_authentication(origin.clone(), options)
            .map_err(from_webauthn)?;
        credential.response.user_handle = Some(user_handle);
        Ok(credential)
    }
}

fn from_webauthn(error: WebauthnCError) -> AuthenticatorError {
    match error {
        WebauthnCError::Cancelled => AuthenticatorError::Cancelled,
        other => AuthenticatorError::Failed(other.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use webauthn_rs::prelude::{
        DiscoverableKey, Passkey, PasskeyRegistration, Uuid, Webauthn, WebauthnBuilder,
    };

    const RP_ID: &str = "portal.example.com";

    fn origin() -> Url {
        Url::parse("https://portal.example.com").unwrap()
    }

    fn relying_party() -> Webauthn {
        WebauthnBuilder::new(RP_ID, &origin())
            .unwrap()
            .rp_name("Tradeport")
            .build()
            .unwrap()
    }

    /// Registers a credential the way Tradeport's server asks for one: as
    /// a discoverable credential.
    fn enrol(rp: &Webauthn, passkey: &mut SoftwarePasskey, user: Uuid, name: &str) -> Passkey {
        enrol_asking(rp, passkey, user, name, ResidentKeyRequirement::Required)
    }

    fn enrol_asking(
        rp: &Webauthn,
        passkey: &mut SoftwarePasskey,
        user: Uuid,
        name: &str,
        resident_key: ResidentKeyRequirement,
    ) -> Passkey {
        let (options, state) = registration(rp, user, name, resident_key);
        let credential = passkey.register(&origin(), options).unwrap();
        rp.finish_passkey_registration(&credential, &state).unwrap()
    }

    fn registration(
        rp: &Webauthn,
        user: Uuid,
        name: &str,
        resident_key: ResidentKeyRequirement,
    ) -> (CreationChallengeResponse, PasskeyRegistration) {
        let (mut options, state) = rp
            .start_passkey_registration(user, name, name, None)
            .unwrap();
        let selection = options.public_key.authenticator_selection.as_mut().unwrap();
        selection.resident_key = Some(resident_key);
        selection.require_resident_key = resident_key == ResidentKeyRequirement::Required;
        (options, state)
    }

    #[test]
    fn a_credential_not_asked_to_be_discoverable_signs_in_only_by_name() {
        let rp = relying_party();
        let mut passkey = SoftwarePasskey::new();
        let ada = Uuid::new_v4();
        let key = enrol_asking(
            &rp,
            &mut passkey,
            ada,
            "ada@dealer.example",
            ResidentKeyRequirement::Discouraged,
        );
        let (options, _) = rp.start_discoverable_authentication().unwrap();
        assert!(matches!(
            passkey.authenticate(&origin(), options),
            Err(AuthenticatorError::NoCredential { .. })
        ));
        let (options, state) = rp
            .start_passkey_authentication(std::slice::from_ref(&key))
            .unwrap();
        let credential = passkey.authenticate(&origin(), options).unwrap();
        rp.finish_passkey_authentication(&credential, &state)
            .unwrap();

        // "preferred" is honoured like "required", as security keys do.
        let ben = Uuid::new_v4();
        let bens = enrol_asking(
            &rp,
            &mut passkey,
            ben,
            "ben@dealer.example",
            ResidentKeyRequirement::Preferred,
        );
        assert_eq!(discoverable_login(&rp, &mut passkey, &[(ben, bens)]), ben);
    }

    /// A usernameless sign-in; returns the user the credential identified.
    fn discoverable_login(
        rp: &Webauthn,
        passkey: &mut SoftwarePasskey,
        registered: &[(Uuid, Passkey)],
    ) -> Uuid {
        let (options, state) = rp.start_discoverable_authentication().unwrap();
        assert!(options.public_key.allow_credentials.is_empty());
        // What the server sends and the device receives: JSON both ways.
        let options = serde_json::from_str(&serde_json::to_string(&options).unwrap()).unwrap();
        let credential = passkey.authenticate(&origin(), options).unwrap();
        let credential: PublicKeyCredential =
            serde_json::from_str(&serde_json::to_string(&credential).unwrap()).unwrap();

        let (user, credential_id) = rp
            .identify_discoverable_authentication(&credential)
            .unwrap();
        let (_, key) = registered
            .iter()
            .find(|(u, k)| *u == user && k.cred_id().as_slice() == credential_id)
            .expect("the identified user and credential were registered");
        let key: DiscoverableKey = key.into();
        let result = rp
            .finish_discoverable_authentication_v2(&credential, state, &key)
            .unwrap();
        assert!(result.user_verified());
        user
    }

    #[test]
    fn registers_then_signs_in_without_a_username() {
        let rp = relying_party();
        let mut passkey = SoftwarePasskey::new();
        let ada = Uuid::new_v4();
        let key = enrol(&rp, &mut passkey, ada, "ada@dealer.example");
        assert_eq!(passkey.credential_count(), 1);

        let user = discoverable_login(&rp, &mut passkey, &[(ada, key)]);
        assert_eq!(user, ada);
    }

    #[test]
    fn signs_in_with_a_username_and_allow_credentials() {
        let rp = relying_party();
        let mut passkey = SoftwarePasskey::new();
        let ada = Uuid::new_v4();
        let key = enrol(&rp, &mut passkey, ada, "ada@dealer.example");

        let (options, state) = rp
            .start_passkey_authentication(std::slice::from_ref(&key))
            .unwrap();
        assert_eq!(options.public_key.allow_credentials.len(), 1);
        let credential = passkey.authenticate(&origin(), options).unwrap();
        assert_eq!(
            credential.response.user_handle.as_deref(),
            Some(ada.as_bytes().as_slice())
        );
        let result = rp
            .finish_passkey_authentication(&credential, &state)
            .unwrap();
        assert_eq!(result.cred_id(), key.cred_id());
        assert!(result.user_verified());
    }

    #[test]
    fn a_second_passkey_and_a_second_user_sign_in_too() {
        let rp = relying_party();
        let mut phone = SoftwarePasskey::new();
        let ada = Uuid::new_v4();
        let first = enrol(&rp, &mut phone, ada, "ada@dealer.example");
        // Ada adds a passkey on a second device.
        let mut tablet = SoftwarePasskey::new();
        let second = enrol(&rp, &mut tablet, ada, "ada@dealer.example");
        let registered = vec![(ada, first.clone()), (ada, second.clone())];
        assert_eq!(discoverable_login(&rp, &mut phone, &registered), ada);
        assert_eq!(discoverable_login(&rp, &mut tablet, &registered), ada);

        // Ben enrols on Ada's phone: the newest credential answers a
        // discoverable request, and a named request still finds Ada's.
        let ben = Uuid::new_v4();
        let bens = enrol(&rp, &mut phone, ben, "ben@dealer.example");
        let registered = vec![(ada, first.clone()), (ada, second), (ben, bens)];
        assert_eq!(discoverable_login(&rp, &mut phone, &registered), ben);

        let (options, state) = rp
            .start_passkey_authentication(std::slice::from_ref(&first))
            .unwrap();
        let credential = phone.authenticate(&origin(), options).unwrap();
        assert_eq!(
            credential.response.user_handle.as_deref(),
            Some(ada.as_bytes().as_slice())
        );
        rp.finish_passkey_authentication(&credential, &state)
            .unwrap();
    }

    #[test]
    fn without_a_credential_for_the_relying_party_it_refuses() {
        let mut passkey = SoftwarePasskey::new();
        let rp = relying_party();
        let (options, _) = rp.start_discoverable_authentication().unwrap();
        let error = passkey.authenticate(&origin(), options).unwrap_err();
        assert!(
            matches!(&error, AuthenticatorError::NoCredential { rp_id } if rp_id == RP_ID),
            "{error}"
        );

        // A credential for another relying party does not count.
        let other_origin = Url::parse("https://other.example.org").unwrap();
        let other = WebauthnBuilder::new("other.example.org", &other_origin)
            .unwrap()
            .build()
            .unwrap();
        let (options, _) = registration(
            &other,
            Uuid::new_v4(),
            "x",
            ResidentKeyRequirement::Required,
        );
        passkey.register(&other_origin, options).unwrap();
        let (options, _) = rp.start_discoverable_authentication().unwrap();
        assert!(matches!(
            passkey.authenticate(&origin(), options),
            Err(AuthenticatorError::NoCredential { .. })
        ));
    }

    #[test]
    fn an_origin_outside_the_relying_party_is_refused() {
        let rp = relying_party();
        let mut passkey = SoftwarePasskey::new();
        let (options, _) = rp
            .start_passkey_registration(Uuid::new_v4(), "x", "x", None)
            .unwrap();
        let phishing = Url::parse("https://portal-example.com").unwrap();
        assert!(matches!(
            passkey.register(&phishing, options),
            Err(AuthenticatorError::Failed(_))
        ));
        assert_eq!(passkey.credential_count(), 0);
    }
}
