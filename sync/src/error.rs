//! The one error type of this crate.

use automerge::AutomergeError;

/// Everything that can go wrong when building, loading, editing or merging a draft.
///
/// Every variant that is about a value names the field it is about, so the
/// message can be shown to the person editing the draft (`Invalid*`,
/// `UnknownLine`) or logged next to the peer that sent a bad document
/// (`Malformed`, `Decode`, `DifferentDraft`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value the caller passed in was rejected; the document was not changed.
    #[error("invalid {field} {value:?}: {reason}")]
    InvalidField {
        /// The field, e.g. `quantity` or `sku`.
        field: &'static str,
        /// The rejected input, cut to a short prefix so a huge input cannot flood logs.
        value: String,
        /// Why it was rejected, e.g. `must be greater than zero`.
        reason: &'static str,
    },

    /// No line with this id is in the draft (never added, or removed — possibly
    /// by another device whose changes were merged in).
    #[error("unknown line id {0:?}")]
    UnknownLine(String),

    /// The bytes are not an automerge document at all (garbage, truncated,
    /// failed hash check).
    #[error("cannot decode order draft: {0}")]
    Decode(#[source] AutomergeError),

    /// The bytes are an automerge document, but not a well-formed order draft:
    /// a field is missing, has the wrong type, or holds an invalid value.
    #[error("malformed order draft: field {field}: {reason}")]
    Malformed {
        /// Path of the offending field, e.g. `schema` or `lines[2].quantity`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// `merge` was asked to combine two unrelated drafts (created by separate
    /// `OrderDraft::new` calls). Merging them would silently drop one draft's lines.
    #[error("cannot merge different drafts: ours is {ours:?}, theirs is {theirs:?}")]
    DifferentDraft {
        /// `draft_id` of the document merged into.
        ours: String,
        /// `draft_id` of the document merged from.
        theirs: String,
    },

    /// automerge refused an operation. This indicates a bug in this crate
    /// rather than bad input; the document was left unchanged.
    #[error("automerge operation failed: {0}")]
    Automerge(#[source] AutomergeError),
}

/// At most this many characters of a rejected input are echoed in an error.
const ECHO_LIMIT: usize = 40;

impl Error {
    pub(crate) fn invalid(field: &'static str, value: &str, reason: &'static str) -> Self {
        let value = match value.char_indices().nth(ECHO_LIMIT) {
            Some((cut, _)) => format!("{}…", &value[..cut]),
            None => value.to_owned(),
        };
        Error::InvalidField {
            field,
            value,
            reason,
        }
    }

    pub(crate) fn malformed(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Malformed {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<AutomergeError> for Error {
    fn from(e: AutomergeError) -> Self {
        Error::Automerge(e)
    }
}
