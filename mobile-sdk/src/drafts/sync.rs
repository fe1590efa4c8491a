//! A draft sync: the device's documents exchanged with the server as
//! automerge sync messages, in rounds of at most the server's per-round
//! limit, until neither side has anything to send — or, live, for as long
//! as the app keeps the stream open. What the server refuses stays on the
//! device, marked; what it sends is saved before the next round.

use std::collections::{BTreeMap, HashSet};

use tradeport_proto::sync as pb;
use tradeport_sync::{MAX_DOCUMENTS_PER_ROUND, Replica, SyncState};

use super::budget::RoundBudget;
use super::outcome::{DraftOutcome, DraftStatus};
use super::session::Session;
use super::state::StoredRefusal;
use super::{Drafts, corrupt};
use crate::DeviceEvent;
use crate::client::{Client, Error};

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftSyncReport {
    /// Exchanges with the server (a batch of messages each way); several
    /// when there are many drafts or other devices edit at the same time.
    pub rounds: u64,
    /// Bytes of sync messages sent up.
    pub bytes_sent: u64,
    /// Bytes of sync messages received.
    pub bytes_received: u64,
    /// Documents that took in changes from the server.
    pub changed: Vec<String>,
    /// Documents refused in this sync, by the server or by this device
    /// (see [`Refusal`](super::Refusal)).
    pub refused: Vec<String>,
    /// Every document's outcome when the sync ended, in id order.
    pub outcomes: Vec<DraftStatus>,
}

impl DraftSyncReport {
    /// Whether every document is synced: none refused, none waiting.
    pub fn all_synced(&self) -> bool {
        self.outcomes
            .iter()
            .all(|s| s.outcome == DraftOutcome::Synced)
    }
}

/// Whether `heads` (as a replica has them) are those stored with a refusal.
fn same_heads(heads: &[tradeport_sync::ChangeHash], stored: &[Vec<u8>]) -> bool {
    heads.len() == stored.len() && heads.iter().zip(stored).all(|(h, s)| h.0[..] == s[..])
}

impl Drafts {
    /// Our part of the next round: a message for each of `ids` (sorted)
    /// that needs one (with the whole document while the server may not
    /// hold it), at most [`MAX_DOCUMENTS_PER_ROUND`] of them, beginning
    /// with the first id after `after` and wrapping around. Empty only when
    /// no document has anything to send.
    ///
    /// Starting after the previous round's last document lets every
    /// document have its turn: documents still exchanging messages at the
    /// front of the list (another device keeps changing them) cannot hold
    /// the rest back, and a round fills up with the next documents while
    /// the first ones wait for their acknowledgement.
    fn outgoing(
        &self,
        ids: &[String],
        states: &mut BTreeMap<String, (Replica, SyncState)>,
        skip: &mut HashSet<String>,
        after: Option<&str>,
    ) -> Result<Vec<pb::DocumentMessage>, Error> {
        let start = after.map_or(0, |after| ids.partition_point(|id| id.as_str() <= after));
        let mut messages = Vec::new();
        for id in ids[start..].iter().chain(&ids[..start]) {
            // Checked before a message is generated: generating one marks
            // its changes as sent in the sync state, so a message made and
            // then left out of the round would never be sent at all.
            if messages.len() == MAX_DOCUMENTS_PER_ROUND {
                break;
            }
            if skip.contains(id) {
                continue;
            }
            let stored = self.state(id)?;
            if !states.contains_key(id) {
                let replica = match self.stored(id)? {
                    Some(bytes) => {
                        Replica::load(&bytes).map_err(|e| corrupt(&format!("draft {id}"), e))?
                    }
                    None if stored.awaiting && stored.refused.is_none() => Replica::awaiting(id),
                    None => continue,
                };
                // A refused document goes again only once the person has
                // changed it: as it was, it would be refused again.
                if let Some(refused) = &stored.refused
                    && same_heads(&replica.heads(), &refused.heads)
                {
                    skip.insert(id.clone());
                    continue;
                }
                let sync_state = if stored.sync_state.is_empty() {
                    SyncState::new()
                } else {
                    SyncState::decode(&stored.sync_state)
                        .map_err(|e| corrupt(&format!("sync state of {id}"), e))?
                };
                states.insert(id.clone(), (replica, sync_state));
            }
            let Some((replica, sync_state)) = states.get_mut(id) else {
                continue;
            };
            let message = replica.generate(sync_state);
            // What the server may lack is sent whole with the first
            // message; an awaited document has nothing to send but asks.
            let send_whole = !stored.server_known && !stored.awaiting;
            if message.is_none() && !send_whole {
                continue;
            }
            messages.push(pb::DocumentMessage {
                document_id: id.clone(),
                sync_message: message.unwrap_or_default(),
                document: if send_whole {
                    replica.save()
                } else {
                    Vec::new()
                },
                problem: None,
            });
        }
        Ok(messages)
    }

    /// Takes in the server's messages: applies and saves each, or records
    /// why that document was refused — by the server, or here because
    /// taking in the server's changes would make it invalid. A refusal is
    /// that document's alone: the others go on syncing.
    fn incoming(
        &self,
        states: &mut BTreeMap<String, (Replica, SyncState)>,
        messages: Vec<pb::DocumentMessage>,
        report: &mut DraftSyncReport,
        skip: &mut HashSet<String>,
    ) -> Result<(), Error> {
        for message in messages {
            let id = message.document_id;
            report.bytes_received += message.sync_message.len() as u64;
            if let Some(problem) = message.problem {
                // NOT_FOUND for a document the server never acknowledged
                // while we did not send it whole cannot happen; anything
                // else is final for this document until the person acts.
                let refusal = StoredRefusal {
                    reason: problem.reason,
                    field: problem.field,
                    message: problem.message,
                    by_server: true,
                    heads: Vec::new(),
                };
                self.refuse(&id, refusal, states, report, skip)?;
                continue;
            }
            let Some((replica, sync_state)) = states.get_mut(&id) else {
                // A push for a document this device does not hold (or
                // holds refused): ignore.
                continue;
            };
            let mut changed = false;
            if !message.sync_message.is_empty() {
                let before = replica.heads();
                if let Err(e) = replica.receive(sync_state, &message.sync_message) {
                    // Neither the document nor the sync state changed: the
                    // server's changes are not taken, and the next attempt
                    // (after the person changed the draft) asks afresh.
                    self.refuse(&id, local_refusal(&e), states, report, skip)?;
                    continue;
                }
                changed = replica.heads() != before;
            }
            let encoded = sync_state.encode();
            let writing = self.write_lock();
            if changed {
                // Edits made on this device while the round was out are
                // in the stored bytes, not in `replica`: take them in.
                if let Some(stored) = self.stored(&id)?
                    && replica.info().is_some()
                    && let Err(e) = replica.merge_document(&stored)
                {
                    drop(writing);
                    self.refuse(&id, local_refusal(&e), states, report, skip)?;
                    continue;
                }
                self.replace(&id, &replica.save())?;
            }
            let arrived = replica.info().is_some();
            self.store_state(&id, |s| {
                s.server_known = true;
                s.awaiting = s.awaiting && !arrived;
                s.sync_state = encoded;
                // Taken in whole: whatever was refused before fits now.
                s.refused = None;
            })?;
            drop(writing);
            if changed {
                report.changed.push(id.clone());
                self.announce(DeviceEvent::DraftChanged { document_id: id });
            }
        }
        Ok(())
    }

    /// Marks `id` refused, as it stands in this sync, and tells the app.
    fn refuse(
        &self,
        id: &str,
        mut refusal: StoredRefusal,
        states: &mut BTreeMap<String, (Replica, SyncState)>,
        report: &mut DraftSyncReport,
        skip: &mut HashSet<String>,
    ) -> Result<(), Error> {
        skip.insert(id.to_owned());
        report.refused.push(id.to_owned());
        // The heads the refused exchange started from: an edit made while
        // it was out is newer, so the next sync tries that edit.
        refusal.heads = match states.remove(id) {
            Some((replica, _)) => replica.heads().iter().map(|h| h.0.to_vec()).collect(),
            None => Vec::new(),
        };
        let shown = refusal.refusal();
        self.store_state(id, |s| s.refused = Some(refusal))?;
        self.announce(DeviceEvent::DraftRefused {
            document_id: id.to_owned(),
            refusal: shown,
        });
        Ok(())
    }

    /// Every document's outcome as the device holds it now, in id order.
    pub fn outcomes(&self) -> Result<Vec<DraftStatus>, Error> {
        self.synced_ids()?
            .into_iter()
            .map(|document_id| {
                let state = self.state(&document_id)?;
                let outcome = match state.refused {
                    Some(refused) => DraftOutcome::Refused(refused.refusal()),
                    None if state.dirty || state.awaiting => DraftOutcome::Waiting,
                    None => DraftOutcome::Synced,
                };
                Ok(DraftStatus {
                    document_id,
                    outcome,
                })
            })
            .collect()
    }

    /// Marks every document the server now holds as up to date.
    fn settle(&self, states: &BTreeMap<String, (Replica, SyncState)>) -> Result<(), Error> {
        for (id, (replica, sync_state)) in states {
            let shared = sync_state.shared_heads == replica.heads();
            if shared {
                self.store_state(id, |s| s.dirty = false)?;
            }
        }
        Ok(())
    }

    /// Syncs every document with the server until neither side has
    /// anything to send, or stops with [`Error::SyncUnsettled`] if that
    /// takes implausibly many rounds (see `RoundBudget`).
    pub async fn sync(&self, client: &Client) -> Result<DraftSyncReport, Error> {
        let mut session = Session::open(client, &self.peer_id).await?;
        let mut report = DraftSyncReport::default();
        let mut states = BTreeMap::new();
        self.run_rounds(&mut session, &mut states, &mut report)
            .await?;
        report.outcomes = self.outcomes()?;
        Ok(report)
    }

    async fn run_rounds(
        &self,
        session: &mut Session,
        states: &mut BTreeMap<String, (Replica, SyncState)>,
        report: &mut DraftSyncReport,
    ) -> Result<(), Error> {
        let mut skip = HashSet::new();
        let mut budget = RoundBudget::default();
        let mut after: Option<String> = None;
        loop {
            let ids = self.synced_ids()?;
            let messages = self.outgoing(&ids, states, &mut skip, after.as_deref())?;
            if messages.is_empty() {
                self.settle(states)?;
                return Ok(());
            }
            // Every document the sync holds, not only those it has reached
            // so far: the budget is for all their turns.
            if let Err(unsettled) = budget.take(ids.len(), &messages) {
                // Every message taken in is saved already; what is shared
                // is marked so, and the rest stays pending for the next
                // sync.
                self.settle(states)?;
                self.make_durable()?;
                return Err(unsettled);
            }
            report.rounds += 1;
            after = messages.last().map(|m| m.document_id.clone());
            report.bytes_sent += messages
                .iter()
                .map(|m| (m.sync_message.len() + m.document.len()) as u64)
                .sum::<u64>();
            let (answer, pushed) = session.round(messages).await?;
            for push in pushed {
                self.incoming(states, push, report, &mut skip)?;
            }
            self.incoming(states, answer, report, &mut skip)?;
            self.make_durable()?;
        }
    }

    /// Syncs, then stays connected and takes in other devices' changes as
    /// the server pushes them, answering each, until `stop` resolves or the
    /// connection fails. Local edits made meanwhile go out on the next
    /// push or the next sync.
    pub async fn live(
        &self,
        client: &Client,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<DraftSyncReport, Error> {
        let mut session = Session::open(client, &self.peer_id).await?;
        let mut report = DraftSyncReport::default();
        let mut states = BTreeMap::new();
        self.run_rounds(&mut session, &mut states, &mut report)
            .await?;
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                pushed = session.next_push() => {
                    let Some(pushed) = pushed? else {
                        break;
                    };
                    let mut skip = HashSet::new();
                    self.incoming(&mut states, pushed, &mut report, &mut skip)?;
                    self.make_durable()?;
                    self.run_rounds(&mut session, &mut states, &mut report).await?;
                }
            }
        }
        report.outcomes = self.outcomes()?;
        Ok(report)
    }
}

/// This device's refusal of what the server sent: the field inside the
/// document the merge would have made invalid.
fn local_refusal(error: &tradeport_sync::Error) -> StoredRefusal {
    let field = match error {
        tradeport_sync::Error::Malformed { field, .. } => field.clone(),
        _ => String::new(),
    };
    StoredRefusal {
        reason: "DOCUMENT_INVALID".into(),
        field,
        message: format!("the changes from other devices cannot be taken in: {error}"),
        by_server: false,
        heads: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_holds_at_most_the_servers_limit_and_every_document_gets_its_turn() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::standalone(dir.path(), "many").unwrap();
        let count = MAX_DOCUMENTS_PER_ROUND + 50;
        for _ in 0..count {
            drafts.create("acc-1").unwrap();
        }
        let ids = drafts.synced_ids().unwrap();
        assert_eq!(ids.len(), count);
        let mut states = BTreeMap::new();
        let mut skip = HashSet::new();
        let sent = |messages: &[pb::DocumentMessage]| -> Vec<String> {
            messages.iter().map(|m| m.document_id.clone()).collect()
        };

        let first = sent(&drafts.outgoing(&ids, &mut states, &mut skip, None).unwrap());
        assert_eq!(first, ids[..MAX_DOCUMENTS_PER_ROUND]);
        // Unanswered, the first ones still need to go whole; the ones left
        // out go first all the same, and the round fills up after them.
        let second = sent(
            &drafts
                .outgoing(
                    &ids,
                    &mut states,
                    &mut skip,
                    first.last().map(String::as_str),
                )
                .unwrap(),
        );
        assert_eq!(second.len(), MAX_DOCUMENTS_PER_ROUND);
        assert_eq!(second[..50], ids[MAX_DOCUMENTS_PER_ROUND..]);
        assert_eq!(second[50..], ids[..MAX_DOCUMENTS_PER_ROUND - 50]);
    }
}
