//! The session as an app keeps it and ends it: a client with a
//! `SessionStore` (the platform keystore) restores the session after a
//! restart and saves every refresh; signing out online ends the session
//! on the server and clears the store; signing out offline keeps the
//! Logout, reports the unsynced work it deleted, and sends the Logout once
//! the device is back online, after which the server refuses the tokens.

use std::sync::Arc;

use tonic::Code;
use tradeport_mobile::{Client, Device, Error, MemorySessionStore, SessionStore, SessionTokens};
use tradeport_tests::TestServer;
use tradeport_tests::network::Network;
use tradeport_tests::people::enrol;

fn taken(code: Option<Code>) -> bool {
    match code {
        None => true,
        Some(Code::Unauthenticated) => false,
        Some(other) => panic!("expected a refusal of the tokens, got {other:?}"),
    }
}

/// Whether the server still takes the access token of `tokens`.
async fn access_taken(server: &TestServer, tokens: &SessionTokens) -> bool {
    let answer = server.signed_in(tokens).identity().get_caller().await;
    taken(answer.err().map(|s| s.code()))
}

/// Whether the server still takes the refresh token of `tokens` (it is
/// single-use: asking spends it).
async fn refresh_taken(server: &TestServer, tokens: &SessionTokens) -> bool {
    let answer = server.signed_in(tokens).identity().refresh().await;
    taken(answer.err().map(|e| match e {
        Error::Status(s) => s.code(),
        other => panic!("{other}"),
    }))
}

#[tokio::test]
async fn a_session_kept_in_the_store_outlives_a_restart_and_signing_out_clears_it() {
    let server = TestServer::start(|_| {}).unwrap();
    let store = Arc::new(MemorySessionStore::default());
    let client = server
        .anonymous_client()
        .with_session_store(store.clone())
        .unwrap();
    enrol(&client, &server.invitation("buyer@nordlicht.example"))
        .await
        .unwrap();
    assert!(store.is_saved(), "sign-in saves the session");

    // The app restarts: a new client restores the session from the store.
    let restarted = server
        .anonymous_client()
        .with_session_store(store.clone())
        .unwrap();
    let before = restarted.tokens().expect("the session is restored");
    let caller = restarted.identity().get_caller().await.unwrap();
    assert_eq!(caller.user_id, before.user_id);

    // A refresh is saved: the next start has the new, unused refresh token.
    let refreshed = restarted.identity().refresh().await.unwrap();
    assert_ne!(refreshed.refresh_token, before.refresh_token);
    let again = server
        .anonymous_client()
        .with_session_store(store.clone())
        .unwrap();
    assert_eq!(
        again.tokens().unwrap().refresh_token,
        refreshed.refresh_token
    );
    again.identity().refresh().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path().join("device"), again.clone()).unwrap();
    let report = device.sign_out().await.unwrap();
    assert!(
        report.logged_out_on_server && !report.logout_pending,
        "{report:?}"
    );
    assert!(!store.is_saved(), "signing out clears the store");
    let ended = SessionStore::load(&*store).unwrap();
    assert_eq!(ended, None);
    let fresh = server.anonymous_client().with_session_store(store).unwrap();
    assert_eq!(fresh.tokens(), None);
}

#[tokio::test]
async fn signing_out_offline_reports_what_it_deleted_and_ends_the_session_once_back_online() {
    let server = TestServer::start(|_| {}).unwrap();
    let network = Network::to(server.addr).await;
    let store = Arc::new(MemorySessionStore::default());
    let app = |store: &Arc<MemorySessionStore>| -> Client {
        network.client().with_session_store(store.clone()).unwrap()
    };
    let client = app(&store);
    let (tokens, _) = enrol(&client, &server.invitation("buyer@nordlicht.example"))
        .await
        .unwrap();
    let account = client.identity().get_caller().await.unwrap().account_id;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path().join("device"), client.clone()).unwrap();
    let synced = device.drafts().create(&account).unwrap();
    device.sync_now().await.unwrap();

    // Offline: one draft edited, one made, one order queued; then sign-out.
    network.cut();
    device
        .drafts()
        .edit(&synced, |d| d.add_line("TP-EL-00007", "2"))
        .unwrap();
    let made_offline = device.drafts().create(&account).unwrap();
    device
        .drafts()
        .edit(&made_offline, |d| {
            d.set_po_reference("PO-OFFLINE")?;
            d.add_line("TP-EL-00008", "1")
        })
        .unwrap();
    let queued = device.queue_submit_draft(&synced).unwrap();
    let report = device.sign_out().await.unwrap();

    assert!(
        !report.logged_out_on_server && report.logout_pending,
        "{report:?}"
    );
    let actions: Vec<&str> = report
        .discarded_actions
        .iter()
        .map(|a| a.request_id.as_str())
        .collect();
    assert_eq!(actions, [queued.as_str()]);
    let mut drafts: Vec<(String, String, usize)> = report
        .discarded_drafts
        .iter()
        .map(|d| (d.draft_id.clone(), d.po_reference.clone(), d.lines))
        .collect();
    drafts.sort();
    let mut expected = vec![
        (synced.clone(), String::new(), 1),
        (made_offline.clone(), "PO-OFFLINE".to_string(), 1),
    ];
    expected.sort();
    assert_eq!(drafts, expected);
    assert!(!dir.path().join("device").exists(), "the device is wiped");
    assert_eq!(client.tokens(), None, "not the current session any more");
    assert!(
        access_taken(&server, &tokens).await,
        "the server never heard of the sign-out"
    );

    // The app restarts still offline: the pending Logout is in the store.
    drop(client);
    let restarted = app(&store);
    assert_eq!(restarted.tokens(), None);
    assert_eq!(restarted.pending_logouts(), 1);
    assert_eq!(restarted.identity().retry_logouts().await.unwrap(), 1);

    // Back online: the retry ends the session, and the store is empty.
    network.restore(server.addr);
    assert_eq!(restarted.identity().retry_logouts().await.unwrap(), 0);
    assert_eq!(restarted.pending_logouts(), 0);
    assert!(!store.is_saved());
    assert!(!access_taken(&server, &tokens).await);
    assert!(!refresh_taken(&server, &tokens).await);
}

#[tokio::test]
async fn a_pending_sign_out_goes_out_with_the_next_sign_in_even_with_an_expired_access_token() {
    let server = TestServer::start(|_| {}).unwrap();
    let network = Network::to(server.addr).await;
    let client = network.client();
    let (tokens, _) = enrol(&client, &server.invitation("buyer@nordlicht.example"))
        .await
        .unwrap();
    // The access token is no longer taken (as after its expiry): the
    // retry refreshes the session with its refresh token to end it.
    let mut stale = tokens.clone();
    stale.access_token = "tpa_expired".into();
    client.set_tokens(stale);

    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path().join("device"), client.clone()).unwrap();
    network.cut();
    let report = device.sign_out().await.unwrap();
    assert!(report.logout_pending, "{report:?}");
    assert!(access_taken(&server, &tokens).await);

    network.restore(server.addr);
    enrol(&client, &server.invitation("approver@nordlicht.example"))
        .await
        .unwrap();
    assert_eq!(client.pending_logouts(), 0, "sent after the sign-in");
    assert!(!access_taken(&server, &tokens).await);
    let caller = client.identity().get_caller().await.unwrap();
    assert_ne!(
        caller.user_id, tokens.user_id,
        "the new session is untouched"
    );
}
