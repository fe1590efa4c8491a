//! Drafts are their account's alone: another account can neither sync nor
//! learn of one, nor plant one; a document rewritten to another account is
//! refused whole; and a watch tells only the account's people of a change.

use std::time::Duration;

use tradeport_mobile::Client;
use tradeport_proto::sync as pb;
use tradeport_tests::clients::sync;

use crate::drafts::{device, fixture, server_copy, synced_draft};

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
        known.message.replace(&id, "ID"),
        unknown
            .message
            .replace("1@0123456789abcdef0123456789abcdef", "ID")
    );
    assert_eq!(
        (&known.reason, &known.field),
        (&unknown.reason, &unknown.field)
    );
    assert_eq!(known.reason, "DOCUMENT_NOT_FOUND", "{known}");
    assert!(known.by_server);
    // Nor can they put a draft into the account.
    let (intruder, _i) = device("intruder");
    let planted = intruder.create(&f.server.account(0)).unwrap();
    intruder.sync(&f.foreign).await.unwrap();
    assert!(intruder.refusal(&planted).unwrap().unwrap().reason == "DOCUMENT_NOT_FOUND");
    assert!(!server_lists(&f.buyer, &planted).await);
}

/// Whether the server lists the draft `id` to `client`.
async fn server_lists(client: &Client, id: &str) -> bool {
    sync(client)
        .list_documents(pb::ListDocumentsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .documents
        .iter()
        .any(|d| d.document_id == id)
}

/// One unary round, as a browser sends it.
async fn round(
    client: &Client,
    peer: &str,
    messages: Vec<pb::DocumentMessage>,
) -> Vec<pb::DocumentMessage> {
    sync(client)
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

/// What a browser listens to between rounds: a notice per changed
/// document it may see, and none for another account's.
#[tokio::test]
async fn watch_documents_tells_the_accounts_people_and_nobody_else() {
    let f = &fixture().await;
    let mut ours = sync(&f.admin)
        .watch_documents(pb::WatchDocumentsRequest {})
        .await
        .unwrap()
        .into_inner();
    let mut theirs = sync(&f.foreign)
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
