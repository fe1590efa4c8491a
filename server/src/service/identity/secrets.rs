//! Bearer secrets: 256 random bits from the operating system's CSPRNG,
//! base64url, with a short prefix saying what the secret is (so a leaked
//! one is recognisable in a scanner). Only SHA-256 hashes are stored; a
//! secret is compared by looking its hash up, never by comparing strings.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

pub use tradeport_domain::identity::secrets::{
    ACCESS_PREFIX, API_KEY_PREFIX, INVITATION_PREFIX, REFRESH_PREFIX,
};

/// 32 bytes = 256 bits.
const SECRET_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomFailure;

pub fn new_secret(prefix: &str) -> Result<String, RandomFailure> {
    let mut bytes = [0u8; SECRET_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomFailure)?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// A random id for records (not a secret, but unguessable all the same).
pub fn new_id(prefix: &str) -> Result<String, RandomFailure> {
    let mut bytes = [0u8; 12];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomFailure)?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The stored form of a secret: hex SHA-256.
pub fn hash(secret: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, secret.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_prefixed_and_distinct() {
        let a = new_secret(ACCESS_PREFIX).unwrap();
        let b = new_secret(ACCESS_PREFIX).unwrap();
        assert!(a.starts_with("tpa_"));
        assert_ne!(a, b);
        let raw = URL_SAFE_NO_PAD.decode(&a[4..]).unwrap();
        assert_eq!(raw.len() * 8, 256);
    }

    #[test]
    fn hashes_are_stable_and_hide_the_secret() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!hash("tpa_secret").contains("secret"));
    }
}
