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
//!
//! This module is the documents as the device keeps them (`stored`: a
//! full save and the changes of each edit since, the drafts being edited
//! kept open in memory, so an edit costs what it changed); `sync` is their
//! exchange with the server, in rounds (`session` is the stream they go
//! over, `budget` what stops an exchange that does not end), and `state`
//! what the device remembers of each document's sync.

mod budget;
mod outcome;
mod session;
mod state;
mod stored;
mod sync;

use std::collections::BTreeSet;

use tokio::sync::broadcast;
use tradeport_proto::sync::{self as pb, sync_service_client::SyncServiceClient};
use tradeport_sync::OrderDraft;

pub use outcome::{DraftOutcome, DraftStatus, Refusal};
pub use sync::DraftSyncReport;

use crate::DeviceEvent;
use crate::client::{AuthorizedChannel, Client, Error, Retry};
use crate::local_db::{DRAFT_CHANGES_TREE, DRAFT_SYNC_TREE, DRAFTS_TREE};
use state::DocState;
use stored::OpenDrafts;

/// What the next sync has to send up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToSend {
    /// Drafts holding changes the server has not confirmed (refused ones
    /// not counted: they wait for the person).
    pub documents: usize,
    /// The documents' whole size: an upper bound of the bytes to go.
    pub bytes: u64,
}

/// A draft holding changes the server does not have yet: what signing out
/// now would lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsyncedDraft {
    /// The draft's document id.
    pub draft_id: String,
    /// Its purchase-order reference, for the person to recognise it.
    pub po_reference: String,
    /// How many lines it holds.
    pub lines: usize,
    /// Why the server refused it, when it did (it will not sync as is).
    pub refused: Option<Refusal>,
}

/// The device's documents in its local database.
#[derive(Clone)]
pub struct Drafts {
    /// Each document's last full save.
    docs: sled::Tree,
    /// The changes of each edit since a document's full save.
    changes: sled::Tree,
    states: sled::Tree,
    peer_id: String,
    /// The device's one event stream (see [`DeviceEvent`]).
    events: broadcast::Sender<DeviceEvent>,
    /// Held while a document's bytes are read, changed and written, so an
    /// edit and a sync taking in changes never overwrite each other.
    writing: std::sync::Arc<std::sync::Mutex<()>>,
    /// Bumped on every write, for the device's status watchers.
    watchers: Option<std::sync::Arc<tokio::sync::watch::Sender<u64>>>,
    /// The drafts being edited, kept open (see `stored`).
    open: std::sync::Arc<std::sync::Mutex<OpenDrafts>>,
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
    Error::from_draft(e)
}

impl Drafts {
    /// The documents in `docs` (with the changes since their last full save
    /// in `changes`) with their sync state in `states`, synced as device
    /// `peer_id`, telling what happens on `events`.
    pub(crate) fn new(
        docs: sled::Tree,
        changes: sled::Tree,
        states: sled::Tree,
        peer_id: String,
        events: broadcast::Sender<DeviceEvent>,
    ) -> Self {
        Self {
            docs,
            changes,
            states,
            peer_id,
            events,
            writing: std::sync::Arc::default(),
            watchers: None,
            open: std::sync::Arc::default(),
        }
    }

    /// These drafts bumping `watchers` on every write (a device's status
    /// watchers wait on it).
    pub(crate) fn with_changes(
        self,
        watchers: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    ) -> Self {
        Self {
            watchers: Some(watchers),
            ..self
        }
    }

    fn bump(&self) {
        if let Some(watchers) = &self.watchers {
            watchers.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Drafts in a database of their own in `dir`, for tools and tests
    /// that sync documents without a full device.
    pub fn standalone(dir: &std::path::Path, peer_id: &str) -> Result<Self, Error> {
        let db = tradeport_sled_writes::open(sled::Config::new().path(dir))?;
        Ok(Self::new(
            db.open_tree(DRAFTS_TREE)?,
            db.open_tree(DRAFT_CHANGES_TREE)?,
            db.open_tree(DRAFT_SYNC_TREE)?,
            peer_id.to_owned(),
            broadcast::channel(crate::events::EVENT_BUFFER).0,
        ))
    }

    /// What happens to the documents from now on. On a [`Device`](crate::Device)
    /// this is the device's one stream, [`Device::events`](crate::Device::events):
    /// drafts, outbox actions and reference data together.
    pub fn events(&self) -> broadcast::Receiver<DeviceEvent> {
        self.events.subscribe()
    }

    fn announce(&self, event: DeviceEvent) {
        // No listener is fine: the document's state keeps what matters.
        let _ = self.events.send(event);
    }

    /// Starts a draft for `account_id` on this device; it reaches the
    /// server with the next sync.
    pub fn create(&self, account_id: &str) -> Result<String, Error> {
        let mut draft = OrderDraft::new(account_id).map_err(draft_error)?;
        let id = draft.draft_id().map_err(draft_error)?;
        let _writing = self.write_lock();
        self.store(&id, &draft.save(), |state| state.dirty = true)?;
        self.keep_open(&id, draft);
        Ok(id)
    }

    /// The draft as this device holds it now: a copy of its own (with an
    /// actor of its own), whose changes are not stored; edit through
    /// [`Drafts::edit`].
    pub fn open(&self, id: &str) -> Result<OrderDraft, Error> {
        let bytes = self.stored(id)?.ok_or_else(|| Error::InvalidArgument {
            field: "document_id",
            reason: format!("no document {id:?} on this device"),
        })?;
        OrderDraft::load(&bytes).map_err(|e| corrupt(&format!("draft {id}"), e))
    }

    /// Edits a draft and saves it before returning: `edit` gets the draft,
    /// and whatever it changed is kept even if the app dies right after.
    /// If `edit` fails, nothing of it is kept. The draft stays open in
    /// memory and only what the edit changed is written, so an edit takes
    /// about as long in a draft of 1,000 lines as in one of 10.
    pub fn edit<T>(
        &self,
        id: &str,
        edit: impl FnOnce(&mut OrderDraft) -> Result<T, tradeport_sync::Error>,
    ) -> Result<T, Error> {
        let _writing = self.write_lock();
        let (value, changed) = self.edit_open(id, edit)?;
        if changed {
            self.store_state(id, |state| state.dirty = true)?;
            self.make_durable()?;
        }
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
        let service: SyncServiceClient<AuthorizedChannel> =
            SyncServiceClient::new(client.authorized_channel());
        let mut fetched = Vec::new();
        let mut page_token = String::new();
        loop {
            // With the client's deadline: a server that accepts the
            // connection and never answers would otherwise hold the sync
            // until the connection's keep-alive gives up.
            let request = pb::ListDocumentsRequest {
                page_size: 500,
                page_token,
            };
            let page = client
                .config
                .call(Retry::Safe, &service, request, |mut c, r| async move {
                    c.list_documents(r).await
                })
                .await?;
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
                to_send.bytes += self.stored_len(&id)?;
            }
        }
        Ok(to_send)
    }

    /// The drafts holding changes the server does not have yet, refused
    /// ones included, in id order.
    pub fn unsynced(&self) -> Result<Vec<UnsyncedDraft>, Error> {
        let mut unsynced = Vec::new();
        for entry in self.states.iter() {
            let (id, value) = entry?;
            let id = String::from_utf8_lossy(&id).into_owned();
            let state = DocState::decode(&value)
                .ok_or_else(|| corrupt(&format!("sync state of {id}"), "bad layout"))?;
            if !state.dirty || !self.docs.contains_key(&id)? {
                continue;
            }
            let draft = self.open(&id)?;
            let header = draft
                .header()
                .map_err(|e| corrupt(&format!("draft {id}"), e))?;
            unsynced.push(UnsyncedDraft {
                draft_id: id.clone(),
                po_reference: header.po_reference,
                lines: draft.lines().map_or(0, |l| l.len()),
                refused: state.refused.map(|r| r.refusal()),
            });
        }
        Ok(unsynced)
    }

    /// How many documents are refused now.
    pub fn refused_count(&self) -> Result<usize, Error> {
        let mut refused = 0;
        for value in self.states.iter().values() {
            if DocState::decode(&value?).is_some_and(|s| s.refused.is_some()) {
                refused += 1;
            }
        }
        Ok(refused)
    }

    /// Why a document was refused, if it was and has not synced since.
    pub fn refusal(&self, id: &str) -> Result<Option<Refusal>, Error> {
        Ok(self.state(id)?.refused.map(|r| r.refusal()))
    }

    /// Tries a refused document again with the next sync even though it
    /// has not changed here (e.g. another device has since made it fit).
    pub fn retry(&self, id: &str) -> Result<(), Error> {
        self.store_state(id, |s| s.refused = None)
    }

    fn open_drafts(&self) -> std::sync::MutexGuard<'_, OpenDrafts> {
        // As below: a panic mid-edit drops the draft it had taken out.
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        self.replace(id, bytes)?;
        self.states.insert(id, state.encode())?;
        self.make_durable()?;
        self.bump();
        Ok(())
    }

    /// Waits until everything written so far is on disk. sled flushes only
    /// when asked (see `tradeport_sled_writes`), and both trees share one
    /// log, so flushing one flushes both.
    fn make_durable(&self) -> Result<(), Error> {
        Ok(tradeport_sled_writes::flush(&self.docs)?)
    }

    fn store_state(&self, id: &str, update: impl FnOnce(&mut DocState)) -> Result<(), Error> {
        let mut state = self.state(id)?;
        update(&mut state);
        self.states.insert(id, state.encode())?;
        self.bump();
        Ok(())
    }
}
