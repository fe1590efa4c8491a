//! Sign-in rules that keep a sign-in from telling a stranger anything: how
//! long a username may be (the stand-in passkeys an unknown username is
//! answered with are made in the identity use cases, by webauthn-rs).
//! Never answer differently for a username that has no passkeys: that is
//! the probe these rules exist to defeat.

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
}
