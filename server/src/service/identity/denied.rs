//! Denied attempts in the brand's security trail: a signed-in caller who
//! asks for something that exists but is not theirs — a rep acting for an
//! account not assigned to them, one account naming another's order or
//! user — is answered exactly as if it did not exist, and the attempt is
//! recorded as `access.denied` in the brand's audit trail.
//!
//! The record must never tell the caller anything: it is written after the
//! answer, off the call's path (waiting for its commit would make a hidden
//! resource answer slower than a missing one), and at most
//! `PER_CALLER_PER_MINUTE` times a minute per caller, so a scan of ids
//! cannot flood the trail or the disk.
//!
//! How a denial travels from the rule to the recorder: the status mapping
//! notes each `DomainError::Hidden` it turns into NOT_FOUND in a slot the
//! auth layer opened for the call ([`watch`]); when the call has answered,
//! the layer reads the slot and records what it holds.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::limits::Limiter;
use super::{Identity, Origin, now};
use tradeport_domain::identity::Caller;
use tradeport_domain::identity::audit::AuditEvent;

/// Denied attempts recorded per caller per minute; more are only logged.
const PER_CALLER_PER_MINUTE: u32 = 10;
/// Callers the recorder's limiter tracks at most.
const MAX_TRACKED_CALLERS: usize = 100_000;
/// Of an id the caller sent, the trail keeps this many characters.
const MAX_ID_CHARS: usize = 128;

/// What a caller was denied: a resource of this kind, with this id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub resource: &'static str,
    pub id: String,
}

tokio::task_local! {
    static DENIED: RefCell<Option<Denial>>;
}

impl Denial {
    pub fn new(resource: &'static str, id: &str) -> Self {
        Self {
            resource,
            id: id.chars().take(MAX_ID_CHARS).collect(),
        }
    }
}

/// Notes a denial in the current call's slot (the first one counts). A
/// no-op outside [`watch`].
pub fn note(resource: &'static str, id: &str) {
    let _ = DENIED.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = Some(Denial::new(resource, id));
        }
    });
}

/// Runs `call` with a slot for [`note`], and returns what it noted.
pub async fn watch<F: Future>(call: F) -> (F::Output, Option<Denial>) {
    DENIED
        .scope(RefCell::new(None), async move {
            let output = call.await;
            let denied = DENIED
                .try_with(|slot| slot.borrow_mut().take())
                .ok()
                .flatten();
            (output, denied)
        })
        .await
}

/// The limiter of denied-attempt records.
pub(super) fn limiter() -> Limiter {
    Limiter::new(
        PER_CALLER_PER_MINUTE,
        Duration::from_secs(60),
        MAX_TRACKED_CALLERS,
    )
}

/// Runs `call`, made by `caller` to `rpc`, and once it has answered
/// records the denial it noted, if any.
pub async fn recorded<F: Future>(
    identity: Arc<Identity>,
    caller: Caller,
    rpc: String,
    origin: Origin,
    call: F,
) -> F::Output {
    let (output, denial) = watch(call).await;
    if let Some(denial) = denial {
        record(&identity, &caller, denial, &rpc, &origin);
    }
    output
}

/// Records that `caller` was denied `denial` in `rpc`, in the background.
pub(super) fn record(
    identity: &Arc<Identity>,
    caller: &Caller,
    denial: Denial,
    rpc: &str,
    origin: &Origin,
) {
    if identity
        .denials
        .take("caller", &caller.id, Instant::now())
        .is_err()
    {
        tracing::info!(caller = %caller.id, rpc, "denied attempt not recorded: too many from this caller");
        return;
    }
    let event = AuditEvent::new("access.denied", &caller.id, None, now())
        .on_behalf_of(caller.on_behalf_of.as_deref())
        .target(&denial.id)
        .detail("resource", denial.resource)
        .detail("rpc", rpc)
        .detail(
            "caller_account",
            caller.account_id.clone().unwrap_or_default(),
        )
        .source(&origin.source)
        .failed();
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let identity = Arc::clone(identity);
    runtime.spawn_blocking(move || {
        if let Err(e) = identity.audit_alone(event) {
            tracing::warn!(error = %e, "a denied attempt could not be recorded");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_note_inside_a_watched_call_comes_out_and_none_leaks_outside() {
        note("order", "outside");
        let (value, denied) = watch(async {
            tokio::task::yield_now().await;
            note("order", &"x".repeat(1000));
            note("user", "second");
            7
        })
        .await;
        assert_eq!(value, 7);
        let denied = denied.unwrap();
        assert_eq!(denied.resource, "order");
        assert_eq!(denied.id.len(), MAX_ID_CHARS);
        let ((), none) = watch(async {}).await;
        assert_eq!(none, None);
    }
}
