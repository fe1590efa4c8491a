//! Synced documents on the server: the copy of every order draft, shopping
//! list and visit note that devices sync with, the sync state per device,
//! and the notices that tell other devices a document changed.
//!
//! A round takes the messages of many documents at once. Each document is
//! worked on a fork (see `tradeport_sync::Replica`), so a refused message
//! changes nothing; what the round changed is written in one durable commit
//! before any reply leaves, so everything a device was answered about
//! survives a crash. The documents of a round are locked in id order, so
//! two rounds touching the same documents never deadlock and never lose
//! each other's changes.
//!
//! The sync states of a conversation with a device live in a
//! [`PeerSession`] and die with it; the store keeps only what both sides
//! are known to share. A new stream therefore starts where a device that
//! reconnects starts (from the stored state, automerge's `State::decode`),
//! never from what an earlier stream believed it had sent: a push that
//! went out on a stream the device had already stopped reading would
//! otherwise be taken as delivered, the server would never send those
//! changes again, and device and server would trade messages forever.
//!
//! What this module must never do: read or decide a document's content
//! (that is `tradeport_sync`'s), or let a caller learn whether a document
//! of an account they may not sync exists — to them it is NOT_FOUND, the
//! same as an id nobody used.

mod storage;
#[cfg(test)]
mod tests;

use crate::service::ServiceError;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;
use tradeport_sync::{Replica, SyncState};

use crate::service::identity::Identity;
use crate::store::{Commit, Store, StoreError};
use storage::{load_replica, load_state};
use tradeport_domain::DomainError;
use tradeport_domain::documents::{
    DocumentKind, DocumentRecord, check_confirmed_lines, check_peer_id, check_round, check_waiting,
    may_sync,
};
use tradeport_domain::identity::Caller;
use tradeport_domain::paging::{Page, PageLimits};

pub use crate::service::Result;

/// One document's part of an incoming round.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    pub document_id: String,
    pub sync_message: Vec<u8>,
    /// A whole document, for one the server may not hold yet.
    pub document: Vec<u8>,
}

/// One document's part of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub document_id: String,
    /// Empty when there is nothing to send.
    pub sync_message: Vec<u8>,
    pub problem: Option<Problem>,
}

/// Why one document of a round was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Unknown, or of an account the caller may not sync: the same answer.
    NotFound,
    /// The message or document is not acceptable; `field` names where.
    Invalid { field: String, message: String },
}

/// A document changed: for pushing to the other devices that sync it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentChanged {
    pub document_id: String,
    pub account_id: String,
    pub at: i64,
    /// The user and peer whose round changed it, who need no push.
    pub by: (String, String),
}

/// A document as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub document_id: String,
    pub account_id: String,
    pub kind: DocumentKind,
    pub updated_at: i64,
}

/// A document in memory with its stored description.
#[derive(Clone)]
struct Loaded {
    replica: Replica,
    record: DocumentRecord,
}

/// The sync state with one device for one document, and what of it was
/// last written to the store.
struct PeerState {
    state: SyncState,
    persisted: Option<Vec<u8>>,
}

/// (user, peer, document): whose sync state it is, as stored.
type PeerKey = (String, String, String);

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
    user: String,
    peer: String,
    states: HashMap<String, PeerState>,
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

    fn key(&self, document_id: &str) -> PeerKey {
        (self.user.clone(), self.peer.clone(), document_id.to_owned())
    }
}

/// Documents kept loaded at most (idle ones beyond are let go).
const MAX_OPEN_DOCUMENTS: usize = 10_000;

pub struct Documents {
    store: Arc<dyn Store>,
    identity: Arc<Identity>,
    /// Documents loaded so far; each behind its own lock. Drafts are small
    /// and few per account, so they stay loaded, up to
    /// `MAX_OPEN_DOCUMENTS`.
    open: Mutex<HashMap<String, Arc<Mutex<Option<Loaded>>>>>,
    changes: broadcast::Sender<DocumentChanged>,
    closing: tokio::sync::watch::Sender<bool>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section below leaves its data consistent before it can
    // panic (state is swapped in whole), so a poisoned lock is still good.
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Milliseconds since the epoch.
fn now() -> i64 {
    crate::service::orders::now()
}

impl Documents {
    pub fn new(store: Arc<dyn Store>, identity: Arc<Identity>) -> Self {
        Self {
            store,
            identity,
            open: Mutex::new(HashMap::new()),
            changes: broadcast::channel(4096).0,
            closing: tokio::sync::watch::channel(false).0,
        }
    }

    /// Ends every watch and stream (at shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`Documents::close`] was called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            let _ = closing.wait_for(|closed| *closed).await;
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DocumentChanged> {
        self.changes.subscribe()
    }

    /// Whether `caller` may sync documents of `account_id`.
    pub fn may_see(&self, caller: &Caller, account_id: &str) -> Result<bool> {
        let account = self
            .identity
            .account_record(account_id)
            .map_err(ServiceError::internal)?;
        Ok(account.is_some_and(|account| may_sync(caller, &account)))
    }

    fn slot(&self, document_id: &str) -> Arc<Mutex<Option<Loaded>>> {
        let mut open = lock(&self.open);
        if open.len() >= MAX_OPEN_DOCUMENTS && !open.contains_key(document_id) {
            // A slot only this map holds is idle, and what it holds is on
            // disk already (a replica is kept only once its round is
            // durable): it loads again when next asked for. Callers can name
            // any id, so without this the map grows with every one.
            open.retain(|_, slot| Arc::strong_count(slot) > 1);
            open.shrink_to_fit();
        }
        Arc::clone(
            open.entry(document_id.to_owned())
                .or_insert_with(|| Arc::new(Mutex::new(None))),
        )
    }

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

/// An order draft as an order is made from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftForOrder {
    pub account_id: String,
    pub lines: Vec<(String, rust_decimal::Decimal)>,
    pub ship_to_id: String,
    pub po_reference: String,
}

impl Documents {
    /// The server's copy of order draft `id` now, for `caller` to order
    /// from: a draft of the account they order for, holding exactly the
    /// `confirmed` lines if any are given (see `check_confirmed_lines`).
    /// To a caller who may not sync it, it does not exist.
    pub fn order_draft(
        &self,
        caller: &Caller,
        id: &str,
        confirmed: &[(String, String)],
    ) -> Result<DraftForOrder> {
        let not_found = || DomainError::NotFound {
            resource: "draft",
            id: id.to_owned(),
        };
        let slot = self.slot(id);
        let mut guard = lock(&slot);
        if guard.is_none() {
            *guard = load_replica(self.store.as_ref(), id)?;
        }
        let Some(loaded) = guard.as_ref() else {
            return Err(not_found().into());
        };
        // Ordering from a draft of another account than the one the caller
        // orders for is as impossible as seeing it.
        if loaded.record.kind != DocumentKind::OrderDraft
            || caller.acting_account() != Some(loaded.record.account_id.as_str())
            || !self.may_see(caller, &loaded.record.account_id)?
        {
            return Err(not_found().into());
        }
        let corrupt = |e: tradeport_sync::Error| StoreError::Corrupt {
            key: format!("doc/{id}"),
            reason: e.to_string(),
        };
        let draft = tradeport_sync::OrderDraft::load(&loaded.replica.save()).map_err(corrupt)?;
        let header = draft.header().map_err(corrupt)?;
        let lines: Vec<(String, rust_decimal::Decimal)> = draft
            .lines()
            .map_err(corrupt)?
            .into_iter()
            .map(|l| (l.sku, l.quantity))
            .collect();
        if !confirmed.is_empty() {
            check_confirmed_lines(&lines, confirmed)?;
        }
        Ok(DraftForOrder {
            account_id: header.account_id,
            lines,
            ship_to_id: header.ship_to_id,
            po_reference: header.po_reference,
        })
    }

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

    /// The documents `caller` may sync, most recently changed first.
    /// Reps see those of the accounts assigned to them by name (territory
    /// assignments need an index of accounts by territory first).
    pub fn list(
        &self,
        caller: &Caller,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<Summary>, String)> {
        let accounts: Vec<&str> = match (&caller.on_behalf_of, &caller.account_id) {
            (Some(acting), _) => vec![acting.as_str()],
            (None, Some(own)) => vec![own.as_str()],
            (None, None) => caller
                .assigned_accounts
                .iter()
                .map(String::as_str)
                .collect(),
        };
        let mut records = Vec::new();
        for account in accounts {
            if !self.may_see(caller, account)? {
                continue;
            }
            records.extend(storage::records_of(self.store.as_ref(), account)?);
        }
        records.sort_by(|a, b| {
            b.updated_at
                .cmp(&a.updated_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        // The caller's id is the query: a token only pages their own list.
        let fingerprint = {
            use std::hash::{DefaultHasher, Hash, Hasher};
            let mut hasher = DefaultHasher::new();
            caller.id.hash(&mut hasher);
            hasher.finish()
        };
        let page = Page::parse(page_size, page_token, fingerprint, LIST_PAGES)?;
        let next_page_token = page.next_token(records.len());
        let window = page.window(records.len());
        Ok((
            records
                .drain(window)
                .map(|r| Summary {
                    document_id: r.id,
                    account_id: r.account_id,
                    kind: r.kind,
                    updated_at: r.updated_at,
                })
                .collect(),
            next_page_token,
        ))
    }
}

const LIST_PAGES: PageLimits = PageLimits {
    default_size: 50,
    max_size: 500,
};

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
enum Change {
    None,
    Created,
    Updated {
        heads_before: Vec<tradeport_sync::ChangeHash>,
    },
}

/// A document after a round's messages, not yet durable.
struct Candidate {
    loaded: Loaded,
    key: PeerKey,
    state: SyncState,
    change: Change,
    /// The peer state as last written, if this server wrote one.
    persisted: Option<Vec<u8>>,
}
