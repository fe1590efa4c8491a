//! A draft sync: the device's documents exchanged with the server as
//! automerge sync messages, in rounds of at most the server's per-round
//! limit, until neither side has anything to send — or, live, for as long
//! as the app keeps the stream open. What the server refuses stays on the
//! device, marked; what it sends is saved before the next round.

use std::collections::{BTreeMap, HashSet};

use tradeport_proto::sync as pb;
use tradeport_sync::{MAX_DOCUMENTS_PER_ROUND, Replica, SyncState};

use super::budget::RoundBudget;
use super::session::Session;
use super::{DraftEvent, Drafts, corrupt};
use crate::client::{Client, Error};

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftSyncReport {
    pub rounds: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Documents that took in changes from the server.
    pub changed: Vec<String>,
    /// Documents the server refused.
    pub refused: Vec<String>,
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
        skip: &HashSet<String>,
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
            if stored.refused.is_some() {
                continue;
            }
            if !states.contains_key(id) {
                let replica = match self.stored(id)? {
                    Some(bytes) => {
                        Replica::load(&bytes).map_err(|e| corrupt(&format!("draft {id}"), e))?
                    }
                    None if stored.awaiting => Replica::awaiting(id),
                    None => continue,
                };
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
    /// why the server refused it.
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
                skip.insert(id.clone());
                report.refused.push(id.clone());
                self.store_state(&id, |s| {
                    s.refused = Some(format!("{}: {}", problem.reason, problem.message));
                })?;
                let _ = self.events.send(DraftEvent::Refused {
                    document_id: id,
                    reason: problem.reason,
                    field: problem.field,
                    message: problem.message,
                });
                continue;
            }
            let Some((replica, sync_state)) = states.get_mut(&id) else {
                // A push for a document this device does not hold: ignore.
                continue;
            };
            let mut changed = false;
            if !message.sync_message.is_empty() {
                let before = replica.heads();
                replica
                    .receive(sync_state, &message.sync_message)
                    .map_err(|e| corrupt(&format!("the server's message for {id}"), e))?;
                changed = replica.heads() != before;
            }
            let encoded = sync_state.encode();
            let _writing = self.write_lock();
            if changed {
                // Edits made on this device while the round was out are
                // in the stored bytes, not in `replica`: take them in.
                if let Some(stored) = self.stored(&id)?
                    && replica.info().is_some()
                {
                    replica
                        .merge_document(&stored)
                        .map_err(|e| corrupt(&format!("draft {id}"), e))?;
                }
                self.replace(&id, &replica.save())?;
            }
            let arrived = replica.info().is_some();
            self.store_state(&id, |s| {
                s.server_known = true;
                s.awaiting = s.awaiting && !arrived;
                s.sync_state = encoded;
            })?;
            if changed {
                report.changed.push(id.clone());
                let _ = self.events.send(DraftEvent::Changed { document_id: id });
            }
        }
        Ok(())
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
            let messages = self.outgoing(&ids, states, &skip, after.as_deref())?;
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
                () = &mut stop => return Ok(report),
                pushed = session.next_push() => {
                    let Some(pushed) = pushed? else {
                        return Ok(report);
                    };
                    let mut skip = HashSet::new();
                    self.incoming(&mut states, pushed, &mut report, &mut skip)?;
                    self.make_durable()?;
                    self.run_rounds(&mut session, &mut states, &mut report).await?;
                }
            }
        }
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
        let skip = HashSet::new();
        let sent = |messages: &[pb::DocumentMessage]| -> Vec<String> {
            messages.iter().map(|m| m.document_id.clone()).collect()
        };

        let first = sent(&drafts.outgoing(&ids, &mut states, &skip, None).unwrap());
        assert_eq!(first, ids[..MAX_DOCUMENTS_PER_ROUND]);
        // Unanswered, the first ones still need to go whole; the ones left
        // out go first all the same, and the round fills up after them.
        let second = sent(
            &drafts
                .outgoing(&ids, &mut states, &skip, first.last().map(String::as_str))
                .unwrap(),
        );
        assert_eq!(second.len(), MAX_DOCUMENTS_PER_ROUND);
        assert_eq!(second[..50], ids[MAX_DOCUMENTS_PER_ROUND..]);
        assert_eq!(second[50..], ids[..MAX_DOCUMENTS_PER_ROUND - 50]);
    }
}
