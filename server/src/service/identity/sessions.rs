//! Sessions: issuing a device's tokens, rotating them, ending them, and
//! resolving a bearer credential (access token or API key) to a caller.

use crate::service::ServiceError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::denied::{self, Denial};
use super::{Identity, Origin, Result, keys, lists, now};
use crate::service::identity::secrets::{
    ACCESS_PREFIX, API_KEY_PREFIX, REFRESH_PREFIX, hash, new_id, new_secret,
};
use crate::store::versioned::{get, get_value};
use crate::store::{Commit, StoreError};
use tradeport_domain::DomainError;
use tradeport_domain::identity::audit::AuditEvent;
use tradeport_domain::identity::records::{
    ApiKeyRecord, Millis, Session, TokenKind, TokenRecord, User,
};
use tradeport_domain::identity::sessions::{
    RefreshDecision, check_access, check_api_key, current_session, may_revoke, on_refresh,
    session_end, token_expires,
};
use tradeport_domain::identity::sign_in::may_sign_in;
use tradeport_domain::identity::{Caller, CallerKind};

/// Tokens handed to a device, in the clear this once.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub access_expires: Millis,
    pub refresh_token: String,
    pub refresh_expires: Millis,
    pub session_id: String,
    pub user_id: String,
}

#[derive(Debug, Clone)]
pub struct DeviceInfo {
    pub session: Session,
    pub current: bool,
}

/// Writes "last used" at most once a minute per session or key: a write is
/// a disk flush, and a busy partner app calls many times a second.
#[derive(Default)]
pub(super) struct UseThrottle(Mutex<HashMap<String, Millis>>);

const USE_RECORD_INTERVAL_MS: Millis = 60_000;

/// Above this many remembered ids, stale ones are forgotten; if that is not
/// enough, a new id's use goes unrecorded (a timestamp is all it loses), so
/// the map stays bounded however many sessions come and go.
const USE_THROTTLE_PRUNE_AT: usize = 100_000;

impl UseThrottle {
    fn due(&self, id: &str, now: Millis) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return false;
        };
        if seen.len() >= USE_THROTTLE_PRUNE_AT && !seen.contains_key(id) {
            seen.retain(|_, last| now - *last < USE_RECORD_INTERVAL_MS);
            if seen.len() >= USE_THROTTLE_PRUNE_AT {
                return false;
            }
        }
        match seen.get(id) {
            Some(last) if now - last < USE_RECORD_INTERVAL_MS => false,
            _ => {
                seen.insert(id.to_string(), now);
                true
            }
        }
    }
}

impl Identity {
    /// Adds a new session for `user` on a device to `commit`.
    pub(super) fn new_session(
        &self,
        commit: Commit,
        user: &User,
        device_name: &str,
    ) -> Result<(Commit, IssuedTokens)> {
        let now = now();
        let session_id = new_id("dev_")?;
        let (commit, tokens) = self.issue_tokens(commit, &session_id, &user.id, now, now)?;
        let session = Session {
            id: session_id.clone(),
            user_id: user.id.clone(),
            device_name: device_name.chars().take(120).collect(),
            created: now,
            last_used: now,
            revoked: false,
            refresh_hash: hash(&tokens.refresh_token),
            refresh_expires: tokens.refresh_expires,
            access_hash: hash(&tokens.access_token),
            access_expires: tokens.access_expires,
        };
        let commit = commit
            .put_record(&keys::session(&session_id), &session)?
            .put(keys::user_session(&user.id, &session_id), Vec::new());
        Ok((commit, tokens))
    }

    fn session_lifetime(&self) -> Millis {
        super::ms(self.lifetimes.session)
    }

    /// New tokens for a session signed in at `session_created`; none lives
    /// past the session's end.
    fn issue_tokens(
        &self,
        commit: Commit,
        session_id: &str,
        user_id: &str,
        session_created: Millis,
        now: Millis,
    ) -> Result<(Commit, IssuedTokens)> {
        let end = session_end(session_created, self.session_lifetime());
        let tokens = IssuedTokens {
            access_token: new_secret(ACCESS_PREFIX)?,
            access_expires: token_expires(now, super::ms(self.lifetimes.access_token), end),
            refresh_token: new_secret(REFRESH_PREFIX)?,
            refresh_expires: token_expires(now, super::ms(self.lifetimes.refresh_token), end),
            session_id: session_id.to_string(),
            user_id: user_id.to_string(),
        };
        let commit = commit
            .put_record(
                &keys::token(&hash(&tokens.access_token)),
                &TokenRecord {
                    session_id: session_id.to_string(),
                    kind: TokenKind::Access,
                    expires: tokens.access_expires,
                },
            )?
            .put_record(
                &keys::token(&hash(&tokens.refresh_token)),
                &TokenRecord {
                    session_id: session_id.to_string(),
                    kind: TokenKind::Refresh,
                    expires: tokens.refresh_expires,
                },
            )?;
        Ok((commit, tokens))
    }

    /// Rotates a device's tokens. A refresh token used a second time ends
    /// the whole session family.
    pub fn refresh(&self, refresh_token: &str, origin: &Origin) -> Result<IssuedTokens> {
        let presented = hash(refresh_token);
        // A concurrent refresh of the same session makes our commit
        // conflict; the second pass then sees the token as rotated.
        for _ in 0..3 {
            let token = get::<TokenRecord>(self.store(), &keys::token(&presented))?;
            let session = match &token {
                Some(t) => get::<Session>(self.store(), &keys::session(&t.value.session_id))?,
                None => None,
            };
            let now = now();
            let decision = on_refresh(
                token.as_ref().map(|t| &t.value),
                session.as_ref().map(|s| &s.value),
                &presented,
                now,
                self.session_lifetime(),
            )?;
            let (Some(token), Some(session)) = (token, session) else {
                return Err(DomainError::unauthenticated(
                    "INVALID_REFRESH_TOKEN",
                    "refresh token is not valid",
                )
                .into());
            };
            let key = keys::session(&session.value.id);
            match decision {
                RefreshDecision::RevokeFamily => {
                    let mut revoked = session.value.clone();
                    revoked.revoked = true;
                    let event =
                        AuditEvent::new("session.refresh_reused", &revoked.user_id, None, now)
                            .target(&revoked.id)
                            .source(&origin.source)
                            .failed();
                    let commit = Commit::new()
                        .expect_version(&key, &session)
                        .put_record(&key, &revoked)?;
                    let commit = self.audit(commit, self.scoped(event, &revoked.user_id)?)?;
                    match self.store.commit(commit) {
                        Err(StoreError::Conflict { .. }) => continue,
                        other => other?,
                    }
                    return Err(DomainError::unauthenticated(
                        "REFRESH_TOKEN_REUSED",
                        "this refresh token was already used; the device's session has been ended — sign in again",
                    )
                    .into());
                }
                RefreshDecision::Rotate => {
                    let old = session.value.clone();
                    let (commit, tokens) =
                        self.issue_tokens(Commit::new(), &old.id, &old.user_id, old.created, now)?;
                    let updated = Session {
                        last_used: now,
                        refresh_hash: hash(&tokens.refresh_token),
                        refresh_expires: tokens.refresh_expires,
                        access_hash: hash(&tokens.access_token),
                        access_expires: tokens.access_expires,
                        ..old.clone()
                    };
                    let rotated = TokenRecord {
                        kind: TokenKind::RotatedRefresh,
                        ..token.value.clone()
                    };
                    let commit = commit
                        .expect_version(&key, &session)
                        .put_record(&key, &updated)?
                        .put_record(&keys::token(&presented), &rotated)?
                        .delete(keys::token(&old.access_hash));
                    match self.store.commit(commit) {
                        Err(StoreError::Conflict { .. }) => continue,
                        other => other?,
                    }
                    return Ok(tokens);
                }
            }
        }
        Err(ServiceError::Store(StoreError::Conflict {
            key: "session".into(),
        }))
    }

    /// Gives `event` the account of `user_id`, so it lands in that
    /// account's audit trail.
    pub(super) fn scoped(&self, mut event: AuditEvent, user_id: &str) -> Result<AuditEvent> {
        if event.account_id.is_none() {
            event.account_id = self.user(user_id)?.and_then(|u| u.value.account_id);
        }
        Ok(event)
    }

    /// Resolves a bearer credential to the caller it stands for.
    pub fn resolve(&self, bearer: &str) -> Result<Caller> {
        if bearer.starts_with(API_KEY_PREFIX) {
            return self.resolve_api_key(bearer);
        }
        let now = now();
        let token = get_value::<TokenRecord>(self.store(), &keys::token(&hash(bearer)))?;
        let session = match &token {
            Some(t) => get::<Session>(self.store(), &keys::session(&t.session_id))?,
            None => None,
        };
        check_access(
            token.as_ref(),
            session.as_ref().map(|s| &s.value),
            now,
            self.session_lifetime(),
        )?;
        let Some(session) = session else {
            return Err(DomainError::unauthenticated(
                "INVALID_TOKEN",
                "the bearer token is not valid",
            )
            .into());
        };
        let user = may_sign_in(self.user(&session.value.user_id)?.map(|u| u.value))?;
        if self.throttle.due(&session.value.id, now) {
            let mut used = session.value.clone();
            used.last_used = now;
            let key = keys::session(&used.id);
            // Losing this race to a rotation only loses a timestamp.
            let _ = self.store.commit(
                Commit::new()
                    .expect_version(&key, &session)
                    .put_record(&key, &used)?,
            );
        }
        Ok(Caller::user(user, session.value.id))
    }

    fn resolve_api_key(&self, secret: &str) -> Result<Caller> {
        let invalid =
            || DomainError::unauthenticated("INVALID_API_KEY", "the API key is not valid");
        let id = get_value::<String>(self.store(), &keys::api_key_hash(&hash(secret)))?
            .ok_or_else(invalid)?;
        let key = get::<ApiKeyRecord>(self.store(), &keys::api_key(&id))?.ok_or_else(invalid)?;
        check_api_key(&key.value)?;
        let now = now();
        if self.throttle.due(&key.value.id, now) {
            let mut used = key.value.clone();
            used.last_used = Some(now);
            let record_key = keys::api_key(&used.id);
            let event = AuditEvent::new("api_key.used", &used.id, used.account_id.as_deref(), now)
                .target(&used.id);
            let commit = Commit::new()
                .expect_version(&record_key, &key)
                .put_record(&record_key, &used)?;
            let _ = self.store.commit(self.audit(commit, event)?);
        }
        Ok(Caller::api_key(key.value))
    }

    /// Lets a sales rep (or other brand staff) act for a customer account,
    /// recording the call in that account's audit trail. An account that
    /// exists but is not the caller's to act for answers as a missing one,
    /// and the attempt is recorded in the brand's trail.
    pub fn act_on_behalf(
        self: &Arc<Self>,
        mut caller: Caller,
        account_id: &str,
        rpc: &str,
        origin: &Origin,
    ) -> Result<Caller> {
        let account = self.account(account_id)?.map(|a| a.value);
        if let Err(refused) = caller.may_act_for(account.as_ref(), account_id) {
            if let DomainError::Hidden { resource, id } = &refused {
                denied::record(self, &caller, Denial::new(resource, id), rpc, origin);
            }
            return Err(refused.into());
        }
        let event = AuditEvent::new("call.on_behalf_of", &caller.id, Some(account_id), now())
            .on_behalf_of(Some(account_id))
            .detail("rpc", rpc)
            .source(&origin.source);
        self.audit_alone(event)?;
        caller.on_behalf_of = Some(account_id.to_string());
        Ok(caller)
    }

    /// The name shown for who is signed in: a user's display name; an API
    /// key has none.
    pub fn shown_name(&self, caller: &Caller) -> Result<String> {
        Ok(match caller.kind {
            CallerKind::User => self
                .user(&caller.id)?
                .map(|u| u.value.display_name)
                .unwrap_or_default(),
            CallerKind::ApiKey => String::new(),
        })
    }

    /// A page of the caller's signed-in devices.
    pub fn devices(
        &self,
        caller: &Caller,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<DeviceInfo>, String)> {
        let devices = self.signed_in_devices(caller)?;
        lists::paged(devices, page_size, page_token, 0)
    }

    /// Every device the caller is signed in on.
    pub(super) fn signed_in_devices(&self, caller: &Caller) -> Result<Vec<DeviceInfo>> {
        Ok(self
            .indexed::<Session>(&keys::user_sessions(&caller.id), 10_000, keys::session)?
            .into_iter()
            .filter(|(_, session)| !session.revoked)
            .map(|(id, session)| DeviceInfo {
                current: caller.session_id.as_deref() == Some(id.as_str()),
                session,
            })
            .collect())
    }

    /// Ends the session the caller called through.
    pub fn logout(&self, caller: &Caller, origin: &Origin) -> Result<()> {
        self.revoke_device(caller, current_session(caller)?, origin)
    }

    /// Ends one of the caller's sessions (their own only).
    pub fn revoke_device(&self, caller: &Caller, session_id: &str, origin: &Origin) -> Result<()> {
        let key = keys::session(session_id);
        // Anyone else's session, or an ended one, is as missing.
        let session = get::<Session>(self.store(), &key)?
            .filter(|s| may_revoke(caller, &s.value))
            .ok_or_else(|| DomainError::NotFound {
                resource: "device",
                id: session_id.to_string(),
            })?;
        let mut revoked = session.value.clone();
        revoked.revoked = true;
        let event = AuditEvent::new(
            "session.revoked",
            &caller.id,
            caller.account_id.as_deref(),
            now(),
        )
        .target(session_id)
        .source(&origin.source);
        let commit = Commit::new()
            .expect_version(&key, &session)
            .put_record(&key, &revoked)?;
        Ok(self.store.commit(self.audit(commit, event)?)?)
    }

    /// Ends every session of `user_id`, into `commit`.
    pub(super) fn revoke_all_sessions(&self, mut commit: Commit, user_id: &str) -> Result<Commit> {
        let sessions =
            self.indexed::<Session>(&keys::user_sessions(user_id), 100_000, keys::session)?;
        for (id, mut session) in sessions {
            if !session.revoked {
                session.revoked = true;
                commit = commit.put_record(&keys::session(&id), &session)?;
            }
        }
        Ok(commit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn use_is_recorded_once_a_minute_per_id() {
        let throttle = UseThrottle::default();
        assert!(throttle.due("s1", 0));
        assert!(!throttle.due("s1", USE_RECORD_INTERVAL_MS - 1));
        assert!(throttle.due("s2", 1));
        assert!(throttle.due("s1", USE_RECORD_INTERVAL_MS));
    }
}
