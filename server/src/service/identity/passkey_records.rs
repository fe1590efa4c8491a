//! The passkey records the identity use cases keep: a user's passkeys and
//! the WebAuthn ceremonies in progress. They hold webauthn-rs's own state,
//! which is why they live here and not with the domain's records: the
//! domain crate links no cryptography.

use serde::{Deserialize, Serialize};
use tradeport_domain::identity::Millis;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
};

/// A passkey of a user, with what the rules check on every use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPasskey {
    pub user_id: String,
    pub name: String,
    pub passkey: Passkey,
    pub created: Millis,
    pub last_used: Option<Millis>,
}

/// A WebAuthn ceremony in progress: kept server-side, used once, expiring.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ceremony {
    pub expires: Millis,
    pub step: CeremonyStep,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CeremonyStep {
    Enrolment {
        invitation_hash: String,
        user_id: String,
        state: PasskeyRegistration,
    },
    AddPasskey {
        user_id: String,
        state: PasskeyRegistration,
    },
    Login {
        user_id: String,
        state: PasskeyAuthentication,
    },
    DiscoverableLogin {
        state: DiscoverableAuthentication,
    },
    /// A sign-in by a username no active user with a passkey has: its
    /// challenge lists stand-in credentials, and no answer can finish it.
    UnknownUserLogin,
}
