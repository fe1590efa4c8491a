//! A round of sync messages: each document's messages worked on a fork of
//! the server's copy, what the round changed written in one commit before
//! any reply leaves, and the pushes a session's device is owed after
//! another device changed a document.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tradeport_sync::{Replica, SyncState};

use super::storage::{self, load_replica, load_state};
use super::{
    DocumentChanged, Documents, Incoming, Loaded, Outgoing, PeerKey, PeerSession, PeerState,
    Problem, Result, lock, now,
};
use crate::store::Commit;
use tradeport_domain::DomainError;
use tradeport_domain::documents::{
    DocumentKind, DocumentRecord, check_peer_id, check_round, check_waiting,
};
use tradeport_domain::identity::Caller;

impl Documents {
    /// Takes one round of messages from `caller`'s device in `session` and
    /// answers each document: changes applied and durable, the server's
    /// next sync message, or the problem that kept it out.
    pub fn round(
        &self,
        caller: &Caller,
        session: &mut PeerSession,
        incoming: Vec<Incoming>,
    ) -> Result<Vec<Outgoing>> {
        check_peer_id(&session.peer)?;
        debug_assert_eq!(session.user, caller.id, "a session is one user's");
        check_round(incoming.len())?;
        // One entry per document, in id order: that is the lock order.
        let mut by_id: BTreeMap<String, Vec<Incoming>> = BTreeMap::new();
        for message in incoming {
            if message.document_id.is_empty() {
                return Err(DomainError::invalid(
                    "DOCUMENT_ID_REQUIRED",
                    "messages.document_id",
                    "every message names its document",
                )
                .into());
            }
            by_id
                .entry(message.document_id.clone())
                .or_default()
                .push(message);
        }
        let slots: Vec<Arc<Mutex<Option<Loaded>>>> = by_id.keys().map(|id| self.slot(id)).collect();
        let mut guards: Vec<MutexGuard<'_, Option<Loaded>>> =
            slots.iter().map(|s| lock(s)).collect();

        let at = now();
        let mut commit = Commit::new();
        let mut replies: Vec<Outgoing> = Vec::with_capacity(slots.len());
        let mut accepted: Vec<(usize, Candidate)> = Vec::new();
        for (index, (id, messages)) in by_id.iter().enumerate() {
            if guards[index].is_none() {
                *guards[index] = load_replica(self.store.as_ref(), id)?;
            }
            let key = session.key(id);
            let known = session.states.get(id);
            let problem =
                match self.apply(caller, key, guards[index].as_ref(), known, messages, at)? {
                    Ok(mut candidate) => {
                        commit = storage::write(commit, &mut candidate, at)?;
                        accepted.push((index, candidate));
                        None
                    }
                    Err(problem) => Some(problem),
                };
            replies.push(Outgoing {
                document_id: id.clone(),
                sync_message: Vec::new(),
                problem,
            });
        }
        if !commit.write.is_empty() {
            self.store.commit(commit)?;
        }

        // Durable: now the round's results become visible and are answered.
        let mut changed = Vec::new();
        for (index, candidate) in accepted {
            let Candidate {
                loaded,
                mut state,
                change,
                ..
            } = candidate;
            replies[index].sync_message = loaded.replica.generate(&mut state).unwrap_or_default();
            if !matches!(change, Change::None) {
                changed.push(DocumentChanged {
                    document_id: loaded.record.id.clone(),
                    account_id: loaded.record.account_id.clone(),
                    at,
                    by: (caller.id.clone(), session.peer.clone()),
                });
            }
            let id = loaded.record.id.clone();
            *guards[index] = Some(loaded);
            // Written with the round's commit (see `storage::write`).
            let persisted = Some(state.encode());
            session.states.insert(id, PeerState { state, persisted });
        }
        drop(guards);
        for change in changed {
            // No receivers is fine: no other device is connected.
            let _ = self.changes.send(change);
        }
        Ok(replies)
    }

    /// One document's part of a round, worked on a fork of `current`, with
    /// the session's sync state for it if it has one.
    fn apply(
        &self,
        caller: &Caller,
        key: PeerKey,
        current: Option<&Loaded>,
        known: Option<&PeerState>,
        messages: &[Incoming],
        at: i64,
    ) -> Result<std::result::Result<Candidate, Problem>> {
        let (mut loaded, mut change) = match current {
            Some(loaded) => {
                if !self.may_see(caller, &loaded.record.account_id)? {
                    return Ok(Err(Problem::NotFound));
                }
                (loaded.clone(), Change::None)
            }
            None => {
                // Only a whole document can bring a new one into being.
                let Some(first) = messages.iter().find(|m| !m.document.is_empty()) else {
                    return Ok(Err(Problem::NotFound));
                };
                let replica = match Replica::load(&first.document) {
                    Ok(replica) => replica,
                    Err(e) => return Ok(Err(invalid("document", &e))),
                };
                let Some(info) = replica.info().cloned() else {
                    return Ok(Err(Problem::Invalid {
                        field: "document".into(),
                        message: "the document is empty".into(),
                    }));
                };
                if info.document_id != key.2 {
                    return Ok(Err(Problem::Invalid {
                        field: "document".into(),
                        message: format!(
                            "the document sent is {:?}, not {:?}",
                            info.document_id, key.2
                        ),
                    }));
                }
                if !self.may_see(caller, &info.account_id)? {
                    // Creating in an account one may not sync: as if the
                    // account did not exist.
                    return Ok(Err(Problem::NotFound));
                }
                let record =
                    DocumentRecord::new(info.document_id, kind_of(info.kind), info.account_id, at);
                (Loaded { replica, record }, Change::Created)
            }
        };
        // New to this session: what both sides are known to share, and
        // nothing of what an earlier session had in flight.
        let (mut state, persisted) = match known {
            Some(known) => (known.state.clone(), known.persisted.clone()),
            None => load_state(self.store.as_ref(), &key)?,
        };
        let heads_before = loaded.replica.heads();
        let waiting_before = match current {
            Some(current) => current.replica.waiting(),
            None => tradeport_sync::Waiting::default(),
        };
        let created = matches!(change, Change::Created);
        for (n, message) in messages.iter().enumerate() {
            // A new document was loaded from the first whole document
            // sent: merging it into itself again would only cost time.
            let just_loaded = created && messages[..n].iter().all(|m| m.document.is_empty());
            if !message.document.is_empty()
                && !just_loaded
                && let Err(e) = loaded.replica.merge_document(&message.document)
            {
                return Ok(Err(invalid("document", &e)));
            }
            if !message.sync_message.is_empty()
                && let Err(e) = loaded.replica.receive(&mut state, &message.sync_message)
            {
                return Ok(Err(invalid("sync_message", &e)));
            }
        }
        // The whole round is refused, before anything of it is written.
        check_waiting(&key.2, waiting_before, loaded.replica.waiting())?;
        if matches!(change, Change::None) && loaded.replica.heads() != heads_before {
            change = Change::Updated { heads_before };
        }
        Ok(Ok(Candidate {
            loaded,
            key,
            state,
            change,
            persisted,
        }))
    }
}

impl Documents {
    /// The message `caller`'s device in `session` needs for `document_id`
    /// after another device changed it, if the document was synced in
    /// this session and the caller still may sync it. The message counts
    /// as sent: it must go out on the session's stream, before its next
    /// answer.
    pub fn push_for(
        &self,
        caller: &Caller,
        session: &mut PeerSession,
        document_id: &str,
    ) -> Result<Option<Vec<u8>>> {
        let Some(known) = session.states.get_mut(document_id) else {
            return Ok(None);
        };
        let slot = self.slot(document_id);
        let guard = lock(&slot);
        let Some(loaded) = guard.as_ref() else {
            return Ok(None);
        };
        if !self.may_see(caller, &loaded.record.account_id)? {
            return Ok(None);
        }
        Ok(loaded.replica.generate(&mut known.state))
    }
}

/// A document's problem as the device is told it: the field at fault
/// inside the document when the document says which.
fn invalid(part: &str, error: &tradeport_sync::Error) -> Problem {
    let field = match error {
        tradeport_sync::Error::Malformed { field, .. } => format!("{part}.{field}"),
        _ => part.to_owned(),
    };
    Problem::Invalid {
        field,
        message: error.to_string(),
    }
}

fn kind_of(kind: tradeport_sync::DocumentKind) -> DocumentKind {
    match kind {
        tradeport_sync::DocumentKind::OrderDraft => DocumentKind::OrderDraft,
        tradeport_sync::DocumentKind::ShoppingList => DocumentKind::ShoppingList,
        tradeport_sync::DocumentKind::VisitNote => DocumentKind::VisitNote,
    }
}

/// What changed in a document during a round.
pub(super) enum Change {
    None,
    Created,
    Updated {
        heads_before: Vec<tradeport_sync::ChangeHash>,
    },
}

/// A document after a round's messages, not yet durable.
pub(super) struct Candidate {
    pub(super) loaded: Loaded,
    pub(super) key: PeerKey,
    pub(super) state: SyncState,
    pub(super) change: Change,
    /// The peer state as last written, if this server wrote one.
    pub(super) persisted: Option<Vec<u8>>,
}
