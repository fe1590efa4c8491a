//! Commits applied but not yet handed to sled.
//!
//! A sled batch holds sled's write lock while it lands, and a sled flush
//! holds its read side through the disk write: so a batch per commit
//! made every commit wait for whatever flush was running, and paid
//! sled's fixed cost of a batch (two log buffers sealed and written) each
//! time. Instead, an applied commit is staged here, where readers see it
//! over sled at once, and the next flush hands every staged commit to
//! sled as one batch before it flushes. Each commit lands whole, in
//! order, inside one sled batch, so a crash keeps all of a commit or none
//! of it, as before.

use std::collections::BTreeMap;
use std::ops::Bound;

use parking_lot::{Mutex, MutexGuard, RwLock};

use super::{Entry, KeyRange};

/// A commit's writes (`None` removes the key).
pub(super) type Writes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// A staged key's newest value, and the number of the commit that wrote it.
type Newest = (u64, Option<Vec<u8>>);

#[derive(Default)]
pub(super) struct Unflushed {
    /// Applies take this for the whole of their check-and-stage, so no
    /// commit lands between another's expectations and its writes.
    staged: Mutex<Staged>,
    /// The newest staged value of each key, and the number of the commit
    /// that wrote it: what readers see over sled.
    latest: RwLock<BTreeMap<Vec<u8>, Newest>>,
}

/// Commits in the order they were applied, not yet in sled.
#[derive(Default)]
pub(super) struct Staged {
    commits: Vec<Writes>,
    /// Commits applied so far (staged or not), numbering them from 1.
    applied: u64,
}

impl Staged {
    pub(super) fn applied(&self) -> u64 {
        self.applied
    }

    /// Counts a commit that went to sled directly (a stepped one).
    pub(super) fn count_direct(&mut self) {
        self.applied += 1;
    }

    /// Takes every staged commit, oldest first, and the number of the
    /// last commit applied: once they are in sled, sled holds every
    /// commit up to that number.
    pub(super) fn take(&mut self) -> (Vec<Writes>, u64) {
        (std::mem::take(&mut self.commits), self.applied)
    }

    /// Puts back commits taken but not landed, ahead of newer ones.
    pub(super) fn put_back(&mut self, mut commits: Vec<Writes>) {
        commits.append(&mut self.commits);
        self.commits = commits;
    }
}

impl Unflushed {
    /// The lock every apply and every hand-over to sled takes.
    pub(super) fn staging(&self) -> MutexGuard<'_, Staged> {
        self.staged.lock()
    }

    /// What a staged commit left under `key`: `Some(None)` when it removed
    /// it, `None` when no staged commit wrote it.
    pub(super) fn get(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.latest.read().get(key).map(|(_, value)| value.clone())
    }

    /// Every staged key in `range`, in key order, with its newest value.
    pub(super) fn range(&self, range: &KeyRange) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let latest = self.latest.read();
        if latest.is_empty() {
            return Vec::new();
        }
        latest
            .range::<Vec<u8>, _>((bound_ref(&range.start), bound_ref(&range.end)))
            .map(|(key, (_, value))| (key.clone(), value.clone()))
            .collect()
    }

    /// Stages `writes` as the next commit; `staged` is this store's
    /// staging lock, held by the caller since it checked expectations.
    pub(super) fn stage(&self, staged: &mut Staged, writes: Writes) {
        staged.applied += 1;
        let number = staged.applied;
        {
            let mut latest = self.latest.write();
            for (key, value) in &writes {
                latest.insert(key.clone(), (number, value.clone()));
            }
        }
        staged.commits.push(writes);
    }

    /// Forgets the staged values of `commits`, now in sled, unless a
    /// commit after `upto` wrote the key again.
    pub(super) fn landed(&self, commits: &[Writes], upto: u64) {
        let mut latest = self.latest.write();
        for (key, _) in commits.iter().flatten() {
            if latest.get(key).is_some_and(|(number, _)| *number <= upto) {
                latest.remove(key);
            }
        }
    }
}

fn bound_ref(bound: &Bound<Vec<u8>>) -> Bound<&Vec<u8>> {
    match bound {
        Bound::Included(key) => Bound::Included(key),
        Bound::Excluded(key) => Bound::Excluded(key),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// `engine`'s entries, in key order, with `staged` written over them
/// (a staged `None` hides the key), at most `limit` of them.
pub(super) fn merge<E>(
    engine: impl Iterator<Item = Result<Entry, E>>,
    staged: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    limit: usize,
) -> Result<Vec<Entry>, E> {
    let mut engine = engine.peekable();
    let mut staged = staged.into_iter().peekable();
    let mut out = Vec::new();
    while out.len() < limit {
        if matches!(engine.peek(), Some(Err(_)))
            && let Some(Err(e)) = engine.next()
        {
            return Err(e);
        }
        let ours = match engine.peek() {
            Some(Ok((key, _))) => Some(key),
            _ => None,
        };
        let take_staged = match (ours, staged.peek()) {
            (None, None) => break,
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(ours), Some((theirs, _))) => {
                let take = theirs <= ours;
                if theirs == ours {
                    // The staged value is the newer one.
                    engine.next();
                }
                take
            }
        };
        if take_staged {
            if let Some((key, Some(value))) = staged.next() {
                out.push((key, value));
            }
        } else if let Some(Ok(entry)) = engine.next() {
            out.push(entry);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entries(keys: &[(&str, &str)]) -> Vec<Result<Entry, ()>> {
        keys.iter()
            .map(|(k, v)| Ok((k.as_bytes().to_vec(), v.as_bytes().to_vec())))
            .collect()
    }

    fn staged(keys: &[(&str, Option<&str>)]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        keys.iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
            .collect()
    }

    fn keys_and_values(out: &[Entry]) -> Vec<String> {
        out.iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(v)
                )
            })
            .collect()
    }

    #[test]
    fn staged_values_replace_hide_and_join_the_engines_in_key_order() {
        let engine = entries(&[("a", "1"), ("b", "1"), ("c", "1"), ("e", "1")]);
        let over = staged(&[
            ("b", Some("2")),
            ("c", None),
            ("d", Some("2")),
            ("f", Some("2")),
        ]);
        let out = merge(engine.into_iter(), over, usize::MAX).unwrap();
        assert_eq!(keys_and_values(&out), ["a=1", "b=2", "d=2", "e=1", "f=2"]);
    }

    #[test]
    fn the_limit_counts_what_is_returned_not_what_is_hidden() {
        let engine = entries(&[("a", "1"), ("b", "1"), ("c", "1"), ("d", "1")]);
        let over = staged(&[("a", None), ("b", None), ("c", Some("2"))]);
        let out = merge(engine.into_iter(), over, 2).unwrap();
        assert_eq!(keys_and_values(&out), ["c=2", "d=1"]);
    }

    #[test]
    fn an_engine_error_ends_the_scan() {
        let engine = vec![Ok((b"a".to_vec(), b"1".to_vec())), Err(())];
        assert!(merge(engine.into_iter(), staged(&[("z", Some("2"))]), 10).is_err());
    }

    #[test]
    fn a_landed_key_written_again_since_stays_staged() {
        let unflushed = Unflushed::default();
        let mut staged = unflushed.staging();
        unflushed.stage(&mut staged, vec![(b"k".to_vec(), Some(b"1".to_vec()))]);
        let (taken, upto) = staged.take();
        unflushed.stage(&mut staged, vec![(b"k".to_vec(), Some(b"2".to_vec()))]);
        unflushed.landed(&taken, upto);
        assert_eq!(unflushed.get(b"k"), Some(Some(b"2".to_vec())));
        let (taken, upto) = staged.take();
        unflushed.landed(&taken, upto);
        assert_eq!(unflushed.get(b"k"), None);
        assert_eq!(staged.applied(), 2);
    }
}
