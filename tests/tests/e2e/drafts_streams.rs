//! What a draft sync survives on the way: a push lost with a finished
//! stream, changes held back by a bloom filter's false positive, a
//! connection cut mid-stream, and a server killed during a sync.

use std::time::Duration;

use tradeport_mobile::Client;
use tradeport_proto::sync as pb;
use tradeport_sync::{OrderDraft, Replica, SyncState};
use tradeport_tests::ServerProcess;
use tradeport_tests::clients::sync;

use crate::drafts::{device, fixture, lines, server_copy, synced_draft};

/// A device's last sync is over but its stream is still open on the server
/// when another device's change comes in: the server pushes the change
/// down a stream nobody reads any more. The device's next sync starts
/// afresh, and must still get that change (it once traded messages
/// forever, the server sure it had already sent it).
#[tokio::test]
async fn a_push_lost_with_a_finished_sync_still_arrives_with_the_next_one() {
    let f = &fixture().await;
    let (phone, _p, id) = synced_draft(f, "lost-push-phone", "NL-0001", "1").await;
    let (tablet, _t) = device("lost-push-tablet");
    tablet.fetch(&id).unwrap();
    tablet.sync(&f.approver).await.unwrap();

    // The phone's finished stream, as the server still sees it: it has
    // synced the draft (an empty round, as a device with nothing to say).
    let (requests, rx) = tokio::sync::mpsc::channel(4);
    let mut stale = sync(&f.buyer)
        .sync_documents(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    requests
        .send(pb::SyncDocumentsRequest {
            peer_id: "lost-push-phone".into(),
            round: 1,
            messages: vec![pb::DocumentMessage {
                document_id: id.clone(),
                ..Default::default()
            }],
        })
        .await
        .unwrap();
    let answer = stale.message().await.unwrap().unwrap();
    assert_eq!(answer.round, 1);

    tablet.edit(&id, |d| d.add_line("NL-0002", "2")).unwrap();
    tablet.sync(&f.approver).await.unwrap();
    let pushed = tokio::time::timeout(Duration::from_secs(5), stale.message())
        .await
        .expect("the server pushes the tablet's change to the open stream")
        .unwrap()
        .unwrap();
    assert_eq!(pushed.round, 0);
    assert_eq!(pushed.messages[0].document_id, id);
    // ... and the push is lost with the stream.
    drop((requests, stale));

    let synced = tokio::time::timeout(Duration::from_secs(20), phone.sync(&f.buyer))
        .await
        .expect("the sync settles");
    synced.unwrap();
    assert_eq!(lines(&phone, &id), lines(&tablet, &id));
    assert_eq!(lines(&phone, &id).len(), 2);
    assert_eq!(phone.pending().unwrap(), 0);
}

/// The server's next message to a device as it would be had its bloom
/// filter matched `hash` by chance (about one change in a hundred does):
/// the filter summarises the changes since its `last_sync` the server
/// holds, which are all the device's but `offline`, plus `hash`.
fn with_false_positive(
    message: &[u8],
    device: &Replica,
    offline: &[tradeport_sync::ChangeHash],
    hash: tradeport_sync::ChangeHash,
) -> Vec<u8> {
    let mut message = automerge::sync::Message::decode(message).unwrap();
    for have in &mut message.have {
        let held: Vec<_> = device
            .doc()
            .get_changes(&have.last_sync)
            .iter()
            .map(|c| c.hash())
            .filter(|h| !offline.contains(h) || *h == hash)
            .collect();
        have.bloom = automerge::sync::BloomFilter::from_hashes(held.into_iter());
    }
    message.encode()
}

/// One sync of `replica` over a `SyncDocuments` stream of its own, as a
/// device runs it; the server's first message summarising what it holds
/// is replaced by `tamper`'s. Returns the rounds taken, or `None` if it had
/// not settled after 20.
async fn stream_sync(
    client: &Client,
    replica: &mut Replica,
    state: &mut SyncState,
    whole: bool,
    mut tamper: impl FnMut(&[u8]) -> Option<Vec<u8>>,
) -> Option<u64> {
    let (requests, rx) = tokio::sync::mpsc::channel(4);
    let mut responses = sync(client)
        .sync_documents(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let mut up = replica.generate(state).unwrap_or_default();
    let mut tampered = false;
    for round in 1..=20 {
        requests
            .send(pb::SyncDocumentsRequest {
                peer_id: "false-positive".into(),
                round,
                messages: vec![pb::DocumentMessage {
                    document_id: replica.document_id().to_owned(),
                    sync_message: up,
                    document: if whole && round == 1 {
                        replica.save()
                    } else {
                        Vec::new()
                    },
                    problem: None,
                }],
            })
            .await
            .unwrap();
        let answer = responses.message().await.unwrap().unwrap();
        assert_eq!(answer.round, round, "no other device changes the draft");
        assert!(answer.messages[0].problem.is_none());
        let mut down = answer.messages[0].sync_message.clone();
        if !tampered && let Some(replaced) = tamper(&down) {
            down = replaced;
            tampered = true;
        }
        if !down.is_empty() {
            replica.receive(state, &down).unwrap();
        }
        match replica.generate(state) {
            Some(next) => up = next,
            None => return Some(round),
        }
    }
    None
}

/// A device sends offline changes to a server whose summary of what it
/// holds falsely claims the first of them: the device holds that one back
/// and sends the ones built on it, which the server cannot apply yet. The
/// server must keep them until the first arrives (it once dropped them,
/// asked for them again, and the device, sure it had sent them, answered
/// heads only — round after round until `SyncUnsettled`).
#[tokio::test]
async fn changes_held_back_by_a_bloom_false_positive_still_arrive_in_the_same_sync() {
    let f = &fixture().await;
    let mut draft = OrderDraft::new(&f.server.account(0)).unwrap();
    // Enough history that three new changes go one by one, not as the
    // whole document.
    for n in 0..8 {
        draft.add_line(&format!("NL-000{n}"), "1").unwrap();
    }
    let id = draft.draft_id().unwrap();
    let mut replica = Replica::load(&draft.save()).unwrap();
    let mut state = SyncState::new();
    stream_sync(&f.buyer, &mut replica, &mut state, true, |_| None)
        .await
        .expect("the draft reaches the server");

    // Offline: three changes, each on the one before.
    let before = replica.heads();
    for sku in ["NL-0101", "NL-0102", "NL-0103"] {
        draft.add_line(sku, "2").unwrap();
    }
    replica.merge_document(&draft.save()).unwrap();
    let changes = replica.doc().get_changes(&before);
    let offline: Vec<tradeport_sync::ChangeHash> = changes.iter().map(|c| c.hash()).collect();
    assert_eq!(offline.len(), 3);
    let first = changes
        .iter()
        .find(|c| c.deps() == before.as_slice())
        .map(|c| c.hash())
        .unwrap();

    // Back online: a new stream, from what both sides are known to share.
    let mut state = SyncState::decode(&state.encode()).unwrap();
    let view = replica.clone();
    let rounds = stream_sync(&f.buyer, &mut replica, &mut state, false, |down| {
        automerge::sync::Message::decode(down)
            .is_ok_and(|m| !m.have.is_empty())
            .then(|| with_false_positive(down, &view, &offline, first))
    })
    .await;
    assert!(rounds.is_some(), "the sync never settles");

    let (fresh, _dir) = device("false-positive-check");
    fresh.fetch(&id).unwrap();
    fresh.sync(&f.admin).await.unwrap();
    assert_eq!(fresh.open(&id).unwrap().lines().unwrap().len(), 11);
}

#[tokio::test]
async fn a_sync_cut_mid_stream_resumes_without_duplicating_anything() {
    let f = &fixture().await;
    let (phone, _p) = device("cut-phone");
    let id = phone.create(&f.server.account(0)).unwrap();
    for n in 0..40 {
        phone
            .edit(&id, |d| d.add_line(&format!("NL-{n:04}"), "1"))
            .unwrap();
    }
    // Cut the connection as soon as the first round is on its way.
    let cut = tokio::time::timeout(Duration::from_millis(1), phone.sync(&f.buyer)).await;
    assert!(cut.is_err(), "the sync was cut before it finished");
    phone.sync(&f.buyer).await.unwrap();
    phone.sync(&f.buyer).await.unwrap();
    let held = lines(&phone, &id);
    assert_eq!(held.len(), 40);
    assert_eq!(
        server_copy(f, &id).await,
        held,
        "the server holds each line once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_a_sync_loses_nothing_acknowledged_and_sync_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_server-process")),
        dir.path(),
    )
    .unwrap();
    let client = server.enrolled("buyer@nordlicht.example").await.unwrap();
    let tokens = client.tokens().unwrap();
    let account = server.accounts[0].clone();

    let (phone, _p) = device("crash-phone");
    let id = phone.create(&account).unwrap();
    let mut acknowledged = Vec::new();
    for n in 0..20 {
        phone
            .edit(&id, |d| d.add_line(&format!("NL-{n:04}"), "1"))
            .unwrap();
        phone.sync(&client).await.unwrap();
        acknowledged = lines(&phone, &id);
    }
    // More edits, and the server dies while they sync.
    for n in 20..40 {
        phone
            .edit(&id, |d| d.add_line(&format!("NL-{n:04}"), "1"))
            .unwrap();
    }
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(3));
        server.kill().unwrap();
    });
    let cut = phone.sync(&client).await;
    killer.join().unwrap();
    if cut.is_ok() {
        // The sync beat the kill: all of it was acknowledged.
        acknowledged = lines(&phone, &id);
    }

    let server = ServerProcess::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_server-process")),
        dir.path(),
    )
    .unwrap();
    let client = server.client(Some(&tokens)).unwrap();
    let (fresh, _f) = device("crash-fresh");
    fresh.fetch(&id).unwrap();
    fresh.sync(&client).await.unwrap();
    let held = lines(&fresh, &id);
    for line in &acknowledged {
        assert!(held.contains(line), "acknowledged {line:?} was lost");
    }
    // The phone resumes; the server ends with every line exactly once.
    phone.sync(&client).await.unwrap();
    fresh.sync(&client).await.unwrap();
    let all = lines(&phone, &id);
    assert_eq!(all.len(), 40);
    assert_eq!(lines(&fresh, &id), all);
    server.kill().unwrap();
}
