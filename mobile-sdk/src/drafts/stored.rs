//! How the device stores a document so that an edit costs what it changed,
//! not the document's size: the last full save in the `drafts` tree, and
//! each edit's changes since (automerge's `save_after`) under a key of its
//! own in the `draft_changes` tree; automerge loads a save followed by such
//! changes as one document. After [`COMPACT_AFTER`] changes a full save
//! replaces them, so loading stays quick and the changes stay few.
//!
//! The drafts being edited are kept open in memory ([`OPEN_KEPT`] of them,
//! the least recently edited closed first), so an edit neither reloads nor
//! re-validates the whole document. The stored bytes stay the truth: a
//! failed edit closes the draft (the next one reloads it from disk), and
//! whatever replaces the stored document (a sync taking in other devices'
//! changes) closes it too.
//!
//! Crash safety: a change is stored before its edit returns; a compaction
//! writes the full save before it deletes the changes it holds, and a save
//! followed by changes it already holds loads the same document.

use std::collections::HashMap;

use tradeport_sync::{ChangeHash, OrderDraft};

use super::{Drafts, corrupt};
use crate::client::Error;

/// Changes stored after a full save before a full save replaces them: a
/// full save of a 1,000-line draft costs some tens of edits, so compacting
/// every 64 keeps the average edit near its own cost.
pub(super) const COMPACT_AFTER: usize = 64;

/// Drafts kept open in memory: a person edits one or two at a time.
const OPEN_KEPT: usize = 8;

/// A draft open for editing.
pub(super) struct OpenDraft {
    pub(super) draft: OrderDraft,
    /// The heads of what is stored: the next change is saved after these.
    saved: Vec<ChangeHash>,
    /// Changes stored after the last full save.
    changes: usize,
    /// The key number of the next change.
    next: u64,
}

/// The drafts open for editing, by id, with when each was last used.
#[derive(Default)]
pub(super) struct OpenDrafts {
    open: HashMap<String, (u64, OpenDraft)>,
    clock: u64,
}

impl OpenDrafts {
    pub(super) fn take(&mut self, id: &str) -> Option<OpenDraft> {
        self.open.remove(id).map(|(_, draft)| draft)
    }

    pub(super) fn put(&mut self, id: &str, draft: OpenDraft) {
        self.clock += 1;
        self.open.insert(id.to_owned(), (self.clock, draft));
        if self.open.len() > OPEN_KEPT
            && let Some(oldest) = self
                .open
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(id, _)| id.clone())
        {
            self.open.remove(&oldest);
        }
    }
}

/// The prefix of a document's change keys: its id, then NUL (ids never
/// hold one), so "a" and "ab" keep apart.
fn changes_prefix(id: &str) -> Vec<u8> {
    let mut key = id.as_bytes().to_vec();
    key.push(0);
    key
}

fn change_key(id: &str, n: u64) -> Vec<u8> {
    let mut key = changes_prefix(id);
    key.extend_from_slice(&n.to_be_bytes());
    key
}

impl Drafts {
    /// The stored document: its full save followed by the changes saved
    /// since, as automerge loads them; `None` when the device holds none.
    ///
    /// Read without the write lock (a sync reads while the person edits):
    /// if a compaction replaced the full save meanwhile, the changes read
    /// may be missing some it deleted, so the read starts over.
    pub(super) fn stored(&self, id: &str) -> Result<Option<Vec<u8>>, Error> {
        loop {
            let Some(save) = self.docs.get(id)? else {
                return Ok(None);
            };
            let mut bytes = save.to_vec();
            for change in self.changes.scan_prefix(changes_prefix(id)).values() {
                bytes.extend_from_slice(&change?);
            }
            if self.docs.get(id)?.as_ref() == Some(&save) {
                return Ok(Some(bytes));
            }
        }
    }

    /// The stored size of a document, changes included.
    pub(super) fn stored_len(&self, id: &[u8]) -> Result<u64, Error> {
        let id = String::from_utf8_lossy(id);
        let mut len = self.docs.get(id.as_bytes())?.map_or(0, |d| d.len() as u64);
        for change in self.changes.scan_prefix(changes_prefix(&id)).values() {
            len += change?.len() as u64;
        }
        Ok(len)
    }

    /// Replaces the stored document with a full save and closes it if it
    /// is open (it no longer matches what is stored). Called with the
    /// write lock held.
    pub(super) fn replace(&self, id: &str, save: &[u8]) -> Result<(), Error> {
        self.open_drafts().take(id);
        self.write_save(id, save)
    }

    /// Writes a full save, then deletes the changes it holds.
    fn write_save(&self, id: &str, save: &[u8]) -> Result<(), Error> {
        self.docs.insert(id, save)?;
        for key in self.changes.scan_prefix(changes_prefix(id)).keys() {
            self.changes.remove(key?)?;
        }
        Ok(())
    }

    /// Opens a stored draft for editing.
    fn load_open(&self, id: &str) -> Result<OpenDraft, Error> {
        let bytes = self.stored(id)?.ok_or_else(|| Error::InvalidArgument {
            field: "document_id",
            reason: format!("no document {id:?} on this device"),
        })?;
        let mut draft = OrderDraft::load(&bytes).map_err(|e| corrupt(&format!("draft {id}"), e))?;
        let mut changes = 0;
        let mut next = 0;
        for key in self.changes.scan_prefix(changes_prefix(id)).keys() {
            let key = key?;
            changes += 1;
            let n = key
                .len()
                .checked_sub(8)
                .and_then(|at| <[u8; 8]>::try_from(&key[at..]).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| corrupt(&format!("a stored change of draft {id}"), "bad key"))?;
            next = next.max(n + 1);
        }
        Ok(OpenDraft {
            saved: draft.heads(),
            draft,
            changes,
            next,
        })
    }

    /// Keeps a draft just created (and stored whole) open for its edits.
    pub(super) fn keep_open(&self, id: &str, mut draft: OrderDraft) {
        let open = OpenDraft {
            saved: draft.heads(),
            draft,
            changes: 0,
            next: 0,
        };
        self.open_drafts().put(id, open);
    }

    /// Runs `edit` on the open draft (opening it first if need be) and
    /// stores what it changed; says whether it changed anything. Called
    /// with the write lock held; the caller makes it durable.
    pub(super) fn edit_open<T>(
        &self,
        id: &str,
        edit: impl FnOnce(&mut OrderDraft) -> Result<T, tradeport_sync::Error>,
    ) -> Result<(T, bool), Error> {
        let taken = self.open_drafts().take(id);
        let mut open = match taken {
            Some(open) => open,
            None => self.load_open(id)?,
        };
        // On an error the draft is dropped, closed: an edit that failed
        // half-way leaves nothing of it in memory either.
        let value = edit(&mut open.draft).map_err(super::draft_error)?;
        let change = open.draft.save_after(&open.saved);
        let changed = !change.is_empty();
        if changed {
            if open.changes + 1 >= COMPACT_AFTER {
                self.write_save(id, &open.draft.save())?;
                open.changes = 0;
            } else {
                self.changes.insert(change_key(id, open.next), change)?;
                open.changes += 1;
            }
            open.next += 1;
            open.saved = open.draft.heads();
        }
        self.open_drafts().put(id, open);
        Ok((value, changed))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lines(drafts: &Drafts, id: &str) -> Vec<(String, String)> {
        drafts
            .open(id)
            .unwrap()
            .lines()
            .unwrap()
            .into_iter()
            .map(|l| (l.sku, l.quantity.to_string()))
            .collect()
    }

    #[test]
    fn an_edit_stores_only_its_change_and_every_edit_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (id, before) = {
            let drafts = Drafts::standalone(dir.path(), "d1").unwrap();
            let id = drafts.create("acc-1").unwrap();
            let line_ids = drafts
                .edit(&id, |d| {
                    (0..1_000)
                        .map(|i| d.add_line(&format!("SKU-{i}"), "1"))
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap();
            let whole = drafts.stored_len(id.as_bytes()).unwrap();
            // Past a compaction and into the changes after it.
            for n in 0..COMPACT_AFTER + 10 {
                let before = drafts.stored_len(id.as_bytes()).unwrap();
                let quantity = (n + 2).to_string();
                drafts
                    .edit(&id, |d| d.set_quantity(&line_ids[n * 13], &quantity))
                    .unwrap();
                let grew = drafts.stored_len(id.as_bytes()).unwrap() as i64 - before as i64;
                // One change of a 1,000-line draft is some tens of bytes,
                // against tens of kilobytes for the whole draft.
                assert!(
                    grew < 1_000 || n + 1 == COMPACT_AFTER,
                    "edit {n} stored {grew} bytes"
                );
            }
            assert!(whole > 20_000, "{whole}");
            assert!(drafts.changes.len() < COMPACT_AFTER, "compacted");
            assert!(!drafts.changes.is_empty(), "changes after the compaction");
            let before = lines(&drafts, &id);
            (id, before)
        };
        let drafts = Drafts::standalone(dir.path(), "d1").unwrap();
        assert_eq!(lines(&drafts, &id), before);
        assert_eq!(before[13].1, "3");
    }

    #[test]
    fn a_failed_edit_leaves_nothing_in_memory_or_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::standalone(dir.path(), "d1").unwrap();
        let id = drafts.create("acc-1").unwrap();
        drafts.edit(&id, |d| d.add_line("SKU-1", "1")).unwrap();
        let failed = drafts.edit(&id, |d| {
            d.add_line("SKU-2", "2")?;
            d.add_line("SKU-3", "not a number")
        });
        assert!(failed.is_err());
        drafts.edit(&id, |d| d.add_line("SKU-4", "4")).unwrap();
        let expected =
            [("SKU-1", "1"), ("SKU-4", "4")].map(|(s, q)| (s.to_string(), q.to_string()));
        assert_eq!(lines(&drafts, &id), expected);
        drop(drafts);
        let reopened = Drafts::standalone(dir.path(), "d1").unwrap();
        assert_eq!(lines(&reopened, &id), expected);
    }

    #[test]
    fn a_replaced_document_is_what_the_next_edit_starts_from() {
        let dir = tempfile::tempdir().unwrap();
        let drafts = Drafts::standalone(dir.path(), "d1").unwrap();
        let id = drafts.create("acc-1").unwrap();
        drafts.edit(&id, |d| d.add_line("SKU-1", "1")).unwrap();
        // Another device's copy with a line of its own, taken in as a sync
        // does: merged with what is stored, written whole.
        let mut theirs = drafts.open(&id).unwrap().fork_for_device();
        theirs.add_line("SKU-2", "2").unwrap();
        let mut merged = drafts.open(&id).unwrap();
        merged.merge(&mut theirs).unwrap();
        {
            let _writing = drafts.write_lock();
            drafts.replace(&id, &merged.save()).unwrap();
        }
        drafts.edit(&id, |d| d.add_line("SKU-3", "3")).unwrap();
        let skus: Vec<String> = lines(&drafts, &id).into_iter().map(|(s, _)| s).collect();
        assert_eq!(skus.len(), 3, "{skus:?}");
        assert!(skus.contains(&"SKU-2".to_string()), "{skus:?}");
    }
}
