//! How many server streams (watches, sync conversations) one caller may
//! hold open on a service at once, and all callers together. Each open
//! stream holds a subscription and its task until it ends; without a cap,
//! one signed-in caller could open them until memory runs out. A stream
//! holds a [`Permit`] for as long as it lives; the count is kept per caller
//! only while they have one open, so the map never outgrows the streams.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::{Stream, StreamExt};

use tradeport_domain::DomainError;
use tradeport_domain::identity::Caller;

/// Streams one caller may hold open on one service.
pub const PER_CALLER: usize = 32;
/// Streams all callers together may hold open on one service.
pub const IN_ALL: usize = 20_000;

#[derive(Default)]
struct Counts {
    by_caller: HashMap<String, usize>,
    total: usize,
}

pub struct OpenStreams {
    per_caller: usize,
    in_all: usize,
    counts: Arc<Mutex<Counts>>,
}

fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    // Each update is a whole increment or decrement: a poisoned lock is whole.
    match counts.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// One open stream's place; given back when dropped.
pub struct Permit {
    counts: Arc<Mutex<Counts>>,
    caller: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_caller.get_mut(&self.caller) {
            *n -= 1;
            if *n == 0 {
                counts.by_caller.remove(&self.caller);
            }
        }
    }
}

impl Default for OpenStreams {
    fn default() -> Self {
        Self::new(PER_CALLER, IN_ALL)
    }
}

impl OpenStreams {
    pub fn new(per_caller: usize, in_all: usize) -> Self {
        Self {
            per_caller,
            in_all,
            counts: Arc::default(),
        }
    }

    /// A place for one more stream of `caller`'s, or RESOURCE_EXHAUSTED.
    pub fn open(&self, caller: &Caller) -> Result<Permit, DomainError> {
        let mut counts = lock(&self.counts);
        let mine = counts.by_caller.get(&caller.id).copied().unwrap_or(0);
        if mine >= self.per_caller || counts.total >= self.in_all {
            return Err(DomainError::RateLimited {
                subject: "streams open at once",
                retry_after: Duration::from_secs(5),
            });
        }
        counts.total += 1;
        *counts.by_caller.entry(caller.id.clone()).or_insert(0) += 1;
        Ok(Permit {
            counts: Arc::clone(&self.counts),
            caller: caller.id.clone(),
        })
    }

    #[cfg(test)]
    fn callers(&self) -> usize {
        lock(&self.counts).by_caller.len()
    }
}

/// `stream`, holding `permit` until it is dropped.
pub fn holding<S: Stream + Send + 'static>(
    stream: S,
    permit: Permit,
) -> impl Stream<Item = S::Item> + Send + 'static {
    stream.map(move |item| {
        let _held = &permit;
        item
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(id: &str) -> Caller {
        Caller {
            kind: tradeport_domain::identity::CallerKind::User,
            id: id.into(),
            account_id: None,
            roles: vec![],
            session_id: None,
            on_behalf_of: None,
            assigned_accounts: vec![],
            territories: vec![],
        }
    }

    #[test]
    fn a_caller_holds_at_most_its_share_and_gets_places_back() {
        let open = OpenStreams::new(2, 3);
        let a = caller("a");
        let first = open.open(&a).unwrap();
        let _second = open.open(&a).unwrap();
        assert!(open.open(&a).is_err());
        let _b = open.open(&caller("b")).unwrap();
        assert!(open.open(&caller("c")).is_err(), "all places taken");
        drop(first);
        assert!(open.open(&a).is_ok());
    }

    #[tokio::test]
    async fn a_stream_gives_its_place_back_when_dropped() {
        let open = OpenStreams::new(1, 10);
        let a = caller("a");
        let stream = holding(futures::stream::iter([1, 2]), open.open(&a).unwrap());
        assert!(open.open(&a).is_err());
        assert_eq!(stream.collect::<Vec<_>>().await, [1, 2]);
        assert_eq!(open.callers(), 0);
        assert!(open.open(&a).is_ok());
    }
}
