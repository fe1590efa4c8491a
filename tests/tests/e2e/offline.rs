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
    let second = device.order_line("TP-EL-00008", Decimal::from(3)).unwrap();
    let reserved = |sku: &str| -> Decimal {
        device
            .stock(sku)
            .unwrap()
            .iter()
            .map(|l| l.reserved.parse::<Decimal>().unwrap())
            .sum()
    };
    let reserved_before = [reserved("TP-EL-00007"), reserved("TP-EL-00008")];
    let request_id = device
        .queue_submit_order(SubmitOrderRequest {
            lines: vec![line, second],
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
    // The order's reservation, one feed entry for both levels, reached
    // the device's stock.
    assert_eq!(
        [reserved("TP-EL-00007"), reserved("TP-EL-00008")],
        [
            reserved_before[0] + Decimal::from(4),
            reserved_before[1] + Decimal::from(3)
        ]
    );

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

/// What the ERP sets a level to in the offline test: distinct per level,
/// and far from any demo level (those stay under 500).
fn offline_on_hand(i: usize, warehouse: usize) -> String {
    (10_000 + warehouse * 1_000 + i).to_string()
}

#[tokio::test]
async fn a_device_offline_across_1000_reference_data_changes_catches_up_from_its_cursor_with_only_those_changes()
 {
    use tradeport_proto::catalog::UpdateStockLevelsRequest;
    use tradeport_proto::identity::Role;
    use tradeport_tests::clients::catalog;
    use tradeport_tests::imports::import_prices;
    use tradeport_tests::people::{api_key_client, enrolled};
    use tradeport_tests::stock::level;

    const WAREHOUSES: [&str; 2] = ["WH-HAM", "WH-MAD"];
    const PER_WAREHOUSE: usize = 500;

    let server = TestServer::start(|_| {}).unwrap();
    let (admin, _) = enrolled(&server, "admin@tradeport.example").await;
    let erp = api_key_client(&server, &admin, "ERP stock feed", Role::Integration).await;
    let manager = api_key_client(&server, &admin, "ERP prices", Role::CatalogManager).await;

    // A buyer of the standard-tier customer: its assortment leaves out
    // tools (cat-to), and the other customer's prices are not its own.
    let (buyer, _) = enrolled(&server, "buyer@sur.example").await;
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), buyer).unwrap();
    let snapshot = device.pull_reference_data().await.unwrap();
    assert!(snapshot.changes > 1_000, "{snapshot:?}");

    let demo = tradeport_server::demo::catalog();
    let (tools, assortment): (Vec<_>, Vec<_>) = demo
        .products
        .iter()
        .filter(|p| p.listed())
        .partition(|p| p.category_id.starts_with("cat-to"));
    let tool = &tools[0].sku;
    assert_eq!(device.product(tool).unwrap(), None, "tools are not for it");
    assert!(device.stock(tool).unwrap().is_empty());
    let skus: Vec<&str> = assortment
        .iter()
        .take(PER_WAREHOUSE)
        .map(|p| p.sku.as_str())
        .collect();
    assert_eq!(skus.len(), PER_WAREHOUSE);
    for sku in &skus {
        let levels = device.stock(sku).unwrap();
        assert_eq!(levels.len(), 3, "{sku} has its snapshot stock: {levels:?}");
    }
    // The other customer's price will move for a SKU this device holds.
    let priced_sku = skus[0];
    let price_before = device.product(priced_sku).unwrap().unwrap();

    // Offline: exactly 1,000 changes that concern the device (500 SKUs in
    // two warehouses, sent by the ERP in batches of 125 as it would), and
    // two it may not see.
    let mut stock = catalog(&erp);
    for (w, warehouse) in WAREHOUSES.iter().enumerate() {
        for (batch, chunk) in skus.chunks(125).enumerate() {
            let mut levels: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(j, sku)| level(sku, offline_on_hand(batch * 125 + j, w)))
                .collect();
            if batch == 0 {
                // A level of a product outside its assortment.
                levels.push(level(tool, "77777"));
            }
            let applied = stock
                .update_stock_levels(UpdateStockLevelsRequest {
                    warehouse_id: (*warehouse).into(),
                    sequence: 2 + batch as u64,
                    levels,
                })
                .await
                .unwrap()
                .into_inner();
            assert!(applied.applied, "{warehouse} batch {batch}: {applied:?}");
        }
    }
    let nordlicht = server.account(0);
    import_prices(
        &manager,
        &format!(
            "pl-nordlicht-offline,Nordlicht only,EUR,customer:{nordlicht},{priced_sku},0,0.01\n"
        ),
    )
    .await;

    // Back online: one pull from the cursor brings exactly those changes.
    let caught_up = device.pull_reference_data().await.unwrap();
    assert!(!caught_up.reset, "{caught_up:?}");
    assert_eq!(caught_up.changes, 1_000, "{caught_up:?}");
    assert_eq!(caught_up.skipped, 0);
    assert!(
        caught_up.bytes < snapshot.bytes / 10,
        "{caught_up:?} after {snapshot:?}"
    );
    for (w, warehouse) in WAREHOUSES.iter().enumerate() {
        for (i, sku) in skus.iter().enumerate() {
            let levels = device.stock(sku).unwrap();
            let level = levels
                .iter()
                .find(|l| l.warehouse_id == *warehouse)
                .unwrap_or_else(|| panic!("{sku} in {warehouse}: {levels:?}"));
            assert_eq!(level.on_hand, offline_on_hand(i, w), "{sku} in {warehouse}");
        }
    }
    let untouched = device.stock(skus[0]).unwrap();
    let rtm = untouched
        .iter()
        .find(|l| l.warehouse_id == "WH-RTM")
        .unwrap();
    assert!(rtm.on_hand.parse::<u32>().unwrap() < 10_000, "{rtm:?}");
    assert!(
        device.stock(tool).unwrap().is_empty(),
        "a tool's level arrived"
    );
    assert_eq!(device.product(tool).unwrap(), None);
    assert_eq!(
        device.product(priced_sku).unwrap().unwrap(),
        price_before,
        "another customer's price arrived"
    );

    // And nothing more.
    let again = device.pull_reference_data().await.unwrap();
    assert_eq!((again.changes, again.reset), (0, false), "{again:?}");
}
