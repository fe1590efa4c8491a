//! Session rules: a short-lived access token and a single-use refresh token
//! per device. Refreshing rotates both; presenting a refresh token that was
//! already rotated means two parties hold it — the device's whole session
//! family is revoked, so a thief's copy and the owner's both stop working
//! and the owner signs in again.
//!
//! A session also ends at a set age from its sign-in, however often it is
//! refreshed: then only a passkey sign-in (a new session) lets the person
//! in again. No token is issued to outlive its session.

use super::Caller;
use super::records::{ApiKeyRecord, Millis, Session, TokenKind, TokenRecord};
use crate::DomainError;

/// What presenting a refresh token leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Issue new tokens for this session.
    Rotate,
    /// The token was used before: end the session family.
    RevokeFamily,
}

/// When a session ends whatever is refreshed: `lifetime` after its sign-in.
pub fn session_end(session_created: Millis, lifetime: Millis) -> Millis {
    session_created.saturating_add(lifetime)
}

/// When a token issued at `now` to live `lifetime` expires: never after
/// its session's `end`.
pub fn token_expires(now: Millis, lifetime: Millis, end: Millis) -> Millis {
    now.saturating_add(lifetime).min(end)
}

fn session_expired() -> DomainError {
    DomainError::unauthenticated(
        "SESSION_EXPIRED",
        "this device's session reached its maximum age; sign in again with a passkey",
    )
}

pub fn on_refresh(
    token: Option<&TokenRecord>,
    session: Option<&Session>,
    presented_hash: &str,
    now: Millis,
    session_lifetime: Millis,
) -> Result<RefreshDecision, DomainError> {
    let invalid =
        || DomainError::unauthenticated("INVALID_REFRESH_TOKEN", "refresh token is not valid");
    let (Some(token), Some(session)) = (token, session) else {
        return Err(invalid());
    };
    if session.revoked {
        return Err(DomainError::unauthenticated(
            "SESSION_REVOKED",
            "this device's session was ended; sign in again",
        ));
    }
    if now >= session_end(session.created, session_lifetime) {
        return Err(session_expired());
    }
    match token.kind {
        TokenKind::RotatedRefresh => Ok(RefreshDecision::RevokeFamily),
        TokenKind::Refresh if session.refresh_hash == presented_hash => {
            if now >= session.refresh_expires {
                Err(DomainError::unauthenticated(
                    "REFRESH_TOKEN_EXPIRED",
                    "refresh token expired; sign in again",
                ))
            } else {
                Ok(RefreshDecision::Rotate)
            }
        }
        _ => Err(invalid()),
    }
}

/// Checks an access token's session at call time.
pub fn check_access(
    token: Option<&TokenRecord>,
    session: Option<&Session>,
    now: Millis,
    session_lifetime: Millis,
) -> Result<(), DomainError> {
    let invalid = || DomainError::unauthenticated("INVALID_TOKEN", "the bearer token is not valid");
    let (Some(token), Some(session)) = (token, session) else {
        return Err(invalid());
    };
    if token.kind != TokenKind::Access {
        return Err(invalid());
    }
    if session.revoked {
        return Err(DomainError::unauthenticated(
            "SESSION_REVOKED",
            "this device's session was ended; sign in again",
        ));
    }
    if now >= session_end(session.created, session_lifetime) {
        return Err(session_expired());
    }
    if now >= token.expires {
        return Err(DomainError::unauthenticated(
            "TOKEN_EXPIRED",
            "the access token expired; refresh it",
        ));
    }
    Ok(())
}

/// Checks an API key at call time: a revoked key is refused.
pub fn check_api_key(key: &ApiKeyRecord) -> Result<(), DomainError> {
    if key.revoked {
        return Err(DomainError::unauthenticated(
            "API_KEY_REVOKED",
            "the API key was revoked",
        ));
    }
    Ok(())
}

/// The session `caller` called through, to end it: an API key has none.
pub fn current_session(caller: &Caller) -> Result<&str, DomainError> {
    caller.session_id.as_deref().ok_or_else(|| {
        DomainError::precondition(
            "NOT_A_SESSION",
            "API keys have no session to end; revoke the key",
        )
    })
}

/// Whether `caller` may end `session`: only one of their own that is
/// still live. The use case answers any other as missing.
pub fn may_revoke(caller: &Caller, session: &Session) -> bool {
    session.user_id == caller.id && !session.revoked
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIFE: Millis = 1_000_000;

    fn session() -> Session {
        Session {
            id: "s".into(),
            user_id: "u".into(),
            device_name: "phone".into(),
            created: 0,
            last_used: 0,
            revoked: false,
            refresh_hash: "r2".into(),
            refresh_expires: 1000,
            access_hash: "a2".into(),
            access_expires: 100,
        }
    }

    fn token(kind: TokenKind) -> TokenRecord {
        TokenRecord {
            session_id: "s".into(),
            kind,
            expires: 100,
        }
    }

    #[test]
    fn current_refresh_rotates_and_old_one_revokes_the_family() {
        let s = session();
        assert_eq!(
            on_refresh(Some(&token(TokenKind::Refresh)), Some(&s), "r2", 10, LIFE).unwrap(),
            RefreshDecision::Rotate
        );
        assert_eq!(
            on_refresh(
                Some(&token(TokenKind::RotatedRefresh)),
                Some(&s),
                "r1",
                10,
                LIFE
            )
            .unwrap(),
            RefreshDecision::RevokeFamily
        );
    }

    #[test]
    fn expired_revoked_and_unknown_refresh_tokens_are_refused() {
        let mut s = session();
        assert!(on_refresh(Some(&token(TokenKind::Refresh)), Some(&s), "r2", 1000, LIFE).is_err());
        assert!(on_refresh(None, Some(&s), "r2", 10, LIFE).is_err());
        assert!(on_refresh(Some(&token(TokenKind::Access)), Some(&s), "a2", 10, LIFE).is_err());
        s.revoked = true;
        assert!(on_refresh(Some(&token(TokenKind::Refresh)), Some(&s), "r2", 10, LIFE).is_err());
    }

    #[test]
    fn access_tokens_expire_and_die_with_their_session() {
        let mut s = session();
        assert!(check_access(Some(&token(TokenKind::Access)), Some(&s), 99, LIFE).is_ok());
        assert!(check_access(Some(&token(TokenKind::Access)), Some(&s), 100, LIFE).is_err());
        assert!(check_access(Some(&token(TokenKind::Refresh)), Some(&s), 10, LIFE).is_err());
        s.revoked = true;
        assert!(check_access(Some(&token(TokenKind::Access)), Some(&s), 10, LIFE).is_err());
    }

    #[test]
    fn a_session_refreshed_in_time_still_ends_at_its_maximum_age() {
        const DAY: Millis = 86_400_000;
        let mut s = session();
        s.refresh_expires = 60 * DAY;
        // Refreshed on day 20: fine; on day 29, with a fresh refresh token: fine.
        for day in [20, 29] {
            assert_eq!(
                on_refresh(
                    Some(&token(TokenKind::Refresh)),
                    Some(&s),
                    "r2",
                    day * DAY,
                    30 * DAY
                )
                .unwrap(),
                RefreshDecision::Rotate
            );
        }
        // Day 30: refused whatever the refresh token's own expiry says.
        let err = on_refresh(
            Some(&token(TokenKind::Refresh)),
            Some(&s),
            "r2",
            30 * DAY,
            30 * DAY,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            DomainError::Unauthenticated {
                reason: "SESSION_EXPIRED",
                ..
            }
        ));
        let mut access = token(TokenKind::Access);
        access.expires = 31 * DAY;
        assert!(check_access(Some(&access), Some(&s), 30 * DAY - 1, 30 * DAY).is_ok());
        assert!(check_access(Some(&access), Some(&s), 30 * DAY, 30 * DAY).is_err());
        assert_eq!(session_end(5, 30 * DAY), 30 * DAY + 5);
    }

    #[test]
    fn no_token_outlives_its_session() {
        assert_eq!(token_expires(10, 100, 1000), 110);
        assert_eq!(token_expires(950, 100, 1000), 1000);
        assert_eq!(token_expires(10, Millis::MAX, 1000), 1000);
    }

    fn caller(session_id: Option<&str>) -> Caller {
        Caller {
            kind: crate::identity::CallerKind::User,
            id: "u".into(),
            account_id: None,
            roles: vec![],
            session_id: session_id.map(Into::into),
            on_behalf_of: None,
            assigned_accounts: vec![],
            territories: vec![],
        }
    }

    #[test]
    fn a_caller_ends_only_their_own_live_sessions() {
        let me = caller(Some("s"));
        assert_eq!(current_session(&me).unwrap(), "s");
        assert!(matches!(
            current_session(&caller(None)).unwrap_err(),
            DomainError::FailedPrecondition {
                reason: "NOT_A_SESSION",
                ..
            }
        ));
        let mut s = session();
        assert!(may_revoke(&me, &s));
        s.user_id = "someone-else".into();
        assert!(!may_revoke(&me, &s));
        s.user_id = "u".into();
        s.revoked = true;
        assert!(!may_revoke(&me, &s));
    }

    #[test]
    fn a_revoked_api_key_is_refused() {
        let mut key = ApiKeyRecord {
            id: "k".into(),
            account_id: None,
            name: "ERP".into(),
            roles: vec![],
            secret_hash: "h".into(),
            created: 0,
            created_by: "u".into(),
            last_used: None,
            revoked: false,
        };
        assert!(check_api_key(&key).is_ok());
        key.revoked = true;
        assert!(matches!(
            check_api_key(&key).unwrap_err(),
            DomainError::Unauthenticated {
                reason: "API_KEY_REVOKED",
                ..
            }
        ));
    }
}
