//! The document store against a real sled store: compaction keeps what was
//! synced and a restart finds it; refused rounds leave the store as it was;
//! a round holds at most the limit the devices split their syncs by.

use crate::service::ServiceError;
use std::sync::Arc;

use tradeport_sync::{OrderDraft, Replica, SyncState};

use super::*;
use crate::config::Config;
use crate::store::{KeyRange, SledStore};
use tradeport_domain::documents::COMPACT_AFTER;
use tradeport_domain::identity::{CallerKind, Role};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    identity: Arc<Identity>,
    account: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store: Arc<dyn Store> =
        Arc::new(SledStore::open(dir.path()).unwrap_or_else(|e| panic!("{e}")));
    let config = Config {
        demo: true,
        demo_order_history: false,
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let app = crate::App::with_store(config, Arc::clone(&store)).unwrap_or_else(|e| panic!("{e}"));
    let account = app
        .demo_credentials()
        .and_then(|d| d.accounts.first().map(|(_, id)| id.clone()))
        .unwrap_or_else(|| panic!("the demo has accounts"));
    Fixture {
        identity: Arc::clone(app.identity()),
        _dir: dir,
        store,
        account,
    }
}

impl Fixture {
    /// The document service on the fixture's store, as a (re)started
    /// server has it.
    fn documents(&self) -> Documents {
        Documents::new(Arc::clone(&self.store), Arc::clone(&self.identity))
    }

    /// A new draft of the fixture's account, its id, and a device's copy
    /// of it with a fresh sync state.
    fn draft_on_device(&self) -> (OrderDraft, String, Replica, SyncState) {
        let mut draft = OrderDraft::new(&self.account).unwrap_or_else(|e| panic!("{e}"));
        let id = draft.draft_id().unwrap_or_else(|e| panic!("{e}"));
        let device = Replica::load(&draft.save()).unwrap_or_else(|e| panic!("{e}"));
        (draft, id, device, SyncState::new())
    }
}

fn buyer(account: &str) -> Caller {
    Caller {
        kind: CallerKind::User,
        id: "documents-test-buyer".into(),
        account_id: Some(account.to_owned()),
        roles: vec![Role::Buyer],
        session_id: None,
        on_behalf_of: None,
        assigned_accounts: vec![],
        territories: vec![],
    }
}

/// Rounds between a device's replica and the server in `session` until
/// both are quiet.
fn sync(
    documents: &Documents,
    caller: &Caller,
    session: &mut PeerSession,
    device: &mut Replica,
    state: &mut SyncState,
    whole: bool,
) {
    let id = device.document_id().to_owned();
    let mut first = whole;
    for _ in 0..20 {
        let message = device.generate(state);
        if message.is_none() && !first {
            return;
        }
        let replies = documents
            .round(
                caller,
                session,
                vec![Incoming {
                    document_id: id.clone(),
                    sync_message: message.unwrap_or_default(),
                    document: if first { device.save() } else { Vec::new() },
                }],
            )
            .unwrap_or_else(|e| panic!("{e}"));
        first = false;
        assert_eq!(replies[0].problem, None);
        if !replies[0].sync_message.is_empty() {
            device
                .receive(state, &replies[0].sync_message)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    panic!("the sync did not settle");
}

fn keys_under(store: &dyn Store, prefix: &str) -> usize {
    store
        .scan(KeyRange::prefix(prefix.as_bytes()), 10_000)
        .unwrap_or_else(|e| panic!("{e}"))
        .len()
}

#[test]
fn changes_are_compacted_and_a_restarted_server_holds_all_of_them() {
    let f = fixture();
    let caller = buyer(&f.account);
    let documents = f.documents();
    let (mut draft, id, mut device, mut state) = f.draft_on_device();
    let mut session = PeerSession::new(&caller, "device-1");
    sync(
        &documents,
        &caller,
        &mut session,
        &mut device,
        &mut state,
        true,
    );
    let edits = COMPACT_AFTER as usize + 6;
    for n in 0..edits {
        draft
            .add_line(&format!("SKU-{n}"), "1")
            .unwrap_or_else(|e| panic!("{e}"));
        device
            .merge_document(&draft.save())
            .unwrap_or_else(|e| panic!("{e}"));
        sync(
            &documents,
            &caller,
            &mut session,
            &mut device,
            &mut state,
            false,
        );
    }
    let chunks = keys_under(f.store.as_ref(), &format!("docchg/{id}/"));
    assert!(
        chunks < COMPACT_AFTER as usize,
        "{chunks} incremental saves are left after {edits} changes"
    );

    // A new server process: everything synced is there.
    let restarted = f.documents();
    let held = restarted
        .order_draft(&caller, &id, &[])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(held.lines.len(), edits);
}

#[test]
fn a_refused_round_leaves_the_store_as_it_was() {
    let f = fixture();
    let caller = buyer(&f.account);
    let documents = f.documents();
    let (_, id, mut device, mut state) = f.draft_on_device();
    let mut session = PeerSession::new(&caller, "device-1");
    sync(
        &documents,
        &caller,
        &mut session,
        &mut device,
        &mut state,
        true,
    );
    let before = f
        .store
        .scan(KeyRange::prefix(b"doc"), 10_000)
        .unwrap_or_else(|e| panic!("{e}"));

    let replies = documents
        .round(
            &caller,
            &mut session,
            vec![
                Incoming {
                    document_id: id.clone(),
                    sync_message: b"\x42not a sync message".to_vec(),
                    document: Vec::new(),
                },
                Incoming {
                    document_id: "1@00".into(),
                    sync_message: Vec::new(),
                    document: b"not a document".to_vec(),
                },
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(&replies[0].problem, Some(Problem::Invalid { .. })),
        "{replies:?}"
    );
    assert!(
        matches!(&replies[1].problem, Some(Problem::Invalid { .. })),
        "{replies:?}"
    );
    let after = f
        .store
        .scan(KeyRange::prefix(b"doc"), 10_000)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(before, after, "nothing of a refused round is stored");
}

/// Devices split a sync by `tradeport_sync::MAX_DOCUMENTS_PER_ROUND`: a
/// round that full is taken, and one more document (a client that does not
/// split) is refused whole.
#[test]
fn a_round_of_the_shared_limit_is_taken_and_one_more_document_is_refused() {
    let f = fixture();
    let caller = buyer(&f.account);
    let documents = f.documents();
    let new_drafts = |n: usize| -> Vec<Incoming> {
        (0..n)
            .map(|_| {
                let mut draft = OrderDraft::new(&f.account).unwrap_or_else(|e| panic!("{e}"));
                Incoming {
                    document_id: draft.draft_id().unwrap_or_else(|e| panic!("{e}")),
                    sync_message: Vec::new(),
                    document: draft.save(),
                }
            })
            .collect()
    };
    let limit = tradeport_sync::MAX_DOCUMENTS_PER_ROUND;
    let mut session = PeerSession::new(&caller, "device-1");

    let too_many = documents.round(&caller, &mut session, new_drafts(limit + 1));
    assert!(
        matches!(
            too_many,
            Err(ServiceError::Domain(DomainError::InvalidArgument {
                reason: "ROUND_TOO_LARGE",
                ..
            }))
        ),
        "{too_many:?}"
    );
    assert_eq!(keys_under(f.store.as_ref(), "doc"), 0, "nothing was stored");

    let replies = documents
        .round(&caller, &mut session, new_drafts(limit))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replies.len(), limit);
    assert!(replies.iter().all(|r| r.problem.is_none()), "{replies:?}");
}

/// A stream's device stopped reading (its sync was over) while another
/// device changed the draft, and the change was pushed down that stream
/// into the void. The device's next stream starts from its stored state;
/// the server must not count the lost push as delivered, or the two trade
/// heads forever, the device asking for changes the server is sure it sent.
#[test]
fn a_push_lost_with_its_stream_is_sent_again_in_the_next_session() {
    let f = fixture();
    let caller = buyer(&f.account);
    let documents = f.documents();
    let mut draft = OrderDraft::new(&f.account).unwrap_or_else(|e| panic!("{e}"));
    draft
        .add_line("SKU-1", "1")
        .unwrap_or_else(|e| panic!("{e}"));
    let id = draft.draft_id().unwrap_or_else(|e| panic!("{e}"));

    let mut phone = Replica::load(&draft.save()).unwrap_or_else(|e| panic!("{e}"));
    let mut phone_state = SyncState::new();
    let mut phone_stream = PeerSession::new(&caller, "phone");
    sync(
        &documents,
        &caller,
        &mut phone_stream,
        &mut phone,
        &mut phone_state,
        true,
    );

    let mut tablet = Replica::awaiting(&id);
    let mut tablet_state = SyncState::new();
    let mut tablet_stream = PeerSession::new(&caller, "tablet");
    sync(
        &documents,
        &caller,
        &mut tablet_stream,
        &mut tablet,
        &mut tablet_state,
        false,
    );
    let mut on_tablet = OrderDraft::load(&tablet.save()).unwrap_or_else(|e| panic!("{e}"));
    on_tablet
        .add_line("SKU-2", "2")
        .unwrap_or_else(|e| panic!("{e}"));
    tablet
        .merge_document(&on_tablet.save())
        .unwrap_or_else(|e| panic!("{e}"));
    sync(
        &documents,
        &caller,
        &mut tablet_stream,
        &mut tablet,
        &mut tablet_state,
        false,
    );

    let lost = documents
        .push_for(&caller, &mut phone_stream, &id)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(lost.is_some(), "the tablet's change is pushed to the phone");
    drop(phone_stream);

    // The phone reconnects as a device does: its state as stored.
    let mut phone_state =
        SyncState::decode(&phone_state.encode()).unwrap_or_else(|e| panic!("{e}"));
    let mut phone_stream = PeerSession::new(&caller, "phone");
    sync(
        &documents,
        &caller,
        &mut phone_stream,
        &mut phone,
        &mut phone_state,
        false,
    );
    assert_eq!(phone.heads(), tablet.heads());
}

/// A device sends changes built on one it never sends: they wait in the
/// server's copy, up to the bound. The round that would take them past it
/// is refused, naming the document, and the stored document is the one
/// synced before.
#[test]
fn changes_waiting_for_one_never_sent_are_refused_past_the_bound() {
    use tradeport_domain::documents::MAX_WAITING_CHANGES;

    let f = fixture();
    let caller = buyer(&f.account);
    let documents = f.documents();
    let mut draft = OrderDraft::new(&f.account).unwrap_or_else(|e| panic!("{e}"));
    let id = draft.draft_id().unwrap_or_else(|e| panic!("{e}"));
    let line = draft
        .add_line("SKU-1", "1")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut device = Replica::load(&draft.save()).unwrap_or_else(|e| panic!("{e}"));
    let mut state = SyncState::new();
    let mut session = PeerSession::new(&caller, "device-1");
    sync(
        &documents,
        &caller,
        &mut session,
        &mut device,
        &mut state,
        true,
    );
    let synced = device.save();
    let stored = |store: &dyn Store| {
        let mut keys = Vec::new();
        for prefix in ["doc/", "docsave/", "docchg/"] {
            keys.extend(
                store
                    .scan(KeyRange::prefix(prefix.as_bytes()), 10_000)
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        keys
    };
    let before = stored(f.store.as_ref());

    // The one never sent, then the changes built on it.
    draft
        .set_quantity(&line, "2")
        .unwrap_or_else(|e| panic!("{e}"));
    let never_sent = Replica::load(&draft.save())
        .unwrap_or_else(|e| panic!("{e}"))
        .heads();
    let mut built_on_it = |n: usize| {
        let from = Replica::load(&draft.save())
            .unwrap_or_else(|e| panic!("{e}"))
            .heads();
        for q in 0..n {
            draft
                .set_quantity(&line, &(q % 7 + 3).to_string())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Replica::load(&draft.save())
            .unwrap_or_else(|e| panic!("{e}"))
            .save_after(&from)
    };
    // A copy the server holds, with changes appended: a whole document
    // that loads, its appended changes waiting for `never_sent`.
    let sending = |changes: Vec<u8>| {
        vec![Incoming {
            document_id: id.clone(),
            sync_message: Vec::new(),
            document: [synced.as_slice(), &changes].concat(),
        }]
    };
    assert!(!never_sent.is_empty());

    let replies = documents
        .round(
            &caller,
            &mut session,
            sending(built_on_it(MAX_WAITING_CHANGES)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replies[0].problem, None, "up to the bound they wait");

    let past = documents.round(&caller, &mut session, sending(built_on_it(1)));
    assert!(
        matches!(
            &past,
            Err(ServiceError::Domain(DomainError::InvalidArgument {
                reason: "TOO_MANY_WAITING_CHANGES",
                violations,
            })) if violations[0].description.contains(&id)
        ),
        "{past:?}"
    );
    assert_eq!(
        stored(f.store.as_ref()),
        before,
        "the document stored is unchanged"
    );
}

#[test]
fn naming_any_number_of_unknown_documents_keeps_the_loaded_set_bounded() {
    let f = fixture();
    let documents = f.documents();
    let caller = buyer(&f.account);
    for n in 0..MAX_OPEN_DOCUMENTS + 500 {
        assert!(
            documents
                .order_draft(&caller, &format!("nope-{n}"), &[])
                .is_err()
        );
    }
    assert!(lock(&documents.open).len() <= MAX_OPEN_DOCUMENTS);
}
