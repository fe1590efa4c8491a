//! Keeping the session across app restarts: the app implements
//! [`SessionStore`] over the platform keystore (Android Keystore with
//! EncryptedSharedPreferences, the iOS Keychain), and a [`Client`] given
//! one with [`Client::with_session_store`] restores the session from it at
//! start, saves it on sign-in and refresh and clears it on sign-out.
//!
//! The same saved secret holds the sign-outs the server has not confirmed
//! yet (a person signing out offline): their tokens are the only way to end
//! those sessions on the server, so they live where the session did, out of
//! the device's local database, which signing out deletes. They are sent
//! again with the next sync or sign-in, or by
//! [`IdentityClient::retry_logouts`](crate::IdentityClient::retry_logouts).
//!
//! What this module must never do: write a token anywhere but the app's
//! store, or show one in `Debug` output or logs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use prost::Message;
use tradeport_proto::identity::SessionTokens;

#[cfg(doc)]
use crate::Client;

/// Where the app keeps the SDK's session secret between runs: one opaque
/// text value (the SDK's own encoding of the tokens), to be stored as a
/// secret — in the platform keystore, never in plain preferences or logs.
///
/// The SDK calls it from whichever thread signs in or refreshes, one call at
/// a time per client; calls are short and blocking.
pub trait SessionStore: Send + Sync {
    /// The value last saved, or `None` when nothing is saved.
    fn load(&self) -> Result<Option<String>, SessionStoreError>;
    /// Replaces the saved value.
    fn save(&self, secret: &str) -> Result<(), SessionStoreError>;
    /// Removes the saved value: nothing of the session is left to keep.
    fn clear(&self) -> Result<(), SessionStoreError>;
}

/// The app's session store failed; the message is the app's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the session store failed: {0}")]
pub struct SessionStoreError(pub String);

/// What is saved: the current session and the sign-outs the server has
/// not confirmed. Protobuf, so a newer SDK reads what an older one saved.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Saved {
    #[prost(message, optional, tag = "1")]
    pub(crate) session: Option<SessionTokens>,
    #[prost(message, repeated, tag = "2")]
    pub(crate) pending_logouts: Vec<SessionTokens>,
}

impl Saved {
    pub(crate) fn is_empty(&self) -> bool {
        self.session.is_none() && self.pending_logouts.is_empty()
    }

    pub(crate) fn encode_text(&self) -> String {
        STANDARD_NO_PAD.encode(self.encode_to_vec())
    }

    /// Reads a saved value; what cannot be read is reported, never guessed.
    pub(crate) fn decode_text(text: &str) -> Result<Self, SessionStoreError> {
        let bytes = STANDARD_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| SessionStoreError(format!("the saved session is not base64: {e}")))?;
        Saved::decode(bytes.as_slice())
            .map_err(|e| SessionStoreError(format!("the saved session is unreadable: {e}")))
    }
}

impl std::fmt::Debug for dyn SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionStore")
    }
}

/// A [`SessionStore`] in memory, for tests and tools: nothing survives the
/// process.
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    value: std::sync::Mutex<Option<String>>,
}

impl MemorySessionStore {
    fn value(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // Every write is one assignment: a poisoned lock holds a whole value.
        self.value
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a value is saved now.
    pub fn is_saved(&self) -> bool {
        self.value().is_some()
    }
}

impl SessionStore for MemorySessionStore {
    fn load(&self) -> Result<Option<String>, SessionStoreError> {
        Ok(self.value().clone())
    }

    fn save(&self, secret: &str) -> Result<(), SessionStoreError> {
        *self.value() = Some(secret.to_owned());
        Ok(())
    }

    fn clear(&self) -> Result<(), SessionStoreError> {
        *self.value() = None;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_value_reads_back_and_garbage_is_an_error() {
        let saved = Saved {
            session: Some(SessionTokens {
                access_token: "tpa_1".into(),
                device_id: "ses_1".into(),
                ..Default::default()
            }),
            pending_logouts: vec![SessionTokens {
                refresh_token: "tpr_0".into(),
                ..Default::default()
            }],
        };
        assert_eq!(Saved::decode_text(&saved.encode_text()).unwrap(), saved);
        assert!(Saved::default().is_empty());
        assert!(Saved::decode_text("not base64 !").is_err());
        assert!(Saved::decode_text("AAAA").is_err());
    }
}
