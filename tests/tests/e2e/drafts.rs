//! Draft documents synced between devices through a real server: offline
//! edits on two devices converging in either order, more documents than a
//! round may carry, and a watching device told within a second. The
//! module's server and people serve every `drafts_*` module.

use std::sync::OnceLock;
use std::time::Duration;

use rust_decimal::Decimal;
use tradeport_mobile::{Client, DeviceEvent, Drafts};
use tradeport_proto::identity::SessionTokens;
use tradeport_proto::sync as pb;
use tradeport_tests::TestServer;
use tradeport_tests::clients::sync;
use tradeport_tests::people::enrolled;

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
pub(crate) struct Users {
    pub(crate) server: &'static TestServer,
    pub(crate) buyer: Client,
    pub(crate) approver: Client,
    pub(crate) admin: Client,
    pub(crate) foreign: Client,
}

pub(crate) async fn fixture() -> Users {
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
    let client = |tokens: &SessionTokens| f.server.signed_in(tokens);
    Users {
        server: &f.server,
        buyer: client(&f.buyer),
        approver: client(&f.approver),
        admin: client(&f.admin),
        foreign: client(&f.foreign),
    }
}

/// A device: its own local database, syncing as `peer`.
pub(crate) fn device(peer: &str) -> (Drafts, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Drafts::standalone(dir.path(), peer).unwrap(), dir)
}

/// A buyer's device holding a draft of the first account with one line,
/// synced to the server.
pub(crate) async fn synced_draft(
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
pub(crate) fn lines(drafts: &Drafts, id: &str) -> Vec<(String, Decimal)> {
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

pub(crate) fn line_id(drafts: &Drafts, id: &str, sku: &str) -> tradeport_sync::LineId {
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
pub(crate) async fn server_copy(f: &Users, id: &str) -> Vec<(String, Decimal)> {
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
        matches!(arrived, Ok(Ok(DeviceEvent::DraftChanged { .. }))),
        "{arrived:?}"
    );

    phone.edit(&id, |d| d.add_line("NL-0005", "6")).unwrap();
    let started = std::time::Instant::now();
    phone.sync(&f.buyer).await.unwrap();
    let event = tokio::time::timeout(Duration::from_secs(1), events.recv())
        .await
        .expect("the change reaches the watching device within a second")
        .unwrap();
    assert!(
        matches!(&event, DeviceEvent::DraftChanged { document_id } if *document_id == id),
        "{event:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(lines(&office, &id), lines(&phone, &id));
    let _ = stop_tx.send(());
    live.await.unwrap().unwrap();
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
    let mut sync = sync(&f.foreign);
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
