//! The stand-in passkeys an unknown username is answered with, so that its
//! challenge looks like a known user's. Never answer differently for a
//! username that has no passkeys: that is the probe this exists to defeat.

use webauthn_rs::fake::{FakePasskeyDistribution, WebauthnFakeCredentialGenerator};

/// The stand-in passkeys of unknown usernames: webauthn-rs's generator,
/// which picks how many credentials and of which authenticators' id
/// lengths as real users have them, from an HMAC of the username under a
/// server secret — the same ids for a username every time, and nobody
/// without the secret can tell them from real ones.
pub struct StandInCredentials(WebauthnFakeCredentialGenerator<FakePasskeyDistribution>);

impl StandInCredentials {
    /// `secret` is 16 to 64 bytes, kept for good: changing it changes
    /// every unknown username's answer, which tells them apart.
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        WebauthnFakeCredentialGenerator::new(secret)
            .map(Self)
            .map_err(|e| format!("stand-in credential secret: {e}"))
    }

    /// The credential ids a challenge for the unknown `username` lists.
    /// Never none: every user who can sign in has a passkey.
    pub fn ids(&self, username: &str) -> Vec<Vec<u8>> {
        let name = username.trim().to_lowercase();
        // The generator gives some usernames no credential (users of a site
        // where passkeys are optional); those draw again with a suffix.
        let mut ids = Vec::new();
        for round in 0..16u8 {
            let mut seed = name.as_bytes().to_vec();
            if round > 0 {
                seed.extend([0, round]);
            }
            ids = self.0.generate(&seed).unwrap_or_default();
            if !ids.is_empty() {
                break;
            }
        }
        ids
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stand_ins_are_stable_per_username_and_secret_and_never_none() {
        let ours = StandInCredentials::new(&[7; 32]).unwrap();
        let theirs = StandInCredentials::new(&[8; 32]).unwrap();
        let a = ours.ids("Nobody@X.example");
        assert_eq!(a, ours.ids(" nobody@x.example"));
        assert_ne!(a, ours.ids("other@x.example"));
        assert_ne!(a, theirs.ids("nobody@x.example"));
        let counts: Vec<usize> = (0..300).map(|n| ours.ids(&format!("u{n}")).len()).collect();
        assert!(counts.iter().all(|c| *c >= 1));
        assert!(counts.contains(&1) && counts.iter().any(|c| *c > 1));
        assert!(StandInCredentials::new(b"short").is_err());
    }
}
