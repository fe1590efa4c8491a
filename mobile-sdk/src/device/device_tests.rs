//! The device's tests, offline: a client for a server that is not there,
//! so every call fails as it does without a network, and what the device
//! does from its local copy and its queue alone.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use rust_decimal::Decimal;
use tradeport_proto::orders::{OrderLineInput, SubmitOrderRequest};
use tradeport_proto::sync::{ProductEntry, PullReferenceDataResponse};

use super::*;
use crate::ClientConfig;
use crate::outbox::ActionState;
use std::str::FromStr;
use tradeport_proto::catalog::Product;
use tradeport_proto::common::Money;
use tradeport_proto::identity::SessionTokens;
use tradeport_proto::sync::{PriceBreak, ReferenceChange, reference_change};

/// A client for a server that is not there: every call fails as it
/// does offline.
fn offline() -> Client {
    let mut config = ClientConfig::new("http://127.0.0.1:9");
    config.connect_timeout = Duration::from_millis(200);
    config.retry.max_attempts = 1;
    Client::connect_lazy(config).unwrap()
}

fn catalog_page() -> PullReferenceDataResponse {
    let product = |id: &str, sku: &str, name: &str| ReferenceChange {
        change: Some(reference_change::Change::Product(ProductEntry {
            product: Some(Product {
                id: id.into(),
                sku: sku.into(),
                name: name.into(),
                ..Default::default()
            }),
            price_breaks: [("1", "10.00"), ("10", "9.50")]
                .iter()
                .map(|(min, amount)| PriceBreak {
                    min_quantity: (*min).into(),
                    unit_price: Some(Money {
                        currency_code: "EUR".into(),
                        amount: (*amount).into(),
                    }),
                })
                .collect(),
        })),
    };
    PullReferenceDataResponse {
        changes: vec![
            product("p1", "TP-1", "Brass valve"),
            product("p2", "TP-2", "Brass fitting"),
        ],
        next_cursor: "c1".into(),
        up_to_date: true,
        reset: false,
        snapshot_pages: 0,
    }
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[tokio::test]
async fn search_price_and_lines_come_from_the_local_copy() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), offline()).unwrap();
    device.apply_reference_page(&catalog_page()).unwrap();
    let hits: Vec<String> = device
        .search("brass", 10)
        .into_iter()
        .map(|h| h.sku)
        .collect();
    assert_eq!(hits, ["TP-2", "TP-1"]);
    assert_eq!(
        device.price("TP-1", d("12")).unwrap().unwrap().line_total,
        d("114.00")
    );
    assert_eq!(device.price("NOPE", d("1")).unwrap(), None);
    let line = device.order_line("tp-1", d("10")).unwrap();
    assert_eq!(
        (
            line.sku.as_str(),
            line.quantity.as_str(),
            line.expected_unit_price.as_str()
        ),
        ("TP-1", "10", "9.5")
    );
    assert!(matches!(
        device.order_line("NOPE", d("1")),
        Err(Error::InvalidArgument { field: "sku", .. })
    ));
    assert_eq!(device.status().unwrap().products, 2);
}

#[tokio::test]
async fn queued_actions_stay_pending_in_order_offline_and_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let ids = {
        let device = Device::open(dir.path(), offline()).unwrap();
        let submit = device
            .queue_submit_order(SubmitOrderRequest {
                lines: vec![OrderLineInput {
                    sku: "TP-1".into(),
                    quantity: "1".into(),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .unwrap();
        let approve = device.queue_approve_order("ord-1", "fine").unwrap();
        let reject = device.queue_reject_order("ord-2", "too much").unwrap();
        assert!(uuid::Uuid::parse_str(&submit).is_ok(), "{submit}");
        assert!(matches!(
            device.queue_reject_order("ord-2", " "),
            Err(Error::InvalidArgument {
                field: "comment",
                ..
            })
        ));
        assert!(matches!(
            device.queue_submit_order(SubmitOrderRequest::default()),
            Err(Error::InvalidArgument { field: "lines", .. })
        ));

        let err = device.flush_outbox().await.unwrap_err();
        assert!(err.is_offline(), "{err:?}");
        assert_eq!(err.code(), crate::ErrorCode::Offline);
        let status = device.status().unwrap();
        assert_eq!(status.pending_actions, 3);
        let err = device.sync_now().await.unwrap_err();
        assert!(err.is_offline(), "{err:?}");
        assert!(device.status().unwrap().last_error.is_some());
        vec![submit, approve, reject]
    };
    let device = Device::open(dir.path(), offline()).unwrap();
    let entries = device.outbox().unwrap();
    let listed: Vec<String> = entries.iter().map(|e| e.request_id.clone()).collect();
    assert_eq!(listed, ids);
    // Only the first was tried: the replay stops at the first failure.
    assert_eq!(entries[0].state, ActionState::Pending { attempts: 2 });
    assert_eq!(entries[1].state, ActionState::Pending { attempts: 0 });
    assert!(matches!(&entries[1].action, crate::Action::ApproveOrder(r) if r.id == "ord-1"));
    assert_eq!(device.status().unwrap().last_synced, None);
}

#[tokio::test]
async fn a_request_id_given_by_the_app_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), offline()).unwrap();
    let id = device
        .queue_submit_order(SubmitOrderRequest {
            request_id: "draft-42-submit".into(),
            lines_text: "TP-1;2".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(id, "draft-42-submit");
}

#[tokio::test]
async fn signing_out_deletes_the_local_database_and_forgets_the_tokens() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("device");
    let client = offline();
    client.set_tokens(SessionTokens {
        access_token: "tpa_x".into(),
        refresh_token: "tpr_x".into(),
        ..Default::default()
    });
    let device = Device::open(&dir, client.clone()).unwrap();
    device.apply_reference_page(&catalog_page()).unwrap();
    let approval = device.queue_approve_order("ord-1", "").unwrap();
    let background = device.spawn_background(Duration::from_millis(5));
    assert!(std::fs::read_dir(&dir).unwrap().count() > 0);

    let report = device.sign_out().await.unwrap();
    assert!(!report.logged_out_on_server, "the server is unreachable");
    assert!(report.logout_pending, "kept to be sent again");
    assert_eq!(client.pending_logouts(), 1);
    assert_eq!(report.discarded_actions.len(), 1);
    assert_eq!(report.discarded_actions[0].request_id, approval);
    assert!(!dir.exists(), "the database directory is gone");
    assert_eq!(client.tokens(), None);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!background.is_running(), "background sync stopped");
    assert!(!dir.exists(), "nothing wrote it back");

    let again = Device::open(&dir, offline()).unwrap();
    assert!(again.search("brass", 10).is_empty());
    assert_eq!(again.product("TP-1").unwrap(), None);
    assert!(again.outbox().unwrap().is_empty());
    assert_eq!(again.status().unwrap(), SyncStatus::default());
}

#[tokio::test]
async fn background_sync_backs_off_and_stops_when_its_handle_drops() {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), offline()).unwrap();
    let background = device.spawn_background(Duration::from_millis(20));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(device.status().unwrap().last_error.is_some());
    assert!(background.is_running());
    drop(background);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = device.status().unwrap();
    assert!(!status.syncing, "{status:?}");
}
