use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::*;
use crate::store::SledStore;

fn stock(n: u64) -> FeedEntry {
    FeedEntry::Stock {
        sku: format!("SKU-{n}"),
        warehouse: "wh".into(),
    }
}

fn open() -> (tempfile::TempDir, Arc<dyn Store>, FeedLog) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    let log = FeedLog::open(Arc::clone(&store)).unwrap();
    (dir, store, log)
}

#[test]
fn a_reader_waits_for_an_earlier_sequence_committed_later() {
    let (_dir, store, log) = open();
    let (first, first_ticket) = log
        .stage(Commit::new().put("a", vec![1]), [stock(1)])
        .unwrap();
    let (second, second_ticket) = log
        .stage(Commit::new().put("b", vec![2]), [stock(2)])
        .unwrap();
    drop((first_ticket, second_ticket));
    // The later sequence commits first: it is not readable yet, because
    // the earlier one might still commit below it.
    store.commit(second).unwrap();
    assert_eq!(log.watermark(), 0);
    assert!(log.read(0, log.watermark(), 10).unwrap().is_empty());
    store.commit(first).unwrap();
    assert_eq!(log.watermark(), 2);
    let read: Vec<u64> = log
        .read(0, log.watermark(), 10)
        .unwrap()
        .into_iter()
        .map(|(seq, _)| seq)
        .collect();
    assert_eq!(read, vec![1, 2]);
}

#[test]
fn a_kept_ticket_holds_readers_back_after_the_commit() {
    let (_dir, store, log) = open();
    let (commit, ticket) = log.stage(Commit::new(), [stock(1)]).unwrap();
    store.commit(commit).unwrap();
    assert_eq!(log.watermark(), 0, "the writer has not published yet");
    drop(ticket);
    assert_eq!(log.watermark(), 1);
}

#[test]
fn a_refused_commit_writes_no_entry_and_leaves_a_gap_readers_pass() {
    let (_dir, store, log) = open();
    store.commit(Commit::new().put("k", vec![1])).unwrap();
    let (refused, _) = log
        .stage(
            Commit::new().expect("k", Some(vec![0])).put("k", vec![2]),
            [stock(1)],
        )
        .unwrap();
    assert!(matches!(
        store.commit(refused),
        Err(StoreError::Conflict { .. })
    ));
    let (accepted, _) = log
        .stage(Commit::new().put("k", vec![3]), [stock(2)])
        .unwrap();
    store.commit(accepted).unwrap();
    assert_eq!(log.watermark(), 2);
    let read = log.read(0, 2, 10).unwrap();
    assert_eq!(
        read,
        vec![(2, stock(2))],
        "the change and its entry, or neither"
    );
    assert_eq!(store.get(b"k").unwrap(), Some(vec![3]));
}

#[test]
fn a_commit_never_applied_releases_its_sequences() {
    let (_dir, _store, log) = open();
    let (commit, ticket) = log.stage(Commit::new(), [stock(1), stock(2)]).unwrap();
    assert_eq!(log.watermark(), 0);
    drop(commit);
    drop(ticket);
    assert_eq!(log.watermark(), 2);
}

#[test]
fn after_a_restart_sequences_continue_above_everything_handed_out() {
    let dir = tempfile::tempdir().unwrap();
    let handed_out = {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
        let log = FeedLog::open(Arc::clone(&store)).unwrap();
        let (commit, _) = log.stage(Commit::new(), [stock(1)]).unwrap();
        store.commit(commit).unwrap();
        // Handed out, never committed (the process dies with it pending).
        let (lost, ticket) = log.stage(Commit::new(), [stock(2)]).unwrap();
        std::mem::forget((lost, ticket));
        log.next.load(Ordering::SeqCst) - 1
    };
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    let log = FeedLog::open(Arc::clone(&store)).unwrap();
    assert!(log.watermark() >= handed_out);
    let (commit, _) = log.stage(Commit::new(), [stock(3)]).unwrap();
    store.commit(commit).unwrap();
    let read = log.read(handed_out, log.watermark(), 10).unwrap();
    assert_eq!(
        read.len(),
        1,
        "a cursor at {handed_out} still gets the new entry"
    );
    assert_eq!(read[0].1, stock(3));
}

#[test]
fn concurrent_writers_never_make_a_reader_skip_an_entry() {
    let (_dir, store, log) = open();
    let log = Arc::new(log);
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let (store, log) = (Arc::clone(&store), Arc::clone(&log));
            std::thread::spawn(move || {
                for i in 0..150u64 {
                    let n = w * 1000 + i;
                    let (commit, ticket) = log
                        .stage(Commit::new().put(format!("x/{n}"), vec![]), [stock(n)])
                        .unwrap();
                    drop(ticket);
                    // Vary how long a staged commit waits, so commits land
                    // out of sequence order.
                    if (n * 7) % 5 == 0 {
                        std::thread::sleep(Duration::from_micros(300));
                    }
                    store.apply(commit).unwrap();
                }
            })
        })
        .collect();
    let reader = {
        let (log, done) = (Arc::clone(&log), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut cursor = 0;
            let mut seen = BTreeSet::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let upto = log.watermark();
                for (seq, entry) in log.read(cursor, upto, usize::MAX).unwrap() {
                    assert!(seen.insert(seq), "{seq} read twice");
                    let _ = entry;
                }
                cursor = upto;
                if finished {
                    return seen;
                }
            }
        })
    };
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.join().unwrap();
    let all: BTreeSet<u64> = log
        .read(0, log.watermark(), usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(seq, _)| seq)
        .collect();
    assert_eq!(all.len(), 600);
    assert_eq!(
        seen, all,
        "the reader, moving its cursor to each watermark, missed none"
    );
}

#[test]
fn trimming_moves_the_floor_and_keeps_what_is_newer() {
    let (_dir, store, log) = open();
    for n in 1..=5 {
        let (commit, _) = log.stage(Commit::new(), [stock(n)]).unwrap();
        store.commit(commit).unwrap();
    }
    assert_eq!(log.trim(3).unwrap(), 3);
    assert_eq!(log.floor().unwrap(), 3);
    let left: Vec<u64> = log
        .read(0, 5, 10)
        .unwrap()
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(left, vec![4, 5]);
    assert_eq!(log.trim(2).unwrap(), 0);
}
