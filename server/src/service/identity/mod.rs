//! Identity use cases: each loads the records it needs, applies the rules of
//! `domain::identity`, and writes everything it changed — audit record
//! included — in one atomic commit, so nothing is ever half-written.
//!
//! Every use case authorises its caller itself, through the domain's one
//! check (`Caller::authorize`), so no front end can skip it.
//!
//! Split by concern: `applications` (applying and review), `people`
//! (invitations, users, roles, reps), `units`, `profile`, `privacy`
//! (export, erasure); passkey `ceremonies` with `enrolment`, `sign_in` and
//! `passkeys`; `sessions` (tokens, devices, resolving a bearer to a
//! caller); `api_keys`; `audit`. `scope` resolves the account or user a
//! request names for the caller, `lists` pages the short lists.

mod api_keys;
mod applications;
mod audit;
mod ceremonies;
pub mod denied;
mod enrolment;
mod idempotency;
mod limits;
mod lists;
mod passkey_records;
mod passkeys;
mod people;
mod privacy;
mod profile;
mod scope;
pub mod secrets;
mod sessions;
mod sign_in;
mod stand_ins;
mod sweep;
mod units;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use url::Url;
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::config::{Lifetimes, RateLimitConfig, WebauthnConfig};
use crate::service::identity::secrets::{RandomFailure, new_id};
use crate::store::versioned::{Versioned, get, get_value};
use crate::store::{Commit, Store, StoreError};
use stand_ins::StandInCredentials;
use tradeport_domain::identity::Caller;
use tradeport_domain::identity::audit::{AuditEvent, newest_first_key};
use tradeport_domain::identity::records::{Account, Millis, User};

pub use api_keys::NewApiKey;
pub use audit::AuditPage;
pub use ceremonies::CeremonyStart;
pub use limits::RateLimits;
pub use passkeys::PasskeyInfo;
pub use people::{Invitee, NewInvitation};
pub use sessions::{DeviceInfo, IssuedTokens};
pub use sweep::SweepReport;
pub use tradeport_domain::identity::applications::{ApplicationDecision, NewApplication};

pub use crate::service::Result;

/// Where a call came from, for rate limits and the audit trail.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The peer's IP address, or empty if unknown.
    pub source: String,
}

pub struct Identity {
    store: Arc<dyn Store>,
    webauthn: Webauthn,
    limits: RateLimits,
    lifetimes: Lifetimes,
    throttle: sessions::UseThrottle,
    /// What unknown usernames' sign-in challenges list.
    stand_ins: StandInCredentials,
    /// How often each caller's denied attempts are recorded.
    denials: limits::Limiter,
}

pub(crate) fn now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or_default()
}

fn ms(d: std::time::Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// Builds the relying party from configuration.
pub fn relying_party(config: &WebauthnConfig) -> anyhow::Result<Webauthn> {
    let origins: Vec<Url> = config
        .origins
        .iter()
        .map(|o| Url::parse(o).map_err(|e| anyhow::anyhow!("webauthn origin {o:?}: {e}")))
        .collect::<anyhow::Result<_>>()?;
    let (first, rest) = origins
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("no webauthn origin configured"))?;
    let mut builder = WebauthnBuilder::new(&config.rp_id, first)
        .map_err(|e| anyhow::anyhow!("webauthn relying party {:?}: {e}", config.rp_id))?
        .rp_name("Tradeport");
    for origin in rest {
        builder = builder.append_allowed_origin(origin);
    }
    builder
        .build()
        .map_err(|e| anyhow::anyhow!("webauthn configuration: {e}"))
}

/// A random secret of this server's, made on first use and kept in the
/// store for good, under `name`.
fn server_secret(store: &dyn Store, name: &str) -> anyhow::Result<Vec<u8>> {
    let key = keys::secret(name);
    for _ in 0..2 {
        if let Some(secret) = store.get(key.as_bytes())? {
            return Ok(secret);
        }
        let mut secret = vec![0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
            .map_err(|_| RandomFailure)?;
        match store.commit(
            Commit::new()
                .expect(key.clone(), None)
                .put(key.clone(), secret),
        ) {
            // Another opener made it first: read theirs.
            Err(StoreError::Conflict { .. }) => continue,
            other => other?,
        }
    }
    store
        .get(key.as_bytes())?
        .ok_or_else(|| anyhow::anyhow!("the server secret {name} cannot be kept"))
}

impl Identity {
    pub fn new(
        store: Arc<dyn Store>,
        webauthn: &WebauthnConfig,
        limits: &RateLimitConfig,
        lifetimes: Lifetimes,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            store: Arc::clone(&store),
            webauthn: relying_party(webauthn)?,
            limits: RateLimits::new(limits),
            lifetimes,
            throttle: sessions::UseThrottle::default(),
            stand_ins: StandInCredentials::new(&server_secret(
                store.as_ref(),
                "stand-in-credentials",
            )?)
            .map_err(anyhow::Error::msg)?,
            denials: denied::limiter(),
        })
    }

    fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// How many addresses and users the sign-in limiters track now (their
    /// memory is bounded by `RateLimitConfig::max_tracked`).
    pub fn tracked_sign_in_keys(&self) -> (usize, usize) {
        self.limits.tracked()
    }

    fn user(&self, id: &str) -> Result<Option<Versioned<User>>> {
        Ok(get(self.store(), &keys::user(id))?)
    }

    fn account(&self, id: &str) -> Result<Option<Versioned<Account>>> {
        Ok(get(self.store(), &keys::account(id))?)
    }

    /// An account's record, for other parts of the portal (pricing needs
    /// the tier and currency). Authorisation is the caller's business.
    pub fn account_record(&self, id: &str) -> Result<Option<Account>> {
        Ok(self.account(id)?.map(|a| a.value))
    }

    /// A user's record (orders need the submitter's department).
    pub fn user_record(
        &self,
        id: &str,
    ) -> Result<Option<tradeport_domain::identity::records::User>> {
        Ok(self.user(id)?.map(|u| u.value))
    }

    /// An audit event for an action `caller` takes in `account`, from
    /// `origin`, noting a rep's acting-for account.
    fn caller_event(
        &self,
        action: &str,
        caller: &Caller,
        account: Option<&str>,
        origin: &Origin,
    ) -> AuditEvent {
        AuditEvent::new(action, &caller.id, account, now())
            .on_behalf_of(caller.on_behalf_of.as_deref())
            .source(&origin.source)
    }

    /// Adds an audit record to `commit`.
    fn audit(&self, commit: Commit, event: AuditEvent) -> Result<Commit> {
        let mut event = event;
        event.id = new_id("aud_")?;
        let scope = event
            .account_id
            .clone()
            .unwrap_or_else(|| keys::BRAND.into());
        let key = keys::audit(&scope, &newest_first_key(event.time, &event.id));
        Ok(commit.put_record(&key, &event)?)
    }

    /// The records an index lists, each with its id: every key under
    /// `prefix` ends in an id, whose record is under `record_key(id)`. An
    /// entry whose record is gone is skipped.
    fn indexed<T: serde::de::DeserializeOwned>(
        &self,
        prefix: &str,
        limit: usize,
        record_key: impl Fn(&str) -> String,
    ) -> Result<Vec<(String, T)>> {
        let mut out = Vec::new();
        for (key, _) in self
            .store
            .scan(crate::store::KeyRange::prefix(prefix.as_bytes()), limit)?
        {
            let id = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
            if let Some(record) = get_value::<T>(self.store(), &record_key(&id))? {
                out.push((id, record));
            }
        }
        Ok(out)
    }

    /// Records an event on its own, for failures that change nothing else.
    fn audit_alone(&self, event: AuditEvent) -> Result<()> {
        let commit = self.audit(Commit::new(), event)?;
        Ok(self.store.commit(commit)?)
    }
}

/// Store keys of identity records, in one place.
pub(crate) mod keys {
    /// The audit scope of brand-level events.
    pub const BRAND: &str = "_brand";

    pub fn account(id: &str) -> String {
        format!("acct/{id}")
    }
    pub fn unit(account: &str, id: &str) -> String {
        format!("unit/{account}/{id}")
    }
    pub fn units(account: &str) -> String {
        format!("unit/{account}/")
    }
    pub fn user(id: &str) -> String {
        format!("user/{id}")
    }
    pub fn email(email: &str) -> String {
        format!("email/{}", email.trim().to_lowercase())
    }
    /// Users of an account (or the brand), for listing.
    pub fn member(scope: &str, user: &str) -> String {
        format!("member/{scope}/{user}")
    }
    pub fn members(scope: &str) -> String {
        format!("member/{scope}/")
    }
    pub fn passkey(user: &str, credential: &str) -> String {
        format!("pk/{user}/{credential}")
    }
    pub fn passkeys(user: &str) -> String {
        format!("pk/{user}/")
    }
    pub fn ceremony(id: &str) -> String {
        format!("cer/{id}")
    }
    pub fn invitation(hash: &str) -> String {
        format!("inv/{hash}")
    }
    pub fn session(id: &str) -> String {
        format!("ses/{id}")
    }
    pub fn user_session(user: &str, session: &str) -> String {
        format!("uses/{user}/{session}")
    }
    pub fn user_sessions(user: &str) -> String {
        format!("uses/{user}/")
    }
    pub fn token(hash: &str) -> String {
        format!("tok/{hash}")
    }
    pub fn api_key(id: &str) -> String {
        format!("key/{id}")
    }
    pub fn api_key_hash(hash: &str) -> String {
        format!("keyhash/{hash}")
    }
    pub fn api_key_of(scope: &str, id: &str) -> String {
        format!("keyof/{scope}/{id}")
    }
    pub fn api_keys_of(scope: &str) -> String {
        format!("keyof/{scope}/")
    }
    pub fn application(id: &str) -> String {
        format!("app/{id}")
    }
    pub fn audit(scope: &str, suffix: &str) -> String {
        format!("audit/{scope}/{suffix}")
    }
    pub fn audits(scope: &str) -> String {
        format!("audit/{scope}/")
    }
    /// A secret of the server's own (never shown to anyone).
    pub fn secret(name: &str) -> String {
        format!("secret/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_and_android_origins_make_a_relying_party() {
        let config = WebauthnConfig {
            rp_id: "portal.example.com".into(),
            origins: vec![
                "https://portal.example.com".into(),
                "android:apk-key-hash:sYUC8p5I9SxqFernBPHmDxz_YVZXmVJdW8s-m3RTTqE".into(),
            ],
        };
        let rp = relying_party(&config).unwrap();
        assert_eq!(rp.get_allowed_origins().len(), 2);
    }

    #[test]
    fn an_origin_outside_the_relying_party_or_garbage_is_refused() {
        let outside = WebauthnConfig {
            rp_id: "portal.example.com".into(),
            origins: vec!["https://evil.example.net".into()],
        };
        assert!(relying_party(&outside).is_err());
        let garbage = WebauthnConfig {
            rp_id: "portal.example.com".into(),
            origins: vec!["not a url".into()],
        };
        assert!(relying_party(&garbage).is_err());
    }
}
