//! The store's promises: no lost update under concurrent conflicting
//! commits, acknowledged writes survive SIGKILL, newer schemas are refused.

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
