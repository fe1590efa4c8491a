//! Stock over the wire: levels per warehouse, the ERP feed's ordering,
//! live watches, low-stock alerts.

use std::time::Duration;

use tonic::Code;
use tradeport_mobile::Client;
use tradeport_proto::catalog::{
    GetStockRequest, IncomingStock, ListStockAlertsRequest, StockLevelUpdate,
    UpdateStockLevelsRequest, UpdateStockLevelsResponse, WatchStockRequest,
};
use tradeport_proto::google::r#type::Date;
use tradeport_proto::identity as pb;
use tradeport_tests::clients::catalog;
use tradeport_tests::people::{api_key_client, enrolled};
use tradeport_tests::stock::{level, levels};
use tradeport_tests::{TestServer, bad_fields};

const SKU: &str = "TP-EL-00042";

/// The ERP: an integration API key made by the brand admin.
async fn erp(server: &TestServer) -> Client {
    let (admin, _) = enrolled(server, "admin@tradeport.example").await;
    api_key_client(server, &admin, "ERP stock feed", pb::Role::Integration).await
}

fn update(sequence: u64, on_hand: &str) -> UpdateStockLevelsRequest {
    UpdateStockLevelsRequest {
        warehouse_id: "WH-HAM".into(),
        sequence,
        levels: vec![level(SKU, on_hand)],
    }
}

async fn send(erp: &Client, request: UpdateStockLevelsRequest) -> UpdateStockLevelsResponse {
    catalog(erp)
        .update_stock_levels(request)
        .await
        .unwrap()
        .into_inner()
}

async fn on_hand(client: &Client) -> String {
    levels(client, SKU)
        .await
        .into_iter()
        .find(|l| l.warehouse_id == "WH-HAM")
        .unwrap()
        .on_hand
}

#[tokio::test]
async fn every_warehouse_reports_its_levels() {
    let server = TestServer::shared();
    let levels = levels(&server.client(), SKU).await;
    let warehouses: Vec<_> = levels.iter().map(|l| l.warehouse_id.as_str()).collect();
    assert_eq!(warehouses, ["WH-HAM", "WH-MAD", "WH-RTM"]);
    for l in &levels {
        let on_hand: i64 = l.on_hand.parse().unwrap();
        let reserved: i64 = l.reserved.parse().unwrap();
        assert_eq!(
            l.available.parse::<i64>().unwrap(),
            (on_hand - reserved).max(0)
        );
    }
    let too_many = catalog(&server.client())
        .get_stock(GetStockRequest {
            skus: vec!["x".into(); 501],
        })
        .await
        .unwrap_err();
    assert_eq!(too_many.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn old_and_repeated_feed_updates_are_ignored_and_reported() {
    let server = TestServer::start(|_| {}).unwrap();
    let erp = erp(&server).await;
    let applied = send(&erp, update(5, "300")).await;
    assert!(applied.applied);
    let repeated = send(&erp, update(5, "999")).await;
    assert_eq!((repeated.applied, repeated.last_sequence), (false, 5));
    let older = send(&erp, update(4, "111")).await;
    assert_eq!((older.applied, older.last_sequence), (false, 5));
    assert_eq!(on_hand(&erp).await, "300");

    // Twenty updates at once, in scrambled order: the highest sequence wins.
    let mut calls = Vec::new();
    for sequence in [
        17u64, 9, 25, 11, 6, 24, 13, 8, 22, 19, 7, 15, 21, 10, 16, 12, 18, 14, 23, 20,
    ] {
        let erp = erp.clone();
        calls.push(tokio::spawn(async move {
            send(&erp, update(sequence, &format!("{}", sequence * 10))).await
        }));
    }
    for call in calls {
        call.await.unwrap();
    }
    assert_eq!(on_hand(&erp).await, "250");
    let last = send(&erp, update(25, "1")).await;
    assert_eq!((last.applied, last.last_sequence), (false, 25));
}

#[tokio::test]
async fn a_watch_gets_the_levels_then_each_change_within_a_second() {
    let server = TestServer::start(|_| {}).unwrap();
    let erp = erp(&server).await;
    let (dealer, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let mut watch = catalog(&dealer)
        .watch_stock(WatchStockRequest {
            skus: vec![SKU.into()],
        })
        .await
        .unwrap()
        .into_inner();
    for _ in 0..3 {
        let snapshot = watch.message().await.unwrap().unwrap();
        assert!(!snapshot.changed);
    }
    send(&erp, update(2, "12")).await;
    let change = tokio::time::timeout(Duration::from_secs(1), watch.message())
        .await
        .expect("a change within one second")
        .unwrap()
        .unwrap();
    assert!(change.changed);
    let level = change.level.unwrap();
    assert_eq!(
        (level.warehouse_id.as_str(), level.on_hand.as_str()),
        ("WH-HAM", "12")
    );
    assert!(level.below_safety_stock, "the watcher sees the alert too");
}

#[tokio::test]
async fn falling_below_safety_stock_raises_an_alert_and_restocking_clears_it() {
    let server = TestServer::start(|_| {}).unwrap();
    let erp = erp(&server).await;
    let low = send(&erp, update(2, "3")).await;
    assert_eq!(low.alerts_raised, [SKU]);
    let alerts = catalog(&erp)
        .list_stock_alerts(ListStockAlertsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .levels;
    assert!(
        alerts
            .iter()
            .any(|l| l.sku == SKU && l.warehouse_id == "WH-HAM")
    );
    let restocked = send(&erp, update(3, "500")).await;
    assert_eq!(restocked.alerts_cleared, [SKU]);
    let alerts = catalog(&erp)
        .list_stock_alerts(ListStockAlertsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .levels;
    assert!(
        !alerts
            .iter()
            .any(|l| l.sku == SKU && l.warehouse_id == "WH-HAM")
    );
    // The demo has SKUs running low already.
    assert!(!alerts.is_empty());

    let (buyer, _) = enrolled(&server, "buyer@sur.example").await;
    let refused = catalog(&buyer)
        .list_stock_alerts(ListStockAlertsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = catalog(&buyer)
        .update_stock_levels(update(9, "1"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn bad_feed_updates_name_their_fields_and_change_nothing() {
    let server = TestServer::start(|_| {}).unwrap();
    let erp = erp(&server).await;
    let before = on_hand(&erp).await;
    let mut bad = update(2, "-4");
    bad.levels.push(StockLevelUpdate {
        sku: SKU.into(),
        on_hand: "1".into(),
        ..Default::default()
    });
    let status = catalog(&erp).update_stock_levels(bad).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<_> = bad_fields(&status);
    assert_eq!(fields, ["levels[0].on_hand", "levels[1].sku"]);
    assert_eq!(on_hand(&erp).await, before);
    // The rejected update did not use up its sequence number.
    assert!(send(&erp, update(2, "77")).await.applied);
}

#[tokio::test]
async fn incoming_stock_keeps_its_day_and_a_day_that_does_not_exist_is_named() {
    let server = TestServer::start(|_| {}).unwrap();
    let erp = erp(&server).await;
    let day = |year, month, day| Some(Date { year, month, day });
    let incoming = |expected_date| IncomingStock {
        quantity: "50".into(),
        expected_date,
    };
    let mut arriving = update(2, "10");
    arriving.levels[0].incoming = vec![incoming(day(2027, 1, 15))];
    assert!(send(&erp, arriving).await.applied);
    let ham = levels(&erp, SKU)
        .await
        .into_iter()
        .find(|l| l.warehouse_id == "WH-HAM")
        .unwrap();
    assert_eq!(ham.incoming, [incoming(day(2027, 1, 15))]);

    let mut bad = update(3, "10");
    bad.levels[0].incoming = vec![incoming(day(2027, 2, 29)), incoming(None)];
    let status = catalog(&erp).update_stock_levels(bad).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        bad_fields(&status),
        [
            "levels[0].incoming[0].expected_date",
            "levels[0].incoming[1].expected_date"
        ]
    );
}
