//! The credentials a [`Client`](crate::Client) and its clones share: the
//! session or static bearer sent as `authorization`, the sign-outs the
//! server has not confirmed yet, and the app's [`SessionStore`] they are
//! kept in between runs. Tokens are secrets: `Debug` never shows one.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tradeport_proto::identity::SessionTokens;

use crate::session_store::{Saved, SessionStore, SessionStoreError};

/// What a client presents as `authorization`, shared by its clones, and
/// the sign-outs the server has not confirmed yet.
#[derive(Default)]
pub(crate) struct Credentials {
    pub(crate) current: Mutex<Credential>,
    /// Sessions signed out here whose Logout the server has not confirmed:
    /// sent again until it does (see `session_store`). Locked after
    /// `current` when both are held.
    pub(crate) pending_logouts: Mutex<Vec<SessionTokens>>,
    /// Where the session and the pending sign-outs are kept between runs.
    pub(crate) store: Option<Arc<dyn SessionStore>>,
    /// Held across RefreshSession: the refresh token is single-use, so two
    /// concurrent refreshes must not both send the same one.
    pub(crate) refresh: tokio::sync::Mutex<()>,
    /// Held while the pending sign-outs are sent, so two retries never
    /// refresh one pending session's single-use token both.
    pub(crate) retrying_logouts: tokio::sync::Mutex<()>,
}

#[derive(Default)]
pub(crate) enum Credential {
    #[default]
    None,
    /// A signed-in session: the access token is sent, the refresh token is
    /// kept for [`IdentityClient::refresh`].
    Session(SessionTokens),
    /// A static bearer such as a partner app's API key.
    Bearer(String),
}

impl Credentials {
    fn lock(&self) -> MutexGuard<'_, Credential> {
        // A panic while holding the lock cannot leave a half-written
        // credential: every write is a single assignment.
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn session(&self) -> Option<SessionTokens> {
        match &*self.lock() {
            Credential::Session(tokens) => Some(tokens.clone()),
            _ => None,
        }
    }

    fn pending(&self) -> MutexGuard<'_, Vec<SessionTokens>> {
        // As above: every write is whole.
        self.pending_logouts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Credentials restored from `store`: the session saved there and the
    /// sign-outs still to confirm.
    pub(crate) fn restored(store: Arc<dyn SessionStore>) -> Result<Self, SessionStoreError> {
        let saved = match store.load()? {
            Some(text) => Saved::decode_text(&text)?,
            None => Saved::default(),
        };
        Ok(Self {
            current: Mutex::new(match saved.session {
                Some(tokens) => Credential::Session(tokens),
                None => Credential::None,
            }),
            pending_logouts: Mutex::new(saved.pending_logouts),
            store: Some(store),
            ..Self::default()
        })
    }

    /// Saves what is held now to the store, if there is one; called with
    /// `current` locked, so saves happen in the order of the changes.
    fn persist(&self, current: &Credential) -> Result<(), SessionStoreError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let saved = Saved {
            session: match current {
                Credential::Session(tokens) => Some(tokens.clone()),
                _ => None,
            },
            pending_logouts: self.pending().clone(),
        };
        if saved.is_empty() {
            store.clear()
        } else {
            store.save(&saved.encode_text())
        }
    }

    pub(crate) fn set_session(&self, tokens: SessionTokens) -> Result<(), SessionStoreError> {
        let mut current = self.lock();
        *current = Credential::Session(tokens);
        self.persist(&current)
    }

    pub(crate) fn clear(&self) -> Result<(), SessionStoreError> {
        let mut current = self.lock();
        *current = Credential::None;
        self.persist(&current)
    }

    /// Moves the session to the sign-outs to confirm and forgets it as the
    /// current one, in one save: the revocation is kept before anything is
    /// sent. Returns the session, if there was one.
    pub(crate) fn queue_logout(&self) -> Result<Option<SessionTokens>, SessionStoreError> {
        let mut current = self.lock();
        let Credential::Session(tokens) = std::mem::take(&mut *current) else {
            return Ok(None);
        };
        self.pending().push(tokens.clone());
        self.persist(&current)?;
        Ok(Some(tokens))
    }

    /// The sign-outs the server has not confirmed yet.
    pub(crate) fn pending_logouts(&self) -> Vec<SessionTokens> {
        self.pending().clone()
    }

    /// Replaces the pending sign-out of session `device_id` with `tokens`
    /// (refreshed), or, with `None`, drops it: the server confirmed it.
    pub(crate) fn update_pending_logout(
        &self,
        device_id: &str,
        tokens: Option<SessionTokens>,
    ) -> Result<(), SessionStoreError> {
        let current = self.lock();
        {
            let mut pending = self.pending();
            let at = pending.iter().position(|t| t.device_id == device_id);
            match (at, tokens) {
                (Some(at), Some(tokens)) => pending[at] = tokens,
                (Some(at), None) => {
                    pending.remove(at);
                }
                (None, _) => return Ok(()),
            }
        }
        self.persist(&current)
    }

    pub(crate) fn bearer(&self) -> Option<String> {
        match &*self.lock() {
            Credential::None => None,
            Credential::Session(tokens) => Some(tokens.access_token.clone()),
            Credential::Bearer(token) => Some(token.clone()),
        }
    }
}

impl std::fmt::Debug for Credentials {
    // Tokens are secrets: say what kind of credential is held, never its value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.lock() {
            Credential::None => f.write_str("None"),
            Credential::Session(tokens) => f
                .debug_struct("Session")
                .field("user_id", &tokens.user_id)
                .field("device_id", &tokens.device_id)
                .finish_non_exhaustive(),
            Credential::Bearer(_) => f.write_str("Bearer(..)"),
        }?;
        match self.pending().len() {
            0 => Ok(()),
            n => write!(f, " ({n} sign-out(s) to confirm)"),
        }
    }
}
