//! What an app watches on a device, across the wire: one event stream for
//! drafts, outbox actions and reference data; the status pushed as it
//! changes, with a first pull's progress as pages done of the pages the
//! server said the snapshot takes; the background loop's state.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tradeport_mobile::{
    BackgroundState, Client, ClientConfig, Device, DeviceEvent, DeviceEvents, SyncStatus,
};

use crate::drafts::{device, fixture};

/// Every event that arrives within `wait` of the last one.
async fn drain(events: &mut DeviceEvents, wait: Duration) -> Vec<DeviceEvent> {
    let mut seen = Vec::new();
    while let Ok(Ok(event)) = tokio::time::timeout(wait, events.recv()).await {
        seen.push(event);
    }
    seen
}

#[tokio::test]
async fn one_stream_tells_drafts_actions_and_reference_data_and_the_status_shows_pull_progress() {
    let f = &fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let phone = Device::open(dir.path(), f.buyer.clone()).unwrap();
    let mut events = phone.events();
    let seen: Arc<Mutex<Vec<SyncStatus>>> = Arc::default();
    let mut watch = phone.watch_status();
    let watcher = {
        let seen = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok(status) = watch.changed().await {
                seen.lock().unwrap().push(status);
            }
        })
    };

    // A draft the phone holds, changed by another device.
    let id = phone.drafts().create(&f.server.account(0)).unwrap();
    phone
        .drafts()
        .edit(&id, |d| d.add_line("TP-EL-00007", "1"))
        .unwrap();
    let report = phone.sync_now().await.unwrap();
    let (tablet, _t) = device("status-tablet");
    tablet.fetch(&id).unwrap();
    tablet.sync(&f.approver).await.unwrap();
    tablet
        .edit(&id, |d| d.add_line("TP-LI-01001", "2"))
        .unwrap();
    tablet.sync(&f.approver).await.unwrap();
    // An action the server refuses.
    phone.queue_approve_order("ord-nonexistent", "").unwrap();
    phone.sync_now().await.unwrap();

    let kinds: Vec<&'static str> = drain(&mut events, Duration::from_millis(500))
        .await
        .iter()
        .map(|e| match e {
            DeviceEvent::ReferenceDataUpdated { .. } => "reference",
            DeviceEvent::DraftChanged { document_id } if *document_id == id => "draft",
            DeviceEvent::ActionFailed { .. } => "action",
            _ => "other",
        })
        .collect();
    for kind in ["reference", "draft", "action"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }

    tokio::time::sleep(Duration::from_millis(200)).await;
    let statuses = seen.lock().unwrap().clone();
    watcher.abort();
    // The first pull's progress: pages done out of the server's total.
    let progress: Vec<_> = statuses.iter().filter_map(|s| s.pull).collect();
    let total = progress
        .iter()
        .find_map(|p| p.pages_total)
        .expect("the server told the snapshot's pages");
    assert!(total >= 1);
    let done = progress.iter().map(|p| p.pages_done).max().unwrap();
    // An estimate: other tests place orders meanwhile, and the last page
    // may come empty. A watcher sees the latest status, so it may miss
    // the last page's before the pull ends.
    let pulled = report.pull.pages;
    assert!(
        (total - 1..=total + 1).contains(&pulled) && done <= pulled && done + 2 >= pulled,
        "{done} pages seen done of {total}, {pulled} pulled: {progress:?}"
    );
    let fractions: Vec<f64> = progress.iter().filter_map(|p| p.fraction()).collect();
    assert!(fractions.windows(2).all(|w| w[0] < w[1]), "{fractions:?}");
    assert!(*fractions.last().unwrap() > 0.9, "{fractions:?}");
    let last = progress.iter().rfind(|p| p.pages_total.is_some()).unwrap();
    assert!(last.bytes > 0 && last.changes > 0, "{last:?}");
    assert!(statuses.iter().any(|s| s.syncing));
    assert!(statuses.iter().any(|s| s.pending_actions == 1));
    let end = statuses.last().unwrap();
    assert!(
        !end.syncing && end.pull.is_none() && end.last_synced.is_some(),
        "{end:?}"
    );
    assert_eq!(end.pending_actions, 0);
}

#[tokio::test]
async fn the_background_loop_shows_idle_offline_and_stopped() {
    let f = &fixture().await;
    let dir = tempfile::tempdir().unwrap();
    let online = Device::open(dir.path(), f.buyer.clone()).unwrap();
    let mut watch = online.watch_status();
    let background = online.spawn_background(Duration::from_secs(60));
    let idle = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let status = watch.changed().await.unwrap();
            if let BackgroundState::Idle { next_at } = status.background {
                break next_at;
            }
        }
    })
    .await
    .expect("the loop goes idle after a sync");
    assert!(idle > std::time::SystemTime::now());
    drop(background);
    assert_eq!(
        online.status().unwrap().background,
        BackgroundState::Stopped
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = ClientConfig::new(format!("http://{}", closed.local_addr().unwrap()));
    drop(closed);
    config.retry.max_attempts = 1;
    let dir = tempfile::tempdir().unwrap();
    let offline = Device::open(dir.path(), Client::connect_lazy(config).unwrap()).unwrap();
    let mut watch = offline.watch_status();
    let _background = offline.spawn_background(Duration::from_secs(60));
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let status = watch.changed().await.unwrap();
            if matches!(status.background, BackgroundState::Offline { .. }) {
                assert!(status.last_error.unwrap().is_offline());
                break;
            }
        }
    })
    .await
    .expect("the loop shows it is offline");
}
