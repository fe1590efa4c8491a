//! A conversation with one device: the sync state of every document
//! synced in it, which lives and dies with the conversation (see the
//! module comment of `documents`).

use std::collections::HashMap;

use tradeport_sync::SyncState;

use super::{DocumentChanged, Result};
use tradeport_domain::documents::{check_round_number, check_same_peer};
use tradeport_domain::identity::Caller;

/// The sync state with one device for one document, and what of it was
/// last written to the store.
pub(super) struct PeerState {
    pub(super) state: SyncState,
    pub(super) persisted: Option<Vec<u8>>,
}

/// (user, peer, document): whose sync state it is, as stored.
pub(super) type PeerKey = (String, String, String);

/// One conversation with one device of one user: a `SyncDocuments`
/// stream, or a single unary round (gRPC-web has no stream, so the server
/// cannot know which of its answers arrived; each round starts from what
/// both sides are known to share).
///
/// It holds the automerge sync state of every document synced in it,
/// including what is in flight (changes sent and not yet acknowledged),
/// which is only true of this conversation: it is never carried over to
/// another one.
pub struct PeerSession {
    pub(super) user: String,
    pub(super) peer: String,
    pub(super) states: HashMap<String, PeerState>,
}

impl PeerSession {
    /// A conversation with `caller`'s device `peer` (checked with the
    /// first round).
    pub fn new(caller: &Caller, peer: &str) -> Self {
        Self {
            user: caller.id.clone(),
            peer: peer.to_owned(),
            states: HashMap::new(),
        }
    }

    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The session a stream's next round goes on in: the stream's first
    /// round begins it for the device it names, later rounds go on with
    /// that device (none other), and every round is numbered from 1.
    pub fn next_round(
        current: Option<Self>,
        caller: &Caller,
        peer_id: &str,
        round: u64,
    ) -> Result<Self> {
        let session = match current {
            None => Self::new(caller, peer_id),
            Some(current) => {
                check_same_peer(&current.peer, peer_id)?;
                current
            }
        };
        check_round_number(round)?;
        Ok(session)
    }

    /// Whether `change` is to be pushed here: its document was synced in
    /// this conversation (and not refused), and another device made it.
    pub fn wants(&self, change: &DocumentChanged) -> bool {
        self.states.contains_key(&change.document_id)
            && (change.by.0.as_str(), change.by.1.as_str())
                != (self.user.as_str(), self.peer.as_str())
    }

    /// The documents synced in this conversation.
    pub fn documents(&self) -> Vec<String> {
        self.states.keys().cloned().collect()
    }

    /// The documents to push to this device after `change`; `None`: some
    /// notices were missed, so every document synced here (those
    /// unchanged need no message and get none).
    pub fn to_push(&self, change: Option<&DocumentChanged>) -> Vec<String> {
        match change {
            None => self.documents(),
            Some(change) if self.wants(change) => vec![change.document_id.clone()],
            Some(_) => Vec::new(),
        }
    }

    pub(super) fn key(&self, document_id: &str) -> PeerKey {
        (self.user.clone(), self.peer.clone(), document_id.to_owned())
    }
}
