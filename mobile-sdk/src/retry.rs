//! When and how long to wait before trying a call again. Only UNAVAILABLE is
//! retried: it means the call never reached a server that could act on it.
//! Every other status is the server's answer and goes back to the app.

use std::future::Future;
use std::time::Duration;

use rand::Rng;
use tonic::{Code, Status};

use crate::error::is_permanent;

/// How calls are retried while the server is UNAVAILABLE (reads and the
/// start of a passkey ceremony only), waiting a random time below a
/// doubling ceiling between attempts. The default: 5 attempts, the
/// ceiling from 100 ms up to 5 s.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 disables retries.
    pub max_attempts: u32,
    /// The ceiling of the wait before the second attempt; it doubles for
    /// each attempt after.
    pub initial_backoff: Duration,
    /// The ceiling never grows past this, however many attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The longest wait before attempt `attempt + 1` (exponential, capped);
    /// the actual wait is drawn uniformly below it ("full jitter"), so
    /// devices coming back online together do not stampede the server.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    pub(crate) async fn run<T, F, Fut>(&self, mut call: F) -> Result<T, Status>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        let mut attempt = 1;
        loop {
            match call().await {
                // A refused certificate also comes as UNAVAILABLE, but no
                // retry changes it.
                Err(status)
                    if status.code() == Code::Unavailable
                        && attempt < self.max_attempts
                        && !is_permanent(&status) =>
                {
                    let ceiling = self.backoff_ceiling(attempt);
                    let wait = rand::rng().random_range(Duration::ZERO..=ceiling);
                    tracing::debug!(
                        attempt,
                        ?wait,
                        message = status.message(),
                        "server unavailable; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(p.backoff_ceiling(3), Duration::from_millis(400));
        assert_eq!(p.backoff_ceiling(30), Duration::from_secs(5));
    }

    #[tokio::test]
    async fn unavailable_is_retried_until_it_succeeds() {
        let calls = AtomicU32::new(0);
        let result = fast(5)
            .run(|| async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 | 1 => Err(Status::unavailable("down")),
                    _ => Ok(7),
                }
            })
            .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn other_errors_and_exhausted_attempts_are_returned() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = fast(5)
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Status::not_found("gone"))
            })
            .await;
        assert_eq!(result.unwrap_err().code(), Code::NotFound);
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let calls = AtomicU32::new(0);
        let result: Result<(), _> = fast(3)
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Status::unavailable("down"))
            })
            .await;
        assert_eq!(result.unwrap_err().code(), Code::Unavailable);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
