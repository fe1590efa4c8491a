//! The one error type of this crate.

use automerge::AutomergeError;

/// Everything that can go wrong when building, loading, editing or merging a
/// document (an order draft, a shopping list, a visit note).
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
    #[error("cannot decode document: {0}")]
    Decode(#[source] Box<AutomergeError>),

    /// The bytes are an automerge document, but not a well-formed Tradeport
    /// document of the expected kind: a field is missing, has the wrong type,
    /// holds an invalid value, is not in the layout at all, or a merge would
    /// change what is fixed at creation (the document's id or account).
    #[error("malformed document: field {field}: {reason}")]
    Malformed {
        /// Path of the offending field, e.g. `schema` or `lines[2].quantity`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// `merge` was asked to combine two unrelated documents (created by
    /// separate `new` calls — two drafts, two shopping lists, two visit notes).
    /// Merging them would silently drop one document's lines or text.
    #[error("cannot merge different documents: ours is {ours:?}, theirs is {theirs:?}")]
    DifferentDraft {
        /// Id (`draft_id`, `list_id`, `note_id`) of the document merged into.
        ours: String,
        /// Id of the document merged from.
        theirs: String,
    },

    /// automerge refused an operation. This indicates a bug in this crate
    /// rather than bad input; the document was left unchanged.
    #[error("automerge operation failed: {0}")]
    Automerge(#[source] Box<AutomergeError>),
}

/// At most this many characters of a rejected input are echoed in an error.
const ECHO_LIMIT: usize = 40;

impl Error {
    pub(crate) fn invalid(field: &'static str, value: &str, reason: &'static str) -> Self {
        Error::InvalidField {
            field,
            value: echo(value),
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

/// `value` cut to a short prefix, for quoting untrusted input in a message.
pub(crate) fn echo(value: &str) -> String {
    match value.char_indices().nth(ECHO_LIMIT) {
        Some((cut, _)) => format!("{}…", value.get(..cut).unwrap_or_default()),
        None => value.to_owned(),
    }
}

impl Error {
    /// Bytes that are not an automerge document. Boxed: automerge's error is
    /// large, and every `Result` of this crate would carry its size.
    pub(crate) fn decode(e: AutomergeError) -> Self {
        Error::Decode(Box::new(e))
    }
}

impl From<AutomergeError> for Error {
    fn from(e: AutomergeError) -> Self {
        Error::Automerge(Box::new(e))
    }
}
