//! Draft documents synced between devices through a real server: offline
//! edits on two devices converging in either order, a watching device
//! told within a second, a connection cut mid-sync, more documents than a
//! round may carry, other accounts kept out, hostile documents refused,
//! and a browser syncing over gRPC-web.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use rust_decimal::Decimal;
use tradeport_mobile::{Client, Device, DeviceEvent, DraftEvent, Drafts};
use tradeport_proto::identity::SessionTokens;
use tradeport_proto::orders::order_service_client::OrderServiceClient;
use tradeport_proto::orders::{OrderLineInput, SubmitOrderRequest};
use tradeport_proto::sync::{self as pb, sync_service_client::SyncServiceClient};
use tradeport_sync::{OrderDraft, Replica, SyncState};
use tradeport_tests::{ServerProcess, TestServer};

use crate::passkeys::enrolled;

/// One server for the module, with its users enrolled once. Clients are
/// made per test (a client's connection lives on the runtime of the test
/// that first used it); every test works on drafts of its own.
struct Fixture {
    server: TestServer,
    buyer: SessionTokens,
    approver: SessionTokens,
    admin: SessionTokens,
    foreign: SessionTokens,
}

/// The module's server and a client for each of its users.
struct Users {
    server: &'static TestServer,
    buyer: Client,
    approver: Client,
    admin: Client,
    foreign: Client,
}

async fn fixture() -> Users {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let f = {
        let _starting = STARTING.lock().await;
        match FIXTURE.get() {
            Some(f) => f,
            None => {
                let server = TestServer::start(|_| {}).unwrap();
                let mut tokens = Vec::new();
                for email in [
                    "buyer@nordlicht.example",
                    "approver@nordlicht.example",
                    "admin@nordlicht.example",
                    "buyer@sur.example",
                ] {
                    tokens.push(enrolled(&server, email).await.0.tokens().unwrap());
                }
                let [buyer, approver, admin, foreign] =
                    <[SessionTokens; 4]>::try_from(tokens).unwrap();
                FIXTURE.get_or_init(|| Fixture {
                    server,
                    buyer,
                    approver,
                    admin,
                    foreign,
                })
            }
        }
    };
    let client = |tokens: &SessionTokens| {
        let client = f.server.anonymous_client();
        client.set_tokens(tokens.clone());
        client
    };
    Users {
        server: &f.server,
        buyer: client(&f.buyer),
        approver: client(&f.approver),
        admin: client(&f.admin),
        foreign: client(&f.foreign),
    }
}

/// A device: its own local database, syncing as `peer`.
fn device(peer: &str) -> (Drafts, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Drafts::standalone(dir.path(), peer).unwrap(), dir)
}

/// A buyer's device holding a draft of the first account with one line,
/// synced to the server.
async fn synced_draft(
    f: &Users,
    peer: &str,
    sku: &str,
    quantity: &str,
) -> (Drafts, tempfile::TempDir, String) {
    let (phone, dir) = device(peer);
    let id = phone.create(&f.server.account(0)).unwrap();
    phone.edit(&id, |d| d.add_line(sku, quantity)).unwrap();
    phone.sync(&f.buyer).await.unwrap();
    (phone, dir, id)
}

/// A draft's lines as (sku, quantity), sorted.
fn lines(drafts: &Drafts, id: &str) -> Vec<(String, Decimal)> {
    let mut lines: Vec<(String, Decimal)> = drafts
        .open(id)
        .unwrap()
        .lines()
        .unwrap()
        .into_iter()
        .map(|l| (l.sku, l.quantity))
        .collect();
    lines.sort();
    lines
}

fn line_id(drafts: &Drafts, id: &str, sku: &str) -> tradeport_sync::LineId {
    drafts
        .open(id)
        .unwrap()
        .lines()
        .unwrap()
        .into_iter()
        .find(|l| l.sku == sku)
        .unwrap()
        .id
}

/// What the server holds, as a device that never had the draft gets it.
async fn server_copy(f: &Users, id: &str) -> Vec<(String, Decimal)> {
    let (fresh, _dir) = device(&format!("fresh-{}", rand_suffix()));
    fresh.fetch(id).unwrap();
    fresh.sync(&f.admin).await.unwrap();
    lines(&fresh, id)
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Two devices edit one draft offline — both add lines, both set one
/// line's quantity, one deletes a line the other edits — and sync in the
/// given order.
async fn offline_edits_converge(phone_first: bool) {
    let f = &fixture().await;
    let account = f.server.account(0);
    // Peer ids of this test's own: both orders run at once, as the same
    // users, and the server keys what it keeps of a device (its sync
    // states, whose changes a push skips) by user and peer id.
    let order = if phone_first {
        "phone-first"
    } else {
        "tablet-first"
    };
    let (phone, _p) = device(&format!("phone.{order}"));
    let (tablet, _t) = device(&format!("tablet.{order}"));
    let id = phone.create(&account).unwrap();
    phone.edit(&id, |d| d.add_line("NL-0001", "2")).unwrap();
    phone.edit(&id, |d| d.add_line("NL-0002", "3")).unwrap();
    phone.sync(&f.buyer).await.unwrap();
    assert!(tablet.discover(&f.approver).await.unwrap().contains(&id));
    tablet.sync(&f.approver).await.unwrap();
    assert_eq!(lines(&tablet, &id), lines(&phone, &id));

    // Offline on both.
    let first = line_id(&phone, &id, "NL-0001");
    let second = line_id(&phone, &id, "NL-0002");
    phone.edit(&id, |d| d.add_line("NL-0003", "1")).unwrap();
    phone.edit(&id, |d| d.set_quantity(&first, "5")).unwrap();
    phone.edit(&id, |d| d.remove_line(&second)).unwrap();
    tablet.edit(&id, |d| d.add_line("NL-0004", "4")).unwrap();
    tablet.edit(&id, |d| d.set_quantity(&first, "7")).unwrap();
    tablet.edit(&id, |d| d.set_quantity(&second, "9")).unwrap();
    assert_eq!(phone.pending().unwrap(), 1);

    let (a, a_client, b, b_client) = if phone_first {
        (&phone, &f.buyer, &tablet, &f.approver)
    } else {
        (&tablet, &f.approver, &phone, &f.buyer)
    };
    a.sync(a_client).await.unwrap();
    b.sync(b_client).await.unwrap();
    a.sync(a_client).await.unwrap();

    let merged = lines(&phone, &id);
    assert_eq!(merged, lines(&tablet, &id), "both devices hold one draft");
    assert_eq!(merged, server_copy(f, &id).await, "and so does the server");
    let skus: Vec<&str> = merged.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        skus,
        ["NL-0001", "NL-0003", "NL-0004"],
        "delete wins over the edit"
    );
    let quantity = merged[0].1;
    assert!(
        quantity == Decimal::from(5) || quantity == Decimal::from(7),
        "one of the two quantities wins, never a sum: {quantity}"
    );
    assert_eq!(phone.pending().unwrap(), 0);
    assert_eq!(tablet.pending().unwrap(), 0);
}

#[tokio::test]
async fn offline_edits_on_two_devices_converge_when_the_phone_syncs_first() {
    offline_edits_converge(true).await;
}

#[tokio::test]
async fn offline_edits_on_two_devices_converge_when_the_tablet_syncs_first() {
    offline_edits_converge(false).await;
}

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
    let mut stale = SyncServiceClient::new(f.buyer.authorized_channel())
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
    let mut responses = SyncServiceClient::new(client.authorized_channel())
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
async fn a_watching_device_receives_a_change_within_a_second() {
    let f = &fixture().await;
    let (phone, _p) = device("watch-phone");
    let (office, _o) = device("watch-office");
    let id = phone.create(&f.server.account(0)).unwrap();
    phone.sync(&f.buyer).await.unwrap();
    office.fetch(&id).unwrap();

    let mut events = office.events();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let live = {
        let office = office.clone();
        let admin = f.admin.clone();
        tokio::spawn(async move {
            office
                .live(&admin, async {
                    let _ = stop_rx.await;
                })
                .await
        })
    };
    // The live session's first sync fetches the draft.
    let arrived = tokio::time::timeout(Duration::from_secs(5), events.recv()).await;
    assert!(
        matches!(arrived, Ok(Ok(DraftEvent::Changed { .. }))),
        "{arrived:?}"
    );

    phone.edit(&id, |d| d.add_line("NL-0005", "6")).unwrap();
    let started = std::time::Instant::now();
    phone.sync(&f.buyer).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(1), events.recv())
        .await
        .expect("the change reaches the watching device within a second")
        .unwrap();
    assert_eq!(
        event,
        DraftEvent::Changed {
            document_id: id.clone()
        }
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(lines(&office, &id), lines(&phone, &id));
    let _ = stop_tx.send(());
    live.await.unwrap().unwrap();
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

/// A field rep's phone made more drafts offline than the server takes in
/// one round (it refuses more with ROUND_TOO_LARGE): one sync takes them
/// all up, over several rounds, and another device takes them all down.
#[tokio::test]
async fn more_drafts_than_a_round_carries_all_sync_in_one_sync() {
    const DRAFTS: usize = 450;
    let f = &fixture().await;
    // The second account's: other tests' devices discover and fetch every
    // draft of the first account they may see, and need not wait for 450.
    let account = f.server.account(1);
    let (phone, _p) = device("many-drafts-phone");
    let mut made = Vec::with_capacity(DRAFTS);
    for n in 0..DRAFTS {
        let id = phone.create(&account).unwrap();
        phone
            .edit(&id, |d| d.add_line(&format!("SUR-{n:04}"), "1"))
            .unwrap();
        made.push(id);
    }
    made.sort();
    assert_eq!(phone.pending().unwrap(), DRAFTS);

    let started = std::time::Instant::now();
    let up = phone.sync(&f.foreign).await.unwrap();
    println!(
        "{DRAFTS} drafts up in {} rounds, {:?}, {} bytes sent",
        up.rounds,
        started.elapsed(),
        up.bytes_sent
    );
    let turns = DRAFTS.div_ceil(tradeport_sync::MAX_DOCUMENTS_PER_ROUND) as u64;
    assert!(up.rounds >= turns, "{up:?}");
    // A clean exchange takes a few rounds per round's worth of drafts.
    assert!(up.rounds <= 4 * turns, "{} rounds", up.rounds);
    assert!(up.refused.is_empty(), "{:?}", up.refused);
    assert_eq!(phone.pending().unwrap(), 0, "the server confirmed them all");

    let mut listed = Vec::new();
    let mut page_token = String::new();
    let mut sync = SyncServiceClient::new(f.foreign.authorized_channel());
    loop {
        let page = sync
            .list_documents(pb::ListDocumentsRequest {
                page_size: 500,
                page_token,
            })
            .await
            .unwrap()
            .into_inner();
        listed.extend(page.documents.into_iter().map(|d| d.document_id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    listed.retain(|id| made.binary_search(id).is_ok());
    assert_eq!(listed.len(), DRAFTS, "the server lists every draft");

    // Another device asks for all of them at once and gets each whole.
    let (tablet, _t) = device("many-drafts-tablet");
    for id in &made {
        tablet.fetch(id).unwrap();
    }
    let started = std::time::Instant::now();
    let down = tablet.sync(&f.foreign).await.unwrap();
    println!(
        "{DRAFTS} drafts down in {} rounds, {:?}, {} bytes received",
        down.rounds,
        started.elapsed(),
        down.bytes_received
    );
    assert!(down.rounds >= turns, "{down:?}");
    assert!(down.refused.is_empty(), "{:?}", down.refused);
    let mut held = tablet.ids().unwrap();
    held.sort();
    assert_eq!(held, made);
    for id in &made {
        assert_eq!(lines(&tablet, id), lines(&phone, id));
    }
}

#[tokio::test]
async fn another_account_cannot_sync_or_even_learn_of_a_draft() {
    let f = &fixture().await;
    let (_phone, _p, id) = synced_draft(f, "private-phone", "NL-0001", "1").await;

    // Not listed for them ...
    let (outsider, _o) = device("outsider");
    assert!(!outsider.discover(&f.foreign).await.unwrap().contains(&id));
    // ... and asking by id answers exactly like an id nobody used.
    outsider.fetch(&id).unwrap();
    outsider
        .fetch("1@0123456789abcdef0123456789abcdef")
        .unwrap();
    let report = outsider.sync(&f.foreign).await.unwrap();
    assert_eq!(report.refused.len(), 2);
    let known = outsider.refusal(&id).unwrap().unwrap();
    let unknown = outsider
        .refusal("1@0123456789abcdef0123456789abcdef")
        .unwrap()
        .unwrap();
    assert_eq!(
        known.replace(&id, "ID"),
        unknown.replace("1@0123456789abcdef0123456789abcdef", "ID")
    );
    assert!(known.starts_with("DOCUMENT_NOT_FOUND"), "{known}");
    // Nor can they put a draft into the account.
    let (intruder, _i) = device("intruder");
    let planted = intruder.create(&f.server.account(0)).unwrap();
    intruder.sync(&f.foreign).await.unwrap();
    assert!(
        intruder
            .refusal(&planted)
            .unwrap()
            .unwrap()
            .starts_with("DOCUMENT_NOT_FOUND")
    );
    assert!(!f.server_lists(&f.buyer, &planted).await);
}

impl Users {
    async fn server_lists(&self, client: &Client, id: &str) -> bool {
        SyncServiceClient::new(client.authorized_channel())
            .list_documents(pb::ListDocumentsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .documents
            .iter()
            .any(|d| d.document_id == id)
    }
}

/// One unary round, as a browser sends it.
async fn round(
    client: &Client,
    peer: &str,
    messages: Vec<pb::DocumentMessage>,
) -> Vec<pb::DocumentMessage> {
    SyncServiceClient::new(client.authorized_channel())
        .sync_round(pb::SyncRoundRequest {
            peer_id: peer.into(),
            messages,
        })
        .await
        .unwrap()
        .into_inner()
        .messages
}

#[tokio::test]
async fn a_document_moved_to_another_account_is_refused_and_nothing_of_it_is_kept() {
    let f = &fixture().await;
    let (phone, _p, id) = synced_draft(f, "hostile-source", "NL-0001", "1").await;
    let before = server_copy(f, &id).await;

    // A tampered copy: the same draft, its account rewritten, one line more.
    let mut draft = phone.open(&id).unwrap();
    draft.add_line("NL-0002", "1").unwrap();
    let mut tampered = automerge::AutoCommit::load(&draft.save()).unwrap();
    automerge::transaction::Transactable::put(
        &mut tampered,
        automerge::ROOT,
        "account_id",
        f.server.account(1),
    )
    .unwrap();
    let answer = round(
        &f.buyer,
        "hostile",
        vec![pb::DocumentMessage {
            document_id: id.clone(),
            document: tampered.save(),
            ..Default::default()
        }],
    )
    .await;
    let problem = answer[0]
        .problem
        .clone()
        .expect("the tampered document is refused");
    assert_eq!(problem.reason, "DOCUMENT_INVALID");
    assert_eq!(problem.code, tonic::Code::InvalidArgument as i32);
    assert_eq!(problem.field, "document.account_id");
    assert_eq!(
        server_copy(f, &id).await,
        before,
        "nothing of it was stored"
    );
}

/// A browser's sync: unary rounds over gRPC-web (HTTP/1.1) until the
/// browser has nothing left to say.
async fn browser_sync(f: &Users, token: &str, replica: &mut Replica, state: &mut SyncState) {
    // The first round always goes out, empty if the browser has nothing
    // to say: it asks the server for what changed (as after a notice from
    // WatchDocuments).
    for n in 0..10 {
        let message = match replica.generate(state) {
            Some(message) => message,
            None if n == 0 => Vec::new(),
            None => return,
        };
        let reply = tradeport_tests::grpc_web::call(
            f.server.addr,
            "/tradeport.sync.v1.SyncService/SyncRound",
            &pb::SyncRoundRequest {
                peer_id: "browser-tab".into(),
                messages: vec![pb::DocumentMessage {
                    document_id: replica.document_id().to_owned(),
                    sync_message: message,
                    ..Default::default()
                }],
            },
            Some(tradeport_tests::ORIGIN),
            Some(token),
        )
        .await
        .unwrap();
        assert_eq!(reply.grpc_status(), Some(0), "{:?}", reply.trailers);
        let answer =
            <pb::SyncRoundResponse as prost::Message>::decode(reply.messages[0].clone()).unwrap();
        for m in answer.messages {
            assert!(m.problem.is_none(), "{:?}", m.problem);
            if !m.sync_message.is_empty() {
                replica.receive(state, &m.sync_message).unwrap();
            }
        }
    }
    panic!("the browser's sync did not settle in 10 rounds");
}

#[tokio::test]
async fn a_browser_over_grpc_web_edits_the_same_draft_as_a_native_client() {
    let f = &fixture().await;
    let (phone, _p, id) = synced_draft(f, "web-phone", "NL-0001", "2").await;

    let token = f.approver.tokens().unwrap().access_token;
    let mut replica = Replica::awaiting(&id);
    let mut state = SyncState::new();
    browser_sync(f, &token, &mut replica, &mut state).await;
    let mut in_browser = OrderDraft::load(&replica.save()).unwrap();
    assert_eq!(in_browser.lines().unwrap().len(), 1);

    // The browser adds a line (as automerge-js would) and syncs; the phone
    // adds one meanwhile and syncs after.
    in_browser.add_line("NL-0009", "3").unwrap();
    replica.merge_document(&in_browser.save()).unwrap();
    phone.edit(&id, |d| d.add_line("NL-0010", "1")).unwrap();
    browser_sync(f, &token, &mut replica, &mut state).await;
    phone.sync(&f.buyer).await.unwrap();
    browser_sync(f, &token, &mut replica, &mut state).await;

    let on_phone = lines(&phone, &id);
    let in_tab: BTreeMap<String, Decimal> = OrderDraft::load(&replica.save())
        .unwrap()
        .lines()
        .unwrap()
        .into_iter()
        .map(|l| (l.sku, l.quantity))
        .collect();
    assert_eq!(on_phone.len(), 3);
    assert_eq!(on_phone, in_tab.into_iter().collect::<Vec<_>>());
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

fn submit_draft(id: &str, request_id: &str) -> SubmitOrderRequest {
    SubmitOrderRequest {
        request_id: request_id.into(),
        draft_id: id.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_draft_becomes_exactly_one_order_with_the_servers_lines() {
    let f = &fixture().await;
    let (phone, _p) = device("order-phone");
    let (tablet, _t) = device("order-tablet");
    let id = phone.create(&f.server.account(0)).unwrap();
    phone.edit(&id, |d| d.add_line("TP-EL-00007", "4")).unwrap();
    phone.sync(&f.buyer).await.unwrap();
    tablet.fetch(&id).unwrap();
    tablet.sync(&f.approver).await.unwrap();
    tablet
        .edit(&id, |d| d.add_line("TP-LI-01001", "2"))
        .unwrap();
    tablet.sync(&f.approver).await.unwrap();

    // The phone has not seen the tablet's line: what its person confirmed
    // is not what the draft holds now.
    let mut orders = OrderServiceClient::new(f.buyer.authorized_channel());
    let stale = orders
        .submit_order(SubmitOrderRequest {
            lines: vec![OrderLineInput {
                sku: "TP-EL-00007".into(),
                quantity: "4".into(),
                ..Default::default()
            }],
            ..submit_draft(&id, "draft-stale")
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), tonic::Code::FailedPrecondition);
    assert_eq!(tradeport_tests::error_reason(&stale), "DRAFT_CHANGED");

    // Submitted as the server holds it; the reply is lost and the same
    // request is sent again: one order.
    let first = orders
        .submit_order(submit_draft(&id, "draft-order-1"))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let skus: Vec<&str> = first.lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus.len(), 2, "{skus:?}");
    let replay = orders
        .submit_order(submit_draft(&id, "draft-order-1"))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(replay.id, first.id);
    // Another device submitting the same draft anew gets no second order.
    let twice = OrderServiceClient::new(f.approver.authorized_channel())
        .submit_order(submit_draft(&id, "draft-order-2"))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), tonic::Code::FailedPrecondition);
    assert_eq!(
        tradeport_tests::error_reason(&twice),
        "DRAFT_ALREADY_SUBMITTED"
    );
    assert!(twice.message().contains(&first.id), "{}", twice.message());
    // And nobody outside the account can order from it.
    let foreign = OrderServiceClient::new(f.foreign.authorized_channel())
        .submit_order(submit_draft(&id, "draft-order-3"))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), tonic::Code::NotFound);
}

/// The whole path on two SDK devices: offline edits merged by `sync_now`,
/// then one device submits the draft from its outbox; the first reply is
/// lost, the outbox replays, and exactly one order exists.
#[tokio::test]
async fn devices_merge_a_draft_and_the_outbox_submits_it_once_despite_a_lost_reply() {
    let f = &fixture().await;
    let phone_dir = tempfile::tempdir().unwrap();
    let tablet_dir = tempfile::tempdir().unwrap();
    let phone = Device::open(phone_dir.path(), f.buyer.clone()).unwrap();
    let tablet = Device::open(tablet_dir.path(), f.approver.clone()).unwrap();
    let id = phone.drafts().create(&f.server.account(0)).unwrap();
    phone
        .drafts()
        .edit(&id, |d| d.add_line("TP-EL-00007", "1"))
        .unwrap();
    phone.sync_now().await.unwrap();
    tablet.sync_now().await.unwrap();
    assert_eq!(
        lines(tablet.drafts(), &id).len(),
        1,
        "the tablet discovered the draft"
    );

    // Offline on both, then back.
    let first = line_id(phone.drafts(), &id, "TP-EL-00007");
    phone
        .drafts()
        .edit(&id, |d| d.set_quantity(&first, "3"))
        .unwrap();
    tablet
        .drafts()
        .edit(&id, |d| d.add_line("TP-LI-01001", "2"))
        .unwrap();
    let status = phone.status().unwrap();
    assert_eq!(status.pending_draft_changes, 1);
    assert!(status.pending_draft_bytes > 0, "{status:?}");
    tablet.sync_now().await.unwrap();
    phone.sync_now().await.unwrap();
    let status = phone.status().unwrap();
    assert_eq!(
        (status.pending_draft_changes, status.pending_draft_bytes),
        (0, 0)
    );
    assert_eq!(lines(phone.drafts(), &id).len(), 2);

    let request_id = phone.queue_submit_draft(&id).unwrap();
    // The first attempt reached the server, its reply did not reach us.
    let queued = phone
        .outbox()
        .unwrap()
        .into_iter()
        .find(|e| e.request_id == request_id)
        .unwrap();
    let tradeport_mobile::Action::SubmitOrder(request) = queued.action else {
        panic!("a submission was queued");
    };
    let lost = OrderServiceClient::new(f.buyer.authorized_channel())
        .submit_order(request)
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let mut events = phone.events();
    phone.flush_outbox().await.unwrap();
    match events.recv().await.unwrap() {
        DeviceEvent::ActionSucceeded {
            request_id: r,
            order,
        } => {
            assert_eq!(r, request_id);
            assert_eq!(
                order.id, lost.id,
                "the replay answered with the first order"
            );
            assert_eq!(order.lines.len(), 2, "both devices' lines are ordered");
        }
        other => panic!("{other:?}"),
    }
    // The tablet, up to date, submitting it too makes no second order.
    tablet.sync_now().await.unwrap();
    tablet.queue_submit_draft(&id).unwrap();
    let mut tablet_events = tablet.events();
    tablet.flush_outbox().await.unwrap();
    match tablet_events.recv().await.unwrap() {
        DeviceEvent::ActionFailed { failure, .. } => {
            assert_eq!(failure.reason, "DRAFT_ALREADY_SUBMITTED", "{failure:?}");
        }
        other => panic!("{other:?}"),
    }
}

/// What a browser listens to between rounds: a notice per changed
/// document it may see, and none for another account's.
#[tokio::test]
async fn watch_documents_tells_the_accounts_people_and_nobody_else() {
    let f = &fixture().await;
    let mut ours = SyncServiceClient::new(f.admin.authorized_channel())
        .watch_documents(pb::WatchDocumentsRequest {})
        .await
        .unwrap()
        .into_inner();
    let mut theirs = SyncServiceClient::new(f.foreign.authorized_channel())
        .watch_documents(pb::WatchDocumentsRequest {})
        .await
        .unwrap()
        .into_inner();
    let (phone, _p) = device("noticed-phone");
    let id = phone.create(&f.server.account(0)).unwrap();
    phone.sync(&f.buyer).await.unwrap();
    let notice = loop {
        let notice = tokio::time::timeout(Duration::from_secs(1), ours.message())
            .await
            .expect("a notice within a second")
            .unwrap()
            .unwrap();
        // Other tests' drafts change too; wait for ours.
        if notice.document_id == id {
            break notice;
        }
    };
    assert_eq!(notice.account_id, f.server.account(0));
    let mut leaked = Vec::new();
    while let Ok(Ok(Some(n))) =
        tokio::time::timeout(Duration::from_millis(300), theirs.message()).await
    {
        leaked.push(n.document_id);
    }
    assert!(!leaked.contains(&id), "another account heard of the draft");
}
