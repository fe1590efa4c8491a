//! A refused draft is that draft's problem alone: two devices each add
//! 600 lines offline to one draft, the merge (1,201 lines) is over the
//! 1,000-line limit, and the second device to sync marks that draft
//! refused — with the reason and the field, and an event — while its other
//! drafts keep syncing both ways; removing lines until the draft fits
//! brings it back into sync.

use std::time::Duration;

use tradeport_mobile::{Device, DeviceEvent, DraftOutcome, Drafts, SyncReport};

use crate::drafts::{fixture, lines, server_copy};

/// Adds `count` lines of SKUs `<prefix>-0000`… in one edit.
fn add_lines(drafts: &Drafts, id: &str, prefix: &str, count: usize) {
    drafts
        .edit(id, |d| {
            for i in 0..count {
                d.add_line(&format!("{prefix}-{i:04}"), "1")?;
            }
            Ok(())
        })
        .unwrap();
}

fn outcome(report: &SyncReport, id: &str) -> DraftOutcome {
    report
        .drafts
        .iter()
        .find(|d| d.document_id == id)
        .unwrap_or_else(|| panic!("no outcome for {id} in {report:#?}"))
        .outcome
        .clone()
}

#[tokio::test]
async fn a_draft_merged_over_the_line_limit_is_refused_alone_and_recovers_once_it_fits() {
    let f = &fixture().await;
    let phone_dir = tempfile::tempdir().unwrap();
    let tablet_dir = tempfile::tempdir().unwrap();
    let phone = Device::open(phone_dir.path(), f.buyer.clone()).unwrap();
    let tablet = Device::open(tablet_dir.path(), f.approver.clone()).unwrap();
    let big = phone.drafts().create(&f.server.account(0)).unwrap();
    let other = phone.drafts().create(&f.server.account(0)).unwrap();
    phone
        .drafts()
        .edit(&big, |d| d.add_line("TP-EL-00007", "1"))
        .unwrap();
    phone
        .drafts()
        .edit(&other, |d| d.add_line("TP-EL-00007", "2"))
        .unwrap();
    phone.sync_now().await.unwrap();
    tablet.sync_now().await.unwrap();
    assert_eq!(lines(tablet.drafts(), &big).len(), 1);

    // Offline, each adds 600 lines to the same draft: 1 + 600 + 600.
    add_lines(phone.drafts(), &big, "PH", 600);
    add_lines(tablet.drafts(), &big, "TB", 600);
    let report = phone.sync_now().await.unwrap();
    assert_eq!(outcome(&report, &big), DraftOutcome::Synced);

    let mut events = tablet.events();
    let report = tablet
        .sync_now()
        .await
        .expect("one refused draft does not fail the sync");
    let DraftOutcome::Refused(refusal) = outcome(&report, &big) else {
        panic!("the merged draft is refused: {report:#?}");
    };
    assert_eq!(refusal.reason, "DOCUMENT_INVALID", "{refusal:?}");
    assert!(refusal.field.ends_with("lines"), "{refusal:?}");
    assert!(refusal.message.contains("1201"), "{refusal:?}");
    assert_eq!(outcome(&report, &other), DraftOutcome::Synced);
    assert!(!report.all_synced());
    assert_eq!(report.refused().len(), 1);
    assert_eq!(
        tablet.drafts().refusal(&big).unwrap(),
        Some(refusal.clone())
    );
    assert_eq!(tablet.status().unwrap().refused_drafts, 1);
    let refused_event = loop {
        match tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("a refusal event")
            .unwrap()
        {
            DeviceEvent::DraftRefused {
                document_id,
                refusal,
            } if document_id == big => break refusal,
            _ => continue,
        }
    };
    assert_eq!(refused_event, refusal);
    // The person still sees what the tablet holds: its own 601 lines.
    assert_eq!(lines(tablet.drafts(), &big).len(), 601);

    // Every other draft keeps syncing, both ways, and the refused one does
    // not fail later syncs either.
    phone
        .drafts()
        .edit(&other, |d| d.add_line("TP-LI-01001", "3"))
        .unwrap();
    phone.sync_now().await.unwrap();
    let report = tablet.sync_now().await.unwrap();
    assert!(matches!(outcome(&report, &big), DraftOutcome::Refused(_)));
    assert_eq!(lines(tablet.drafts(), &other).len(), 2);
    tablet
        .drafts()
        .edit(&other, |d| d.add_line("NL-0001", "4"))
        .unwrap();
    let report = tablet.sync_now().await.unwrap();
    assert_eq!(outcome(&report, &other), DraftOutcome::Synced);
    phone.sync_now().await.unwrap();
    assert_eq!(lines(phone.drafts(), &other).len(), 3);
    assert_eq!(server_copy(f, &other).await.len(), 3);

    // The way out: remove the tablet's lines until the merge fits
    // (1 + 600 + 399 = 1,000).
    let removed: Vec<_> = tablet
        .drafts()
        .open(&big)
        .unwrap()
        .lines()
        .unwrap()
        .into_iter()
        .filter(|l| l.sku.starts_with("TB-"))
        .take(201)
        .map(|l| l.id)
        .collect();
    tablet
        .drafts()
        .edit(&big, |d| {
            removed.iter().try_for_each(|id| d.remove_line(id))
        })
        .unwrap();
    let report = tablet.sync_now().await.unwrap();
    assert_eq!(outcome(&report, &big), DraftOutcome::Synced, "{report:#?}");
    assert_eq!(tablet.drafts().refusal(&big).unwrap(), None);
    assert_eq!(tablet.status().unwrap().refused_drafts, 0);
    assert_eq!(lines(tablet.drafts(), &big).len(), 1_000);
    let report = phone.sync_now().await.unwrap();
    assert_eq!(outcome(&report, &big), DraftOutcome::Synced);
    assert_eq!(lines(phone.drafts(), &big), lines(tablet.drafts(), &big));
    assert_eq!(server_copy(f, &big).await.len(), 1_000);
}
