//! How synced documents lie in the store.
//!
//! ```text
//! doc/<id>                          DocumentRecord (kind, account, chunk range)
//! docsave/<id>                      the last full automerge save
//! docchg/<id>/<chunk, 20 digits>    incremental saves since, in order
//! docpeer/<id>/<user>/<peer>        sync state with one device (shared heads)
//! docacc/<account>/<id>             the account's documents, for listing
//! ```
//!
//! A change is one incremental save, so a round writes little however large
//! the document; every `COMPACT_AFTER` changes the document is saved whole
//! and its chunks deleted, in the same commit.

use tradeport_sync::{Replica, SyncState};

use super::{Candidate, Change, Loaded, PeerKey, Result};
use crate::store::{self, Commit, Store, StoreError, decode, encode};
use tradeport_domain::documents::DocumentRecord;

pub(super) struct Keys;

impl Keys {
    fn record(id: &str) -> String {
        format!("doc/{id}")
    }
    fn save(id: &str) -> String {
        format!("docsave/{id}")
    }
    fn chunks(id: &str) -> String {
        format!("docchg/{id}/")
    }
    fn chunk(id: &str, n: u64) -> String {
        format!("docchg/{id}/{n:020}")
    }
    pub(super) fn peer((user, peer, id): &PeerKey) -> String {
        format!("docpeer/{id}/{user}/{peer}")
    }
    fn account(account: &str) -> String {
        format!("docacc/{account}/")
    }
}

fn corrupt(key: &str, reason: impl ToString) -> StoreError {
    StoreError::Corrupt {
        key: key.to_owned(),
        reason: reason.to_string(),
    }
}

/// The stored document `id`, if there is one.
pub(super) fn load_replica(store: &dyn Store, id: &str) -> Result<Option<Loaded>> {
    let record_key = Keys::record(id);
    let Some(bytes) = store.get(record_key.as_bytes())? else {
        return Ok(None);
    };
    let record: DocumentRecord = decode(record_key.as_bytes(), &bytes)?;
    let save_key = Keys::save(id);
    let save = store
        .get(save_key.as_bytes())?
        .ok_or_else(|| corrupt(&save_key, "the document record has no save"))?;
    let chunks = store::scan_all(store, Keys::chunks(id).as_bytes(), 256)?;
    let replica = Replica::load_stored(&save, chunks.iter().map(|(_, v)| v.as_slice()))
        .map_err(|e| corrupt(&save_key, e))?;
    Ok(Some(Loaded { replica, record }))
}

/// The stored sync state with a device, and its stored bytes; a fresh
/// state if the device never synced this document.
pub(super) fn load_state(store: &dyn Store, key: &PeerKey) -> Result<(SyncState, Option<Vec<u8>>)> {
    let peer_key = Keys::peer(key);
    match store.get(peer_key.as_bytes())? {
        Some(bytes) => {
            let state = SyncState::decode(&bytes).map_err(|e| corrupt(&peer_key, e))?;
            Ok((state, Some(bytes)))
        }
        None => Ok((SyncState::new(), None)),
    }
}

/// Adds to `commit` what `candidate` changed: the document (whole when new
/// or due for compaction, else one incremental save), its record, and the
/// device's sync state if that moved.
pub(super) fn write(mut commit: Commit, candidate: &mut Candidate, at: i64) -> Result<Commit> {
    let encoded = candidate.state.encode();
    if candidate.persisted.as_ref() != Some(&encoded) {
        commit = commit.put(Keys::peer(&candidate.key), encoded);
    }
    let loaded = &mut candidate.loaded;
    let record = &mut loaded.record;
    let id = record.id.clone();
    match &candidate.change {
        Change::None => return Ok(commit),
        Change::Created => {
            commit = commit
                .expect(Keys::record(&id), None)
                .put(Keys::save(&id), loaded.replica.save())
                .put(
                    format!("{}{id}", Keys::account(&record.account_id)),
                    Vec::new(),
                );
        }
        Change::Updated { .. } if record.due_for_compaction() => {
            commit = commit.put(Keys::save(&id), loaded.replica.save());
            for n in record.first_chunk..record.next_chunk {
                commit = commit.delete(Keys::chunk(&id, n));
            }
            record.first_chunk = record.next_chunk;
        }
        Change::Updated { heads_before } => {
            commit = commit.put(
                Keys::chunk(&id, record.next_chunk),
                loaded.replica.save_after(heads_before),
            );
            record.next_chunk += 1;
        }
    }
    record.updated_at = at;
    let key = Keys::record(&id);
    Ok(commit.put(key.clone(), encode(key.as_bytes(), &*record)?))
}

/// Every document record of `account`.
pub(super) fn records_of(store: &dyn Store, account: &str) -> Result<Vec<DocumentRecord>> {
    let prefix = Keys::account(account);
    let mut records = Vec::new();
    for (key, _) in store::scan_all(store, prefix.as_bytes(), 512)? {
        let id = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
        let record_key = Keys::record(&id);
        if let Some(bytes) = store.get(record_key.as_bytes())? {
            records.push(decode(record_key.as_bytes(), &bytes)?);
        }
    }
    Ok(records)
}
