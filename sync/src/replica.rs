//! [`Replica`]: one copy of a document taking part in the automerge sync
//! protocol with one or more peers, on the server or on a device.
//!
//! The protocol itself is automerge's (version 1 sync messages, a
//! [`SyncState`] per peer and document). What this module adds is the rule
//! that a peer can never leave a copy invalid: every incoming message or
//! document is applied to a fork, the fork is checked with
//! [`inspect`](crate::inspect), and only a fork that is still a valid
//! document of the same kind, id and account replaces the copy. A refused
//! message leaves both the document and the peer's sync state as they were.
//!
//! What this module must never do: decide anything about who may sync a
//! document (the server's job), or touch storage or the network.

use automerge::sync::{Message, State, SyncDoc};
use automerge::{Automerge, ChangeHash, ReadDoc, SaveOptions};

use crate::Error;
use crate::document::{DocumentInfo, inspect};
pub use tradeport_domain::documents::{MAX_DOCUMENTS_PER_ROUND, Waiting};

/// Sync state for one (document, peer) pair. Its [`encode`](State::encode)d
/// form keeps only what both sides are known to share, which is all a
/// reconnecting peer needs.
pub type SyncState = State;

/// One copy of a validated Tradeport document.
#[derive(Debug, Clone)]
pub struct Replica {
    doc: Automerge,
    /// `None` only while a device fetches a document it has never held
    /// (see [`Replica::awaiting`]); fixed once the first changes arrive.
    info: Option<DocumentInfo>,
    /// The id a fetch asked for.
    awaited: Option<String>,
}

/// What applying a peer's message or document did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Whether the document gained changes.
    pub changed: bool,
}

impl Replica {
    /// Loads a whole document (automerge's save format), refusing anything
    /// that is not a valid Tradeport document.
    pub fn load(bytes: &[u8]) -> Result<Self, Error> {
        let doc = Automerge::load(bytes).map_err(Error::decode)?;
        let info = inspect(&doc)?;
        Ok(Self {
            doc,
            info: Some(info),
            awaited: None,
        })
    }

    /// An empty copy of document `document_id`, for a device that has
    /// never held it: syncing it with a peer that does fetches it. Until
    /// the first changes arrive it is empty and [`Replica::info`] is
    /// `None`; the changes must make it exactly that document.
    pub fn awaiting(document_id: &str) -> Self {
        Self {
            doc: Automerge::new(),
            info: None,
            awaited: Some(document_id.to_owned()),
        }
    }

    /// Loads a stored document: its last full save followed by the
    /// incremental saves made since, in order.
    pub fn load_stored<'a>(
        save: &[u8],
        incremental: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, Error> {
        let mut doc = Automerge::load(save).map_err(Error::decode)?;
        for chunk in incremental {
            doc.load_incremental(chunk).map_err(Error::decode)?;
        }
        let info = inspect(&doc)?;
        Ok(Self {
            doc,
            info: Some(info),
            awaited: None,
        })
    }

    /// What the document is: kind, id and account, fixed for its life;
    /// `None` while an awaited document has not arrived.
    pub fn info(&self) -> Option<&DocumentInfo> {
        self.info.as_ref()
    }

    /// The document as automerge holds it, for reading through the typed
    /// kinds (e.g. `OrderDraft::load(&replica.save())`).
    pub fn doc(&self) -> &Automerge {
        &self.doc
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The whole document, compact.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes made since `heads`, in a form [`Replica::load_stored`]
    /// appends to a full save.
    pub fn save_after(&self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// Takes in a whole document sent by a peer (a copy created offline):
    /// all of it or, if the result would be invalid or another document,
    /// none of it.
    pub fn merge_document(&mut self, bytes: &[u8]) -> Result<Applied, Error> {
        // Checked alone first: two unrelated documents merged would make
        // their root keys conflict, and whichever id won, one side's
        // content would silently vanish.
        let theirs = Self::load(bytes)?;
        let ours = self.document_id();
        let theirs = theirs.document_id();
        if theirs != ours {
            return Err(Error::malformed(
                "id",
                format!("the document is {theirs:?}, not {ours:?}"),
            ));
        }
        let mut candidate = self.doc.clone();
        candidate.load_incremental(bytes).map_err(Error::decode)?;
        self.adopt(candidate)
    }

    /// Applies a peer's sync message with the peer's `state`. On error
    /// neither the document nor `state` has changed.
    pub fn receive(&mut self, state: &mut SyncState, message: &[u8]) -> Result<Applied, Error> {
        let message = Message::decode(message)
            .map_err(|e| Error::malformed("sync_message", e.to_string()))?;
        let mut candidate = self.doc.clone();
        let mut next_state = state.clone();
        candidate
            .receive_sync_message(&mut next_state, message)
            .map_err(Error::decode)?;
        let applied = self.adopt(candidate)?;
        *state = next_state;
        Ok(applied)
    }

    /// The next message for the peer with `state`, if it needs one.
    pub fn generate(&self, state: &mut SyncState) -> Option<Vec<u8>> {
        self.doc.generate_sync_message(state).map(Message::encode)
    }

    /// The changes that wait in automerge's queue for a dependency that
    /// has not arrived. [`Replica::adopt`] keeps them (they are what a
    /// bloom filter's false positive sends ahead), so a peer that never
    /// sends the dependency can make them grow: whoever holds copies for
    /// untrusted peers bounds them with this.
    pub fn waiting(&self) -> Waiting {
        // The queue is nothing but changes with a dependency missing, so
        // no missing dependency means no queue, and the usual answer costs
        // no save.
        if self.doc.get_missing_deps(&[]).is_empty() {
            return Waiting::default();
        }
        // automerge keeps its queue to itself; a save that retains the
        // queued changes appends them, as stored, to the same save without.
        let save = |retain_orphans| {
            self.doc.save_with_options(SaveOptions {
                deflate: false,
                retain_orphans,
            })
        };
        let with = save(true);
        let without = save(false);
        let queued = with.get(without.len()..).unwrap_or_default();
        Waiting {
            changes: count_chunks(queued),
            bytes: queued.len(),
        }
    }

    /// The document's id, known even while awaited.
    pub fn document_id(&self) -> &str {
        match (&self.info, &self.awaited) {
            (Some(info), _) => &info.document_id,
            (None, Some(id)) => id,
            (None, None) => "",
        }
    }

    /// Replaces the document with `candidate` if it is still this document
    /// and valid.
    fn adopt(&mut self, candidate: Automerge) -> Result<Applied, Error> {
        let before = self.doc.get_heads();
        // Nothing applied: the content is the one already checked. The
        // candidate is kept all the same, for what automerge queued in it:
        // changes whose dependencies have not arrived. A sync message can
        // carry such changes (the sender skips one it takes for held when
        // our bloom filter gives a false positive, and sends those built
        // on it); the sender now counts them as delivered and will not
        // send them again, while the queue makes our next message ask for
        // the missing dependency instead. Dropped here, our next message
        // would ask for the changes the sender is sure it sent, and both
        // sides would trade heads forever.
        if candidate.get_heads() == before {
            self.doc = candidate;
            return Ok(Applied { changed: false });
        }
        let Some(known) = &self.info else {
            // An awaited document (no heads before, some now): the first
            // changes must make it the document asked for.
            let info = inspect(&candidate)?;
            if info.document_id != self.document_id() {
                return Err(Error::malformed(
                    "id",
                    format!(
                        "the changes belong to document {:?}, not {:?}",
                        info.document_id,
                        self.document_id()
                    ),
                ));
            }
            self.info = Some(info);
            self.doc = candidate;
            return Ok(Applied { changed: true });
        };
        let info = inspect(&candidate)?;
        if info.kind != known.kind {
            return Err(Error::malformed(
                "schema",
                "a document cannot change its kind",
            ));
        }
        if info.document_id != known.document_id {
            return Err(Error::malformed(
                "id",
                format!(
                    "the changes belong to document {:?}, not {:?}",
                    info.document_id, known.document_id
                ),
            ));
        }
        if info.account_id != known.account_id {
            return Err(Error::malformed(
                "account_id",
                "a document cannot move to another account",
            ));
        }
        let changed = candidate.get_heads() != before;
        self.doc = candidate;
        Ok(Applied { changed })
    }
}

/// How many chunks `bytes` holds, by their headers (automerge's storage
/// format: 4 magic bytes, a 4-byte checksum, a type byte, then the length
/// of the data as unsigned LEB128, then the data).
fn count_chunks(mut bytes: &[u8]) -> usize {
    const FIXED: usize = 9;
    let mut count = 0;
    while !bytes.is_empty() {
        count += 1;
        let mut length: usize = 0;
        let mut header = FIXED;
        for (n, byte) in bytes.iter().skip(FIXED).enumerate() {
            length |= usize::from(byte & 0x7f)
                .checked_shl(7 * n as u32)
                .unwrap_or(0);
            if byte & 0x80 == 0 {
                header = FIXED + n + 1;
                break;
            }
        }
        bytes = bytes
            .get(header.saturating_add(length)..)
            .unwrap_or_default();
    }
    count
}

/// Runs the sync protocol between two in-memory replicas until neither has
/// anything to send; for tests and benchmarks of the protocol on our
/// documents.
pub fn sync_pair(a: &mut Replica, b: &mut Replica) -> Result<usize, Error> {
    let mut a_state = SyncState::new();
    let mut b_state = SyncState::new();
    let mut messages = 0;
    loop {
        let mut quiet = true;
        if let Some(message) = a.generate(&mut a_state) {
            b.receive(&mut b_state, &message)?;
            messages += 1;
            quiet = false;
        }
        if let Some(message) = b.generate(&mut b_state) {
            a.receive(&mut a_state, &message)?;
            messages += 1;
            quiet = false;
        }
        if quiet {
            return Ok(messages);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrderDraft;

    fn replica_of(draft: &mut OrderDraft) -> Replica {
        match Replica::load(&draft.save()) {
            Ok(replica) => replica,
            Err(e) => panic!("a fresh draft must load: {e}"),
        }
    }

    fn lines_of(replica: &Replica) -> Vec<(String, String)> {
        let draft = OrderDraft::load(&replica.save()).unwrap_or_else(|e| panic!("{e}"));
        let mut lines: Vec<(String, String)> = draft
            .lines()
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|l| (l.sku, l.quantity.to_string()))
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn two_replicas_converge_through_sync_messages() -> Result<(), Error> {
        let mut phone = OrderDraft::new("acc-1")?;
        phone.add_line("SKU-1", "2")?;
        let mut tablet = phone.fork_for_device();
        phone.add_line("SKU-2", "3")?;
        tablet.add_line("SKU-3", "4")?;
        let mut a = replica_of(&mut phone);
        let mut b = replica_of(&mut tablet);
        let messages = sync_pair(&mut a, &mut b)?;
        assert!(messages >= 2, "an exchange needs messages both ways");
        assert_eq!(a.heads(), b.heads());
        assert_eq!(lines_of(&a), lines_of(&b));
        assert_eq!(lines_of(&a).len(), 3);
        Ok(())
    }

    /// `message` as it would be had its bloom filter also matched `hash`
    /// by chance: automerge's filters give a false positive for about one
    /// change in a hundred, and the peer then takes `hash` for held.
    fn with_false_positive(replica: &Replica, message: &[u8], hash: ChangeHash) -> Vec<u8> {
        let mut message = Message::decode(message).unwrap_or_else(|e| panic!("{e}"));
        for have in &mut message.have {
            let mut hashes: Vec<ChangeHash> = replica
                .doc
                .get_changes(&have.last_sync)
                .iter()
                .map(|c| c.hash())
                .collect();
            hashes.push(hash);
            have.bloom = automerge::sync::BloomFilter::from_hashes(hashes.into_iter());
        }
        message.encode()
    }

    /// Lockstep rounds as a device and the server run them, the device
    /// speaking first, until both are quiet or `limit` rounds went by; the
    /// server's first message that summarises what it holds has a false
    /// positive for `skipped`. Returns the rounds taken.
    fn rounds_with_false_positive(
        device: &mut Replica,
        server: &mut Replica,
        skipped: ChangeHash,
        limit: usize,
    ) -> Result<usize, Error> {
        let mut device_state = SyncState::new();
        let mut server_state = SyncState::new();
        let mut tampered = false;
        for round in 0..limit {
            let Some(up) = device.generate(&mut device_state) else {
                return Ok(round);
            };
            server.receive(&mut server_state, &up)?;
            if let Some(mut down) = server.generate(&mut server_state) {
                let summarises = Message::decode(&down).is_ok_and(|m| !m.have.is_empty());
                if summarises && !tampered {
                    down = with_false_positive(server, &down, skipped);
                    tampered = true;
                }
                device.receive(&mut device_state, &down)?;
            }
        }
        Ok(limit)
    }

    /// The changes built on one the sender held back arrive first and
    /// cannot be applied yet; they must still be there when it comes.
    #[test]
    fn changes_sent_ahead_of_one_a_false_positive_held_back_are_kept_until_it_comes()
    -> Result<(), Error> {
        // Enough history that three new changes are a small part of it:
        // automerge sends them one by one, not the whole document.
        let mut shared = OrderDraft::new("acc-1")?;
        for n in 0..8 {
            shared.add_line(&format!("SKU-{n}"), "1")?;
        }
        let mut offline = shared.fork_for_device();
        let mut server = replica_of(&mut shared);
        offline.add_line("SKU-A", "2")?;
        offline.add_line("SKU-B", "3")?;
        offline.add_line("SKU-C", "4")?;
        let mut device = replica_of(&mut offline);
        // The first offline change: the one the others are built on.
        let first = device
            .doc
            .get_changes(&server.heads())
            .iter()
            .find(|c| c.deps() == server.heads().as_slice())
            .map(|c| c.hash())
            .unwrap_or_else(|| panic!("the device made changes offline"));

        let rounds = rounds_with_false_positive(&mut device, &mut server, first, 20)?;
        assert!(rounds < 20, "the exchange never settled");
        assert_eq!(device.heads(), server.heads());
        assert_eq!(lines_of(&server), lines_of(&device));
        Ok(())
    }

    /// A message carrying `changes` and nothing else.
    fn carrying(heads: Vec<ChangeHash>, changes: &[automerge::Change]) -> Vec<u8> {
        let raw: Vec<Vec<u8>> = changes.iter().map(|c| c.raw_bytes().to_vec()).collect();
        Message {
            heads,
            need: Vec::new(),
            have: Vec::new(),
            changes: raw.into(),
            flags: None,
            version: automerge::sync::MessageVersion::V1,
        }
        .encode()
    }

    #[test]
    fn changes_waiting_for_a_dependency_are_counted_until_it_comes() -> Result<(), Error> {
        let mut shared = OrderDraft::new("acc-1")?;
        shared.add_line("SKU-0", "1")?;
        let mut offline = shared.fork_for_device();
        let mut server = replica_of(&mut shared);
        assert_eq!(server.waiting(), Waiting::default());
        offline.add_line("SKU-A", "2")?;
        let device_first = replica_of(&mut offline);
        offline.add_line("SKU-B", "3")?;
        offline.add_line("SKU-C", "4")?;
        let device = replica_of(&mut offline);
        let dependency = device.doc.get_changes(&server.heads());
        let built_on_it = device.doc.get_changes(&device_first.heads());
        assert_eq!(built_on_it.len(), 2);

        let mut state = SyncState::new();
        let applied = server.receive(&mut state, &carrying(device.heads(), &built_on_it))?;
        assert!(!applied.changed);
        let bytes = built_on_it.iter().map(|c| c.raw_bytes().len()).sum();
        assert_eq!(server.waiting(), Waiting { changes: 2, bytes });

        let first: Vec<automerge::Change> = dependency
            .into_iter()
            .filter(|c| !built_on_it.iter().any(|b| b.hash() == c.hash()))
            .collect();
        let applied = server.receive(&mut state, &carrying(device.heads(), &first))?;
        assert!(applied.changed);
        assert_eq!(server.waiting(), Waiting::default());
        assert_eq!(server.heads(), device.heads());
        Ok(())
    }

    #[test]
    fn a_message_moving_the_draft_to_another_account_is_refused_whole() -> Result<(), Error> {
        let mut ours = OrderDraft::new("acc-1")?;
        let mut server = replica_of(&mut ours);
        // A hostile peer rewrites the account of its copy.
        let mut doc = automerge::AutoCommit::load(&ours.save()).map_err(Error::decode)?;
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "account_id", "acc-2")
            .map_err(Error::decode)?;
        let mut hostile = Replica {
            doc: doc.document().clone(),
            info: server.info.clone(),
            awaited: None,
        };
        let heads_before = server.heads();
        let mut server_state = SyncState::new();
        let mut hostile_state = SyncState::new();
        // Run the exchange until the hostile changes arrive and are refused.
        let mut refused = None;
        for _ in 0..6 {
            if let Some(m) = hostile.generate(&mut hostile_state)
                && let Err(e) = server.receive(&mut server_state, &m)
            {
                refused = Some(e);
                break;
            }
            if let Some(m) = server.generate(&mut server_state) {
                hostile.doc.receive_sync_message(
                    &mut hostile_state,
                    Message::decode(&m).map_err(|e| Error::Malformed {
                        field: "test".into(),
                        reason: e.to_string(),
                    })?,
                )?;
            }
        }
        let refused = refused.unwrap_or_else(|| panic!("the account change must be refused"));
        assert!(refused.to_string().contains("account_id"), "{refused}");
        assert_eq!(server.heads(), heads_before, "nothing of it was kept");
        assert_eq!(server.info().map(|i| i.account_id.as_str()), Some("acc-1"));
        Ok(())
    }

    #[test]
    fn an_awaited_document_arrives_whole_and_only_as_itself() -> Result<(), Error> {
        let mut draft = OrderDraft::new("acc-1")?;
        draft.add_line("SKU-1", "2")?;
        let id = draft.draft_id()?;
        let mut holder = replica_of(&mut draft);
        let mut fetched = Replica::awaiting(&id);
        assert!(fetched.info().is_none());
        sync_pair(&mut fetched, &mut holder)?;
        assert_eq!(
            fetched.info().map(|i| i.document_id.as_str()),
            Some(id.as_str())
        );
        assert_eq!(lines_of(&fetched), lines_of(&holder));
        // Awaiting one id and receiving another document is refused.
        let mut wrong = Replica::awaiting("1@00");
        let mut other = replica_of(&mut OrderDraft::new("acc-1")?);
        assert!(sync_pair(&mut wrong, &mut other).is_err());
        assert!(wrong.info().is_none());
        Ok(())
    }

    #[test]
    fn garbage_is_refused_and_changes_nothing() -> Result<(), Error> {
        let mut draft = OrderDraft::new("acc-1")?;
        let mut replica = replica_of(&mut draft);
        let mut state = SyncState::new();
        let before = replica.heads();
        assert!(replica.receive(&mut state, b"\x42garbage").is_err());
        assert!(replica.merge_document(b"not a document").is_err());
        assert_eq!(replica.heads(), before);
        assert_eq!(state, SyncState::new());
        Ok(())
    }

    #[test]
    fn merging_another_draft_is_refused() -> Result<(), Error> {
        let mut ours = OrderDraft::new("acc-1")?;
        let mut other = OrderDraft::new("acc-1")?;
        let mut replica = replica_of(&mut ours);
        let err = replica
            .merge_document(&other.save())
            .err()
            .unwrap_or_else(|| panic!("another draft must not merge"));
        assert!(matches!(err, Error::Malformed { .. }), "{err}");
        Ok(())
    }
}
