//! What a device keeps about one document besides its bytes — whether the
//! server holds it, whether it changed here since, whether it is still
//! awaited or was refused, and the automerge sync state — in a compact
//! form of its own, stored beside the document.

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
    /// The server refused the document (another account's, or invalid):
    /// why, as the server said.
    pub(super) refused: Option<String>,
    /// The automerge sync state with the server, encoded.
    pub(super) sync_state: Vec<u8>,
}

impl DocState {
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.sync_state.len() + 8);
        out.push(
            u8::from(self.server_known)
                | (u8::from(self.dirty) << 1)
                | (u8::from(self.awaiting) << 2),
        );
        let refused = self.refused.as_deref().unwrap_or("").as_bytes();
        out.extend_from_slice(&(refused.len() as u32).to_be_bytes());
        out.extend_from_slice(refused);
        out.extend_from_slice(&self.sync_state);
        out
    }

    pub(super) fn decode(bytes: &[u8]) -> Option<Self> {
        let (&flags, rest) = bytes.split_first()?;
        let (len, rest) = rest.split_at_checked(4)?;
        let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
        let (refused, sync_state) = rest.split_at_checked(len)?;
        let refused = String::from_utf8(refused.to_vec()).ok()?;
        Some(Self {
            server_known: flags & 1 != 0,
            dirty: flags & 2 != 0,
            awaiting: flags & 4 != 0,
            refused: (!refused.is_empty()).then_some(refused),
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
            refused: Some("DOCUMENT_NOT_FOUND: gone".into()),
            sync_state: vec![1, 2, 3],
        };
        assert_eq!(DocState::decode(&state.encode()), Some(state));
        assert_eq!(
            DocState::decode(&DocState::default().encode()),
            Some(DocState::default())
        );
        assert_eq!(DocState::decode(&[1, 0, 0]), None);
    }
}
