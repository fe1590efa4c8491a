//! Documents on the device (order drafts, for now) and their sync with the
//! server: edited offline through the typed API of `tradeport_sync`, kept
//! in the local database, and exchanged as automerge sync messages over
//! `SyncService.SyncDocuments` when online.
//!
//! Every edit is saved before the call returns, so a killed app loses
//! nothing. A sync runs rounds until neither side has anything to send,
//! each round carrying at most the server's per-round limit of documents
//! (the rest go in the next rounds of the same sync); a live session keeps
//! the stream open and takes in what other devices change as the server
//! pushes it.
//!
//! What this module must never do: decide what the server decides (a draft
//! becomes an order only through the outbox and `OrderService`), or drop a
//! local change because the server refused a message — a refused document
//! stays on the device, marked, for the person to see.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Status};
use tradeport_proto::sync::{self as pb, sync_service_client::SyncServiceClient};
use tradeport_sync::{MAX_DOCUMENTS_PER_ROUND, OrderDraft, Replica, SyncState};

use crate::client::{AuthorizedChannel, Client, Error};
use crate::local_db::{DRAFT_SYNC_TREE, DRAFTS_TREE};

/// What a device keeps about one document besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct DocState {
    /// The server has acknowledged holding the document.
    server_known: bool,
    /// Changed on this device since the server last confirmed it has
    /// everything.
    dirty: bool,
    /// Asked for by id and not arrived yet: the device holds no bytes.
    awaiting: bool,
    /// The server refused the document (another account's, or invalid):
    /// why, as the server said.
    refused: Option<String>,
    /// The automerge sync state with the server, encoded.
    sync_state: Vec<u8>,
}

impl DocState {
    fn encode(&self) -> Vec<u8> {
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

    fn decode(bytes: &[u8]) -> Option<Self> {
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

/// What happened to the device's documents, for the app to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftEvent {
    /// Another device's changes arrived for this document.
    Changed { document_id: String },
    /// The server refused the document; it stays on the device.
    Refused {
        document_id: String,
        reason: String,
        field: String,
        message: String,
    },
}

/// What the next sync has to send up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToSend {
    pub documents: usize,
    /// The documents' whole size: an upper bound of the bytes to go.
    pub bytes: u64,
}

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

/// The device's documents in its local database.
#[derive(Clone)]
pub struct Drafts {
    docs: sled::Tree,
    states: sled::Tree,
    peer_id: String,
    events: broadcast::Sender<DraftEvent>,
    /// Held while a document's bytes are read, changed and written, so an
    /// edit and a sync taking in changes never overwrite each other.
    writing: std::sync::Arc<std::sync::Mutex<()>>,
}

impl std::fmt::Debug for Drafts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drafts")
            .field("peer_id", &self.peer_id)
            .finish_non_exhaustive()
    }
}

fn corrupt(what: &str, reason: impl ToString) -> Error {
    Error::Corrupt {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

fn draft_error(e: tradeport_sync::Error) -> Error {
    Error::InvalidArgument {
        field: "draft",
        reason: e.to_string(),
    }
}

/// A round's answer takes at most this long before the sync gives up
/// (the stream is then dropped and the next sync starts afresh).
const ROUND_TIMEOUT: Duration = Duration::from_secs(30);

/// The rounds a sync may take per round's worth of documents
/// ([`MAX_DOCUMENTS_PER_ROUND`]). Up to that many documents travel
/// together, one message each per round, so a clean exchange takes the
/// same few rounds for one document or two hundred: two for offline edits
/// on both sides (heads and summaries out, each side's missing changes
/// across, acknowledged), one or two more when a bloom filter's false
/// positive makes a side ask for a change by hash. More documents than a
/// round holds take their turns, so each further round's worth adds those
/// few rounds again (1,000 documents: five times as many). 64 is some
/// twenty times that: a sync still going then is not going to end.
const BASE_ROUNDS: u64 = 64;

/// The rounds added per document synced. What lengthens a sync that does
/// converge is other devices changing its documents meanwhile: each
/// change the server pushes costs its document about two more messages,
/// at worst two more rounds, and the more documents a sync holds, the
/// more such changes can come in.
const ROUNDS_PER_DOCUMENT: u64 = 2;

/// Counts a sync's rounds and stops it when it has taken so many that it is
/// not converging: the two sides trading messages whose heads never meet,
/// or other devices changing the documents faster than this one syncs.
/// Either way going on is worse than stopping with what was received so
/// far, and the next sync starts a fresh exchange.
#[derive(Debug, Default)]
struct RoundBudget {
    taken: u64,
}

impl RoundBudget {
    fn limit(documents: usize) -> u64 {
        let turns = documents.div_ceil(MAX_DOCUMENTS_PER_ROUND).max(1) as u64;
        BASE_ROUNDS
            .saturating_mul(turns)
            .saturating_add(ROUNDS_PER_DOCUMENT.saturating_mul(documents as u64))
    }

    /// Takes one more round for `messages`, of a sync holding `documents`
    /// documents, or says which documents have not settled.
    fn take(&mut self, documents: usize, messages: &[pb::DocumentMessage]) -> Result<(), Error> {
        if self.taken >= Self::limit(documents) {
            let mut unsettled: Vec<String> =
                messages.iter().map(|m| m.document_id.clone()).collect();
            unsettled.sort();
            unsettled.dedup();
            return Err(Error::SyncUnsettled {
                rounds: self.taken,
                documents: unsettled,
            });
        }
        self.taken += 1;
        Ok(())
    }
}

impl Drafts {
    /// The documents in `docs` with their sync state in `states`, synced as
    /// device `peer_id`.
    pub(crate) fn new(docs: sled::Tree, states: sled::Tree, peer_id: String) -> Self {
        Self {
            docs,
            states,
            peer_id,
            events: broadcast::channel(256).0,
            writing: std::sync::Arc::default(),
        }
    }

    /// Drafts in a database of their own in `dir`, for tools and tests
    /// that sync documents without a full device.
    pub fn standalone(dir: &std::path::Path, peer_id: &str) -> Result<Self, Error> {
        let db = tradeport_sled_writes::open(sled::Config::new().path(dir))?;
        Ok(Self::new(
            db.open_tree(DRAFTS_TREE)?,
            db.open_tree(DRAFT_SYNC_TREE)?,
            peer_id.to_owned(),
        ))
    }

    pub fn events(&self) -> broadcast::Receiver<DraftEvent> {
        self.events.subscribe()
    }

    /// Starts a draft for `account_id` on this device; it reaches the
    /// server with the next sync.
    pub fn create(&self, account_id: &str) -> Result<String, Error> {
        let mut draft = OrderDraft::new(account_id).map_err(draft_error)?;
        let id = draft.draft_id().map_err(draft_error)?;
        self.store(&id, &draft.save(), |state| state.dirty = true)?;
        Ok(id)
    }

    /// The draft as this device holds it now.
    pub fn open(&self, id: &str) -> Result<OrderDraft, Error> {
        let bytes = self.docs.get(id)?.ok_or_else(|| Error::InvalidArgument {
            field: "document_id",
            reason: format!("no document {id:?} on this device"),
        })?;
        OrderDraft::load(&bytes).map_err(|e| corrupt(&format!("draft {id}"), e))
    }

    /// Edits a draft and saves it before returning: `edit` gets the draft,
    /// and whatever it changed is kept even if the app dies right after.
    pub fn edit<T>(
        &self,
        id: &str,
        edit: impl FnOnce(&mut OrderDraft) -> Result<T, tradeport_sync::Error>,
    ) -> Result<T, Error> {
        let _writing = self.write_lock();
        let mut draft = self.open(id)?;
        let value = edit(&mut draft).map_err(draft_error)?;
        self.store(id, &draft.save(), |state| state.dirty = true)?;
        Ok(value)
    }

    /// Ids of the documents on this device (not those still awaited).
    pub fn ids(&self) -> Result<Vec<String>, Error> {
        self.docs
            .iter()
            .keys()
            .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
            .collect()
    }

    /// Asks for a document this device does not hold (one another device
    /// made, found with [`Drafts::discover`]); it arrives with the next sync.
    pub fn fetch(&self, id: &str) -> Result<(), Error> {
        if self.docs.contains_key(id)? {
            return Ok(());
        }
        self.store_state(id, |s| {
            s.awaiting = true;
            s.refused = None;
        })
    }

    /// Asks the server which documents this user may sync and fetches those
    /// the device does not hold yet; returns their ids.
    pub async fn discover(&self, client: &Client) -> Result<Vec<String>, Error> {
        let mut service: SyncServiceClient<AuthorizedChannel> =
            SyncServiceClient::new(client.authorized_channel());
        let mut fetched = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = service
                .list_documents(pb::ListDocumentsRequest {
                    page_size: 500,
                    page_token,
                })
                .await?
                .into_inner();
            for summary in page.documents {
                if !self.docs.contains_key(&summary.document_id)? {
                    self.fetch(&summary.document_id)?;
                    fetched.push(summary.document_id);
                }
            }
            if page.next_page_token.is_empty() {
                return Ok(fetched);
            }
            page_token = page.next_page_token;
        }
    }

    /// Every document the device syncs: held or awaited, in id order.
    fn synced_ids(&self) -> Result<Vec<String>, Error> {
        let mut ids: BTreeSet<String> = self.ids()?.into_iter().collect();
        for key in self.states.iter().keys() {
            ids.insert(String::from_utf8_lossy(&key?).into_owned());
        }
        Ok(ids.into_iter().collect())
    }

    /// How many documents hold changes the server has not confirmed.
    pub fn pending(&self) -> Result<usize, Error> {
        Ok(self.to_send()?.documents)
    }

    /// The documents holding changes the server has not confirmed, and
    /// their size: at most what the next sync sends up (a sync sends only
    /// the changes the server lacks, often far less).
    pub fn to_send(&self) -> Result<ToSend, Error> {
        let mut to_send = ToSend::default();
        for entry in self.states.iter() {
            let (id, value) = entry?;
            if DocState::decode(&value).is_some_and(|s| s.dirty && s.refused.is_none()) {
                to_send.documents += 1;
                to_send.bytes += self.docs.get(id)?.map_or(0, |d| d.len() as u64);
            }
        }
        Ok(to_send)
    }

    /// Why the server refused a document, if it did.
    pub fn refusal(&self, id: &str) -> Result<Option<String>, Error> {
        Ok(self.state(id)?.refused)
    }

    fn write_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // The guarded data is on disk, not in the mutex: a panic elsewhere
        // leaves nothing half-written here.
        self.writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn state(&self, id: &str) -> Result<DocState, Error> {
        match self.states.get(id)? {
            Some(bytes) => DocState::decode(&bytes)
                .ok_or_else(|| corrupt(&format!("sync state of {id}"), "bad layout")),
            None => Ok(DocState::default()),
        }
    }

    /// Writes a document and its state together (one batch per tree,
    /// document first: a state never claims more than the bytes hold).
    fn store(
        &self,
        id: &str,
        bytes: &[u8],
        update: impl FnOnce(&mut DocState),
    ) -> Result<(), Error> {
        let mut state = self.state(id)?;
        update(&mut state);
        self.docs.insert(id, bytes)?;
        self.states.insert(id, state.encode())?;
        self.make_durable()
    }

    /// Waits until everything written so far is on disk. sled flushes only
    /// when asked (see `tradeport_sled_writes`), and both trees share one
    /// log, so flushing one flushes both.
    fn make_durable(&self) -> Result<(), Error> {
        Ok(tradeport_sled_writes::flush(&self.docs)?)
    }

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
                let replica = match self.docs.get(id)? {
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
                if let Some(stored) = self.docs.get(&id)?
                    && replica.info().is_some()
                {
                    replica
                        .merge_document(&stored)
                        .map_err(|e| corrupt(&format!("draft {id}"), e))?;
                }
                self.docs.insert(id.as_str(), replica.save())?;
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

    fn store_state(&self, id: &str, update: impl FnOnce(&mut DocState)) -> Result<(), Error> {
        let mut state = self.state(id)?;
        update(&mut state);
        self.states.insert(id, state.encode())?;
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

/// One open `SyncDocuments` stream.
struct Session {
    requests: mpsc::Sender<pb::SyncDocumentsRequest>,
    responses: tonic::Streaming<pb::SyncDocumentsResponse>,
    peer_id: String,
    round: u64,
}

impl Session {
    async fn open(client: &Client, peer_id: &str) -> Result<Self, Error> {
        let (requests, rx) = mpsc::channel(16);
        let mut service: SyncServiceClient<AuthorizedChannel> =
            SyncServiceClient::new(client.authorized_channel());
        let responses = service
            .sync_documents(Request::new(ReceiverStream::new(rx)))
            .await?
            .into_inner();
        Ok(Self {
            requests,
            responses,
            peer_id: peer_id.to_owned(),
            round: 0,
        })
    }

    /// Sends one round and waits for its answer; pushes that arrive first
    /// are returned too, to be applied before the answer.
    async fn round(
        &mut self,
        messages: Vec<pb::DocumentMessage>,
    ) -> Result<(Vec<pb::DocumentMessage>, Vec<Vec<pb::DocumentMessage>>), Error> {
        self.round += 1;
        let request = pb::SyncDocumentsRequest {
            peer_id: if self.round == 1 {
                self.peer_id.clone()
            } else {
                String::new()
            },
            round: self.round,
            messages,
        };
        self.requests
            .send(request)
            .await
            .map_err(|_| Status::unavailable("the sync stream closed"))?;
        let mut pushed = Vec::new();
        loop {
            let next = tokio::time::timeout(ROUND_TIMEOUT, self.responses.next())
                .await
                .map_err(|_| Status::deadline_exceeded("the server did not answer a sync round"))?;
            match next {
                Some(Ok(response)) if response.round == self.round => {
                    return Ok((response.messages, pushed));
                }
                Some(Ok(response)) => pushed.push(response.messages),
                Some(Err(status)) => return Err(status.into()),
                None => return Err(Status::new(Code::Unavailable, "the sync stream ended").into()),
            }
        }
    }

    /// The next push, or `None` when the server ended the stream.
    async fn next_push(&mut self) -> Result<Option<Vec<pb::DocumentMessage>>, Error> {
        match self.responses.next().await {
            Some(Ok(response)) => Ok(Some(response.messages)),
            Some(Err(status)) => Err(status.into()),
            None => Ok(None),
        }
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

    fn message(id: &str) -> pb::DocumentMessage {
        pb::DocumentMessage {
            document_id: id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_sync_that_does_not_settle_is_stopped_naming_its_documents() {
        let documents = 3;
        let limit = RoundBudget::limit(documents);
        assert!(limit >= BASE_ROUNDS + 6, "{limit}");
        let mut budget = RoundBudget::default();
        let round = [message("b"), message("a"), message("b")];
        for _ in 0..limit {
            assert!(budget.take(documents, &round).is_ok());
        }
        match budget.take(documents, &round) {
            Err(Error::SyncUnsettled { rounds, documents }) => {
                assert_eq!(rounds, limit);
                assert_eq!(documents, ["a", "b"]);
            }
            other => panic!("the round after the limit must be refused: {other:?}"),
        }
    }

    #[test]
    fn more_documents_may_take_more_rounds() {
        assert_eq!(RoundBudget::limit(0), BASE_ROUNDS);
        assert!(RoundBudget::limit(100) > RoundBudget::limit(1));
        assert!(RoundBudget::limit(usize::MAX) >= RoundBudget::limit(100));
    }

    #[test]
    fn documents_taking_turns_get_the_base_rounds_for_each_turn() {
        // 1,000 documents go in five turns of a round's worth: each turn's
        // clean exchange needs what one round's worth needs alone.
        let documents = 5 * MAX_DOCUMENTS_PER_ROUND;
        assert!(RoundBudget::limit(documents) >= 5 * BASE_ROUNDS);
        assert!(
            RoundBudget::limit(MAX_DOCUMENTS_PER_ROUND + 1)
                > RoundBudget::limit(MAX_DOCUMENTS_PER_ROUND) + BASE_ROUNDS
        );
    }

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
