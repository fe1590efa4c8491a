//! A browser syncing a draft over gRPC-web (HTTP/1.1, unary rounds, as
//! automerge-js would) edits the same draft as a native client.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use tradeport_proto::sync as pb;
use tradeport_sync::{OrderDraft, Replica, SyncState};

use crate::drafts::{Users, fixture, lines, synced_draft};

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
