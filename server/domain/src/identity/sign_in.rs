//! Sign-in rules: who may enrol a first passkey with an invitation, who
//! may sign in, and what keeps a sign-in from telling a stranger anything —
//! how long a username may be (the stand-in passkeys an unknown username
//! is answered with are made in the identity use cases, by webauthn-rs).
//! Never answer differently for a username that has no passkeys: that is
//! the probe these rules exist to defeat.

use super::records::{Invitation, Millis, User, UserState};
use crate::DomainError;

/// The longest username (an email address: at most 254 characters).
pub const MAX_USERNAME_CHARS: usize = 254;

/// The username of a sign-in, trimmed; empty for a usernameless sign-in.
/// Anything longer than an email address can be is refused before it is
/// looked up, counted or kept anywhere.
pub fn username(raw: &str) -> Result<&str, DomainError> {
    let name = raw.trim();
    if name.chars().nth(MAX_USERNAME_CHARS).is_some() {
        return Err(DomainError::invalid(
            "USERNAME_TOO_LONG",
            "username",
            format!("is longer than {MAX_USERNAME_CHARS} characters"),
        ));
    }
    Ok(name)
}

fn invitation_invalid() -> DomainError {
    DomainError::unauthenticated(
        "INVITATION_INVALID",
        "this invitation code is unknown, used or expired",
    )
}

/// An invitation code's record, if it can still be used at `now`.
pub fn usable_invitation(
    invitation: Option<Invitation>,
    now: Millis,
) -> Result<Invitation, DomainError> {
    invitation
        .filter(|i| now < i.expires)
        .ok_or_else(invitation_invalid)
}

/// The user an invitation is for, if they may still enrol: a disabled
/// user's invitation is as good as none.
pub fn may_enrol(user: Option<User>) -> Result<User, DomainError> {
    user.filter(|u| u.state != UserState::Disabled)
        .ok_or_else(invitation_invalid)
}

/// Whether `user` may sign in: only an active user may.
pub fn is_active(user: &User) -> bool {
    user.state == UserState::Active
}

/// The user a sign-in or a call is for, if they may still sign in.
pub fn may_sign_in(user: Option<User>) -> Result<User, DomainError> {
    user.filter(is_active).ok_or_else(|| {
        DomainError::unauthenticated("USER_DISABLED", "this user can no longer sign in")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_username_up_to_an_email_length_passes_trimmed() {
        assert_eq!(username("  a@x.example ").unwrap(), "a@x.example");
        assert_eq!(username("").unwrap(), "");
        let longest = "é".repeat(MAX_USERNAME_CHARS);
        assert!(username(&longest).is_ok());
    }

    #[test]
    fn a_longer_username_is_refused_naming_the_field() {
        let err = username(&"a".repeat(MAX_USERNAME_CHARS + 1)).unwrap_err();
        let DomainError::InvalidArgument { violations, .. } = err else {
            panic!("{err:?}");
        };
        assert_eq!(violations[0].field, "username");
    }

    fn user(state: UserState) -> User {
        User {
            id: "u".into(),
            account_id: None,
            unit_id: None,
            email: "a@x.example".into(),
            display_name: "A".into(),
            roles: vec![],
            state,
            assigned_accounts: vec![],
            territories: vec![],
            created: 0,
        }
    }

    fn reason(err: DomainError) -> &'static str {
        match err {
            DomainError::Unauthenticated { reason, .. } => reason,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_invitation_is_usable_until_it_expires() {
        let invitation = Invitation {
            user_id: "u".into(),
            expires: 100,
        };
        assert!(usable_invitation(Some(invitation.clone()), 99).is_ok());
        assert_eq!(
            reason(usable_invitation(Some(invitation), 100).unwrap_err()),
            "INVITATION_INVALID"
        );
        assert!(usable_invitation(None, 0).is_err());
    }

    #[test]
    fn invited_and_active_users_enrol_and_disabled_ones_do_not() {
        assert!(may_enrol(Some(user(UserState::Invited))).is_ok());
        assert!(may_enrol(Some(user(UserState::Active))).is_ok());
        let refused = may_enrol(Some(user(UserState::Disabled))).unwrap_err();
        assert_eq!(reason(refused), "INVITATION_INVALID");
        assert!(may_enrol(None).is_err());
    }

    #[test]
    fn only_active_users_sign_in() {
        assert!(may_sign_in(Some(user(UserState::Active))).is_ok());
        for refused in [
            Some(user(UserState::Invited)),
            Some(user(UserState::Disabled)),
            None,
        ] {
            assert_eq!(reason(may_sign_in(refused).unwrap_err()), "USER_DISABLED");
        }
    }
}
