//! The one Tokio runtime every SDK call runs on. The foreign side awaits a
//! task's handle, which needs no runtime of its own, so Kotlin coroutines
//! and Swift tasks can call in from any thread. A call the app cancels
//! stops waiting, but its work runs to the end: a sync or a replay is
//! never cut off between sending and saving.

use std::future::Future;
use std::sync::LazyLock;

use tokio::runtime::Runtime;

use crate::error::TradeportError;

#[allow(clippy::expect_used)] // Without a runtime no call could run: failing loudly at first use is all there is to do.
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tradeport-sdk")
        .build()
        .expect("the Tradeport SDK could not start its Tokio runtime")
});

/// Runs `work` on the runtime and waits for it.
pub(crate) async fn run<T, F>(work: F) -> Result<T, TradeportError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, TradeportError>> + Send + 'static,
{
    RUNTIME
        .spawn(work)
        .await
        .map_err(|e| TradeportError::Internal {
            detail: format!("an SDK task failed: {e}"),
        })?
}

/// Runs blocking `work` (opening the local database) on the runtime's
/// blocking pool and waits for it.
pub(crate) async fn run_blocking<T, F>(work: F) -> Result<T, TradeportError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, TradeportError> + Send + 'static,
{
    RUNTIME
        .spawn_blocking(work)
        .await
        .map_err(|e| TradeportError::Internal {
            detail: format!("an SDK task failed: {e}"),
        })?
}

/// Enters the runtime, for SDK calls that spawn tasks of their own.
pub(crate) fn enter() -> tokio::runtime::EnterGuard<'static> {
    RUNTIME.enter()
}
