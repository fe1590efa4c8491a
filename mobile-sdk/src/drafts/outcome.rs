//! What became of each draft in a sync, as the app is told it: synced,
//! refused (with the reason and the field at fault), or still waiting to
//! be exchanged. A refusal belongs to the one draft it names; every other
//! draft keeps syncing.

/// Why a draft does not sync: the server refused it, or this device
/// refused what the server sent for it (taking it in would have made the
/// draft invalid, e.g. 1,201 lines merged from two devices where at most
/// 1,000 are allowed). The draft stays on the device as it was; once the
/// person changes it (e.g. removes lines until it fits) the next sync
/// tries it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code: `DOCUMENT_INVALID`, `DOCUMENT_NOT_FOUND`, ...
    pub reason: String,
    /// The field at fault, e.g. `lines`; empty when none is named.
    pub field: String,
    /// What is wrong, for a person to read.
    pub message: String,
    /// The server said so; `false` when this device refused the server's
    /// changes.
    pub by_server: bool,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

/// Where one draft stands after a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftOutcome {
    /// The server and this device hold the same draft.
    Synced,
    /// The draft was refused; it stays on the device and is not sent until
    /// the person changes it (or asks again with `Drafts::retry`).
    Refused(Refusal),
    /// Changes still to exchange (the sync stopped before they settled, or
    /// an awaited draft has not arrived); the next sync carries on.
    Waiting,
}

/// One draft's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftStatus {
    /// The draft's id, as [`Drafts::create`](crate::Drafts::create)
    /// returned it.
    pub document_id: String,
    /// Synced, refused (with why), or still waiting.
    pub outcome: DraftOutcome,
}
