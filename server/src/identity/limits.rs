//! Abuse limits on the open RPCs: sign-in per source address and per user,
//! applications per source address. Keyed GCRA limiters (governor) in
//! memory: a restart forgets them, which only ever favours a legitimate
//! user. Refusals carry how long to wait.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitConfig;
use crate::domain::DomainError;

pub struct RateLimits {
    login_by_source: DefaultKeyedRateLimiter<String>,
    login_by_user: DefaultKeyedRateLimiter<String>,
    applications_by_source: DefaultKeyedRateLimiter<String>,
}

fn quota(count: u32, window: Duration) -> Quota {
    let count = NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(window / count.get())
        .unwrap_or_else(|| Quota::per_second(count))
        .allow_burst(count)
}

fn check(
    limiter: &DefaultKeyedRateLimiter<String>,
    key: &str,
    subject: &'static str,
) -> Result<(), DomainError> {
    limiter.check_key(&key.to_string()).map_err(|not_until| {
        let retry_after = not_until.wait_time_from(DefaultClock::default().now());
        DomainError::RateLimited {
            subject,
            retry_after,
        }
    })
}

impl RateLimits {
    pub fn new(config: &RateLimitConfig) -> Self {
        Self {
            login_by_source: RateLimiter::keyed(quota(
                config.login_per_source,
                config.login_window,
            )),
            login_by_user: RateLimiter::keyed(quota(config.login_per_user, config.login_window)),
            applications_by_source: RateLimiter::keyed(quota(
                config.applications_per_source,
                config.applications_window,
            )),
        }
    }

    /// One sign-in attempt from `source`, for `user` if known.
    pub fn login(&self, source: &str, user: Option<&str>) -> Result<(), DomainError> {
        check(
            &self.login_by_source,
            source,
            "sign-in attempts from this address",
        )?;
        if let Some(user) = user {
            check(
                &self.login_by_user,
                &user.to_lowercase(),
                "sign-in attempts for this user",
            )?;
        }
        Ok(())
    }

    pub fn application(&self, source: &str) -> Result<(), DomainError> {
        check(
            &self.applications_by_source,
            source,
            "account applications from this address",
        )
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
        })
    }

    #[test]
    fn per_user_limit_holds_across_sources() {
        let l = limits(100, 2);
        assert!(l.login("1.1.1.1", Some("a@x")).is_ok());
        assert!(l.login("2.2.2.2", Some("A@x")).is_ok());
        let err = l.login("3.3.3.3", Some("a@x")).unwrap_err();
        assert!(
            matches!(err, DomainError::RateLimited { retry_after, .. } if retry_after > Duration::ZERO)
        );
        assert!(
            l.login("3.3.3.3", Some("b@x")).is_ok(),
            "other users are not affected"
        );
    }

    #[test]
    fn per_source_limit_holds_across_users() {
        let l = limits(2, 100);
        assert!(l.login("1.1.1.1", None).is_ok());
        assert!(l.login("1.1.1.1", Some("b@x")).is_ok());
        assert!(l.login("1.1.1.1", Some("c@x")).is_err());
        assert!(l.login("9.9.9.9", None).is_ok());
    }
}
