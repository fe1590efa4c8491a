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

mod rounds;
mod session;
mod storage;
#[cfg(test)]
mod tests;

use crate::service::ServiceError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;
use tradeport_sync::Replica;

use crate::service::identity::Identity;
use crate::store::{Store, StoreError};
use rounds::{Candidate, Change};
pub use session::PeerSession;
use session::{PeerKey, PeerState};
use storage::load_replica;
use tradeport_domain::DomainError;
use tradeport_domain::documents::{
    DocumentKind, DocumentRecord, DraftForOrder, check_confirmed_lines, listed_accounts, may_sync,
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

    /// The documents `caller` may sync, most recently changed first (of
    /// the accounts `documents::listed_accounts` names).
    pub fn list(
        &self,
        caller: &Caller,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<Summary>, String)> {
        let accounts = listed_accounts(caller);
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
