//! The SDK's Device against a real server's reference-data feed: a first
//! pull fills the local catalog, search and prices work from it, an order
//! priced locally is accepted at those prices, and the next sync brings
//! only what changed.

use tradeport_mobile::{Decimal, Device, MatchKind, SearchHit};
use tradeport_proto::orders::SubmitOrderRequest;
use tradeport_tests::TestServer;

#[tokio::test]
async fn a_pulled_catalog_searches_and_prices_offline_and_a_sync_brings_only_the_changes() {
    let server = TestServer::start(|_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), server.client()).unwrap();

    let first = device.pull_reference_data().await.unwrap();
    let status = device.status().unwrap();
    assert!(status.products > 100, "{status:?} after {first:?}");
    assert_eq!(status.last_pull, Some(first));
    assert!(first.bytes > 0 && first.changes >= status.products as u64);

    let hits: Vec<SearchHit> = device.search("tp-el-00007", 5);
    assert_eq!(hits[0].sku, "TP-EL-00007", "{hits:?}");
    assert_eq!(hits[0].matched, MatchKind::ExactCode);

    // The price the device shows is the one the server charges.
    let line = device.order_line("TP-EL-00007", Decimal::from(4)).unwrap();
    assert!(!line.expected_unit_price.is_empty());
    let request_id = device
        .queue_submit_order(SubmitOrderRequest {
            lines: vec![line],
            po_number: "PO-OFFLINE-PRICED".into(),
            ..Default::default()
        })
        .unwrap();
    let report = device.sync_now().await.unwrap();
    assert_eq!(
        report.outbox.succeeded,
        1,
        "{:#?}",
        device.outbox().unwrap()
    );
    let order = device
        .orders()
        .unwrap()
        .into_iter()
        .find(|o| o.po_number == "PO-OFFLINE-PRICED")
        .unwrap_or_else(|| panic!("the order {request_id} is kept locally"));
    assert_eq!(order.lines[0].sku, "TP-EL-00007");

    // Only what changed since: far less than the snapshot.
    assert!(
        report.pull.changes < first.changes / 10,
        "{:?} after {first:?}",
        report.pull
    );
    let again = device.pull_reference_data().await.unwrap();
    assert!(again.changes < 10, "{again:?}");
    assert!(device.status().unwrap().last_synced.is_some());
}
