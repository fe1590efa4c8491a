//! Abuse limits on the open RPCs: sign-in per source address and per user,
//! applications per source address, and how often one caller's denied
//! attempts are written to the audit trail.
//!
//! Each limit is a keyed GCRA limiter in memory: a restart forgets it,
//! which only ever favours a legitimate user. Refusals carry how long to
//! wait. Anyone can send keys (a username is whatever the caller typed), so
//! a limiter must never keep what it was sent: it keeps a fixed-size digest
//! of each key, forgets keys once they are back to a clean slate, and never
//! tracks more than a set number of keys — a new key past that is refused
//! until old ones age out, while the keys it already tracks keep their
//! budgets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::config::RateLimitConfig;
use tradeport_domain::DomainError;

/// What a limiter remembers of a key: 128 bits of its SHA-256.
type Digest = [u8; 16];

fn digest(kind: &str, key: &str) -> Digest {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(kind.as_bytes());
    context.update(&[0]);
    context.update(key.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&context.finish().as_ref()[..16]);
    out
}

/// `count` attempts per `window`, all of them at once if need be (GCRA:
/// one attempt comes back every `window / count`).
pub(super) struct Limiter {
    interval: Duration,
    window: Duration,
    max_tracked: usize,
    /// Each key's theoretical arrival time: when its budget is full again.
    tracked: Mutex<HashMap<Digest, Instant>>,
}

impl Limiter {
    pub(super) fn new(count: u32, window: Duration, max_tracked: usize) -> Self {
        let count = NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN);
        Self {
            interval: window / count.get(),
            window,
            max_tracked: max_tracked.max(1),
            tracked: Mutex::new(HashMap::new()),
        }
    }

    fn tracked(&self) -> MutexGuard<'_, HashMap<Digest, Instant>> {
        // Every update below is one insert or retain: a poisoned map is whole.
        match self.tracked.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Takes one attempt for `key`, or says how long to wait.
    pub(super) fn take(&self, kind: &str, key: &str, now: Instant) -> Result<(), Duration> {
        let key = digest(kind, key);
        let mut tracked = self.tracked();
        if tracked.len() >= self.max_tracked && !tracked.contains_key(&key) {
            prune(&mut tracked, now);
            if tracked.len() >= self.max_tracked {
                tracing::warn!(
                    tracked = tracked.len(),
                    "a rate limiter is full; new callers wait until old ones age out"
                );
                return Err(self.interval);
            }
        }
        let full_at = tracked.get(&key).copied().unwrap_or(now).max(now);
        let next = full_at + self.interval;
        if next - now > self.window {
            return Err(next - now - self.window);
        }
        tracked.insert(key, next);
        Ok(())
    }

    /// Forgets every key whose budget is full again.
    pub(super) fn prune(&self, now: Instant) {
        prune(&mut self.tracked(), now);
    }

    /// How many keys are tracked.
    pub(super) fn len(&self) -> usize {
        self.tracked().len()
    }
}

fn prune(tracked: &mut HashMap<Digest, Instant>, now: Instant) {
    tracked.retain(|_, full_at| *full_at > now);
    if tracked.capacity() > 64 && tracked.len() < tracked.capacity() / 4 {
        tracked.shrink_to_fit();
    }
}

/// Whose sign-in attempts a per-user limit counts.
#[derive(Debug, Clone, Copy)]
pub enum SignInSubject<'a> {
    /// A known user, by id: by name or usernameless, one budget.
    User(&'a str),
    /// A username no active user has, so probing it is limited too.
    Unknown(&'a str),
}

/// The source key of an address: IPv6 callers get a /64 each (what one
/// subscriber is usually given), not one key per address.
fn source_key(source: &str) -> String {
    match source.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(ip) => ip.to_string(),
        Err(_) => source.to_string(),
    }
}

pub struct RateLimits {
    login_by_source: Limiter,
    login_by_user: Limiter,
    applications_by_source: Limiter,
}

fn limited(subject: &'static str) -> impl FnOnce(Duration) -> DomainError {
    move |retry_after| DomainError::RateLimited {
        subject,
        retry_after,
    }
}

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> Self {
        let limiter = |count, window| Limiter::new(count, window, config.max_tracked);
        Self {
            login_by_source: limiter(config.login_per_source, config.login_window),
            login_by_user: limiter(config.login_per_user, config.login_window),
            applications_by_source: limiter(
                config.applications_per_source,
                config.applications_window,
            ),
        }
    }

    /// One sign-in (or enrolment) attempt from `source`.
    pub fn login_from(&self, source: &str) -> Result<(), DomainError> {
        self.login_by_source
            .take("source", &source_key(source), Instant::now())
            .map_err(limited("sign-in attempts from this address"))
    }

    /// One sign-in attempt for `subject`, from any address.
    pub fn login_for(&self, subject: SignInSubject<'_>) -> Result<(), DomainError> {
        let (kind, key) = match subject {
            SignInSubject::User(id) => ("user", id.to_string()),
            SignInSubject::Unknown(name) => ("name", name.to_lowercase()),
        };
        self.login_by_user
            .take(kind, &key, Instant::now())
            .map_err(limited("sign-in attempts for this user"))
    }

    pub fn application(&self, source: &str) -> Result<(), DomainError> {
        self.applications_by_source
            .take("source", &source_key(source), Instant::now())
            .map_err(limited("account applications from this address"))
    }

    /// Forgets every key whose budget is full again (the periodic sweep).
    pub fn prune(&self) {
        let now = Instant::now();
        for limiter in [
            &self.login_by_source,
            &self.login_by_user,
            &self.applications_by_source,
        ] {
            limiter.prune(now);
        }
    }

    /// How many keys the per-source and per-user sign-in limiters track.
    pub fn tracked(&self) -> (usize, usize) {
        (self.login_by_source.len(), self.login_by_user.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_source: u32, per_user: u32) -> RateLimits {
        RateLimits::new(&RateLimitConfig {
            login_per_source: per_source,
            login_per_user: per_user,
            login_window: Duration::from_secs(60),
            applications_per_source: 1,
            applications_window: Duration::from_secs(3600),
            max_tracked: 100_000,
        })
    }

    #[test]
    fn per_user_limit_holds_across_sources_and_case() {
        let l = limits(100, 2);
        let user = SignInSubject::Unknown;
        assert!(l.login_for(user("a@x")).is_ok());
        assert!(l.login_for(user("A@x")).is_ok());
        let err = l.login_for(user("a@x")).unwrap_err();
        assert!(
            matches!(err, DomainError::RateLimited { retry_after, .. } if retry_after > Duration::ZERO)
        );
        assert!(
            l.login_for(user("b@x")).is_ok(),
            "other users are not affected"
        );
        assert!(
            l.login_for(SignInSubject::User("a@x")).is_ok(),
            "a user id is not a username"
        );
    }

    #[test]
    fn per_source_limit_holds_and_an_ipv6_subscriber_is_one_source() {
        let l = limits(2, 100);
        assert!(l.login_from("2001:db8:1:2::1").is_ok());
        assert!(l.login_from("2001:db8:1:2:ffff::9").is_ok());
        assert!(l.login_from("2001:db8:1:2::77").is_err());
        assert!(l.login_from("2001:db8:1:3::1").is_ok());
        assert!(l.login_from("9.9.9.9").is_ok());
        assert!(l.login_from("::ffff:9.9.9.9").is_ok());
        assert!(l.login_from("9.9.9.9").is_err(), "mapped v4 is v4");
    }

    #[test]
    fn an_attempt_comes_back_every_interval() {
        let limiter = Limiter::new(3, Duration::from_secs(3), 10);
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.take("k", "a", t0).unwrap();
        }
        let wait = limiter.take("k", "a", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(limiter.take("k", "a", t0 + wait).is_ok());
        assert!(limiter.take("k", "a", t0 + wait).is_err());
    }

    #[test]
    fn ten_thousand_usernames_leave_the_limiter_bounded_and_keep_old_budgets() {
        let limiter = Limiter::new(10, Duration::from_secs(60), 1_000);
        let t0 = Instant::now();
        limiter.take("name", "victim@x", t0).unwrap();
        let huge = "x".repeat(100_000);
        let mut refused = 0;
        for n in 0..10_000 {
            if limiter.take("name", &format!("{huge}{n}"), t0).is_err() {
                refused += 1;
            }
            assert!(limiter.len() <= 1_000);
        }
        assert_eq!(refused, 10_000 - 999, "only free slots are handed out");
        assert!(
            limiter.take("name", "victim@x", t0).is_ok(),
            "a tracked key keeps its budget"
        );
        // Once their budgets are full again, the keys are forgotten.
        let later = t0 + Duration::from_secs(13);
        assert!(limiter.take("name", "newcomer@x", later).is_ok());
        assert_eq!(limiter.len(), 1);
        limiter.prune(later);
        assert_eq!(limiter.len(), 1);
    }
}
