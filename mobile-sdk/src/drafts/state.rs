//! What a device keeps about one document besides its bytes — whether the
//! server holds it, whether it changed here since, whether it is still
//! awaited or was refused, and the automerge sync state — in a compact
//! form of its own, stored beside the document.

use prost::Message;

use super::outcome::Refusal;

/// Set in the flags when the refusal is stored as a [`StoredRefusal`];
/// states written before refusals had fields hold `reason: message` text.
const STRUCTURED_REFUSAL: u8 = 8;

/// What a device keeps about one document besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct DocState {
    /// The server has acknowledged holding the document.
    pub(super) server_known: bool,
    /// Changed on this device since the server last confirmed it has
    /// everything.
    pub(super) dirty: bool,
    /// Asked for by id and not arrived yet: the device holds no bytes.
    pub(super) awaiting: bool,
    /// The document was refused (another account's, or invalid, or the
    /// server's changes would make it invalid here).
    pub(super) refused: Option<StoredRefusal>,
    /// The automerge sync state with the server, encoded.
    pub(super) sync_state: Vec<u8>,
}

/// A refusal and the document's heads when it was refused: while the
/// heads are the same, trying again would be refused again; once the
/// person changed the document, the next sync tries it.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub(super) struct StoredRefusal {
    #[prost(string, tag = "1")]
    pub(super) reason: String,
    #[prost(string, tag = "2")]
    pub(super) field: String,
    #[prost(string, tag = "3")]
    pub(super) message: String,
    #[prost(bool, tag = "4")]
    pub(super) by_server: bool,
    /// The document's heads (32-byte change hashes) when refused.
    #[prost(bytes = "vec", repeated, tag = "5")]
    pub(super) heads: Vec<Vec<u8>>,
}

impl StoredRefusal {
    pub(super) fn refusal(&self) -> Refusal {
        Refusal {
            reason: self.reason.clone(),
            field: self.field.clone(),
            message: self.message.clone(),
            by_server: self.by_server,
        }
    }
}

impl DocState {
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.sync_state.len() + 8);
        out.push(
            u8::from(self.server_known)
                | (u8::from(self.dirty) << 1)
                | (u8::from(self.awaiting) << 2)
                | STRUCTURED_REFUSAL,
        );
        let refused = self
            .refused
            .as_ref()
            .map(Message::encode_to_vec)
            .unwrap_or_default();
        out.extend_from_slice(&(refused.len() as u32).to_be_bytes());
        out.extend_from_slice(&refused);
        out.extend_from_slice(&self.sync_state);
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        let (&flags, rest) = bytes.split_first()?;
        let (len, rest) = rest.split_at_checked(4)?;
        let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
        let (refused, sync_state) = rest.split_at_checked(len)?;
        let refused = if refused.is_empty() {
            None
        } else if flags & STRUCTURED_REFUSAL != 0 {
            Some(StoredRefusal::decode(refused).ok()?)
        } else {
            // "REASON: message", as older versions kept it.
            let text = String::from_utf8(refused.to_vec()).ok()?;
            let (reason, message) = text.split_once(": ").unwrap_or(("", &text));
            Some(StoredRefusal {
                reason: reason.to_owned(),
                message: message.to_owned(),
                by_server: true,
                ..Default::default()
            })
        };
        Some(Self {
            server_known: flags & 1 != 0,
            dirty: flags & 2 != 0,
            awaiting: flags & 4 != 0,
            refused,
            sync_state: sync_state.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_state_round_trips() {
        let state = DocState {
            server_known: true,
            dirty: false,
            awaiting: true,
            refused: Some(StoredRefusal {
                reason: "DOCUMENT_INVALID".into(),
                field: "lines".into(),
                message: "has 1201 entries".into(),
                by_server: false,
                heads: vec![vec![7; 32]],
            }),
            sync_state: vec![1, 2, 3],
        };
        assert_eq!(DocState::decode(&state.encode()), Some(state));
        assert_eq!(
            DocState::decode(&DocState::default().encode()),
            Some(DocState::default())
        );
        assert_eq!(DocState::decode(&[1, 0, 0]), None);
    }

    #[test]
    fn a_refusal_stored_as_text_by_an_older_version_still_reads() {
        let text = b"DOCUMENT_NOT_FOUND: gone";
        let mut old = vec![1u8];
        old.extend_from_slice(&(text.len() as u32).to_be_bytes());
        old.extend_from_slice(text);
        old.extend_from_slice(&[9, 9]);
        let state = DocState::decode(&old).unwrap();
        let refused = state.refused.unwrap();
        assert_eq!(
            (refused.reason.as_str(), refused.message.as_str()),
            ("DOCUMENT_NOT_FOUND", "gone")
        );
        assert_eq!(state.sync_state, [9, 9]);
    }
}
