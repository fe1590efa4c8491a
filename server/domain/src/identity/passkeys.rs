//! Rules over a user's passkeys (the passkeys themselves, webauthn-rs
//! state, live with the identity use cases): what an unnamed passkey is
//! called, and that the last one stays, so nobody locks themselves out.

use crate::DomainError;

/// What a passkey given no name is called.
pub const DEFAULT_NAME: &str = "Passkey";

/// The name a passkey is kept under: `name` (checked), or the default.
pub fn name_or_default(name: &str) -> String {
    if name.is_empty() {
        DEFAULT_NAME.to_string()
    } else {
        name.to_string()
    }
}

/// Whether one of a user's `count` passkeys may be removed.
pub fn may_remove(count: usize) -> Result<(), DomainError> {
    if count > 1 {
        return Ok(());
    }
    Err(DomainError::precondition(
        "LAST_PASSKEY",
        "this is your only passkey; add another before removing it",
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_unnamed_passkey_is_called_passkey() {
        assert_eq!(name_or_default(""), "Passkey");
        assert_eq!(name_or_default("YubiKey"), "YubiKey");
    }

    #[test]
    fn the_last_passkey_stays() {
        assert!(may_remove(2).is_ok());
        for count in [0, 1] {
            assert!(matches!(
                may_remove(count).unwrap_err(),
                DomainError::FailedPrecondition {
                    reason: "LAST_PASSKEY",
                    ..
                }
            ));
        }
    }
}
