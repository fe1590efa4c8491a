//! The store's promises: no lost update under concurrent conflicting
//! commits, acknowledged writes survive SIGKILL, a large commit cut short
//! by SIGKILL is rolled back whole, newer schemas are refused.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use tradeport_server::store::{Commit, SCHEMA_KEY, SCHEMA_VERSION, SledStore, Store, StoreError};

/// Adds one to a counter with optimistic concurrency, retrying on conflict.
fn increment(store: &dyn Store, key: &[u8]) -> u32 {
    let mut conflicts = 0;
    loop {
        let current = store.get(key).unwrap();
        let n = current
            .as_deref()
            .map_or(0, |b| u64::from_be_bytes(b.try_into().unwrap()));
        match store.commit(
            Commit::new()
                .expect(key, current)
                .put(key, (n + 1).to_be_bytes().to_vec()),
        ) {
            Ok(()) => return conflicts,
            Err(StoreError::Conflict { .. }) => conflicts += 1,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn concurrent_conflicting_commits_never_lose_an_update() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).unwrap());
    const THREADS: u64 = 8;
    const EACH: u64 = 50;
    let conflicts: u32 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let store = Arc::clone(&store);
                scope.spawn(move || {
                    (0..EACH)
                        .map(|_| increment(store.as_ref(), b"counter"))
                        .sum::<u32>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let value = u64::from_be_bytes(store.get(b"counter").unwrap().unwrap().try_into().unwrap());
    assert_eq!(
        value,
        THREADS * EACH,
        "lost updates ({conflicts} conflicts were retried)"
    );
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    // A separate process, so that SIGKILL takes its whole memory with it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ack-writer"))
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut last = None;
    for line in lines.by_ref() {
        if let Some(n) = line.unwrap().strip_prefix("acked ") {
            last = Some(n.parse::<u32>().unwrap());
            if last >= Some(200) {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no flush on the way out
    // Acks already printed before the kill landed count too.
    for line in lines {
        if let Some(n) = line.unwrap().strip_prefix("acked ") {
            last = Some(n.parse::<u32>().unwrap());
        }
    }
    child.wait().unwrap();
    let last = last.expect("the child acknowledged nothing");

    let store = SledStore::open(dir.path()).unwrap();
    for i in 0..=last {
        assert_eq!(
            store.get(format!("ack/{i:08}").as_bytes()).unwrap(),
            Some(i.to_be_bytes().to_vec()),
            "acknowledged write {i} of {last} lost"
        );
    }
}

#[test]
fn a_store_from_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open(dir.path()).unwrap();
        store
            .commit(Commit::new().put(SCHEMA_KEY, (SCHEMA_VERSION + 1).to_be_bytes().to_vec()))
            .unwrap();
    }
    let err = SledStore::open(dir.path())
        .err()
        .expect("a newer store must be refused");
    assert!(matches!(err, StoreError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1));
    assert!(err.to_string().contains("newer"), "{err}");

    let config = tradeport_server::config::Config {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let err = tradeport_server::App::open(config)
        .err()
        .expect("the server refuses it too");
    assert!(format!("{err:#}").contains("schema version"), "{err:#}");
}

/// Records per commit of the `step-writer` child: enough that a commit
/// spans a dozen steps and more than one of sled's log buffers, so a kill
/// finds some of its steps on disk.
const STEP_WRITER_RECORDS: usize = 50_000;

/// Kills `step-writer` `delay` after its second commit returned, and
/// reopens its store: each commit's records must be all there or none,
/// every acknowledged commit whole. Tells whether opening rolled back a
/// commit the kill cut short.
fn kill_a_large_commit_midway(delay: std::time::Duration) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_step-writer"))
        .arg(dir.path())
        .arg(STEP_WRITER_RECORDS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked = 0;
    for line in lines.by_ref() {
        if line.unwrap().starts_with("acked ") {
            acked += 1;
            if acked == 2 {
                break;
            }
        }
    }
    std::thread::sleep(delay);
    child.kill().unwrap();
    acked += lines
        .map_while(Result::ok)
        .filter(|l| l.starts_with("acked "))
        .count();
    child.wait().unwrap();

    let store = SledStore::open(dir.path()).unwrap();
    for n in 0..acked + 2 {
        let prefix = format!("big/{n:04}/");
        let found = tradeport_server::store::scan_all(&store, prefix.as_bytes(), 10_000)
            .unwrap()
            .len();
        let expected = if n < acked {
            STEP_WRITER_RECORDS
        } else {
            found
        };
        assert!(
            found == expected && (found == 0 || found == STEP_WRITER_RECORDS),
            "commit {n} has {found} of {STEP_WRITER_RECORDS} records after a kill ({acked} acknowledged)"
        );
    }
    store.rolled_back_at_open()
}

#[test]
fn a_large_commit_cut_short_by_sigkill_is_rolled_back_whole() {
    // Where the kill lands depends on timing: try delays until one cut a
    // commit after some of its steps had reached the disk.
    let cut_short = [60, 120, 30, 200, 90, 300, 15, 400]
        .into_iter()
        .map(std::time::Duration::from_millis)
        .any(kill_a_large_commit_midway);
    assert!(cut_short, "no kill landed inside a large commit's steps");
}
