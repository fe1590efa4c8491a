//! Offline prices never go stale: whatever changes a customer's effective
//! price — a promotion's per-customer cap reached, a promotion's or price
//! list's validity window opening or closing (swept at the day's edge,
//! also across a restart), an assortment change — reaches their devices
//! with the next incremental pull, so the price a device shows is the one
//! the server charges and a draft submitted from it is accepted. Other
//! customers' devices are not told.

use rust_decimal::Decimal;
use tradeport_mobile::{Client, Device};
use tradeport_proto::catalog::{CartLineInput, PriceCartRequest};
use tradeport_proto::orders::SubmitOrderRequest;
use tradeport_tests::TestServer;
use tradeport_tests::clients::catalog;
use tradeport_tests::money::amount;
use tradeport_tests::orders::{line, submit};
use tradeport_tests::people::enrolled;

/// A lamp under the demo's autumn lighting promotion (10 % off, five
/// orders per customer, until 31 December 2026).
const LAMP: &str = "TP-LI-01001";

/// What the server charges `client` for one of `sku`; `None` when it
/// prices nothing for them (outside their assortment).
async fn server_price(client: &Client, sku: &str) -> Option<Decimal> {
    let priced = catalog(client)
        .price_cart(PriceCartRequest {
            lines: vec![CartLineInput {
                sku: sku.into(),
                quantity: "1".into(),
            }],
            ..Default::default()
        })
        .await
        .ok()?
        .into_inner();
    Some(amount(&priced.lines[0].unit_price))
}

/// What `device` shows for one of `sku` from its local copy.
fn device_price(device: &Device, sku: &str) -> Option<Decimal> {
    device
        .price(sku, Decimal::ONE)
        .unwrap()
        .map(|p| p.unit_price)
}

/// A device of `client` with its first pull done.
async fn pulled_device(client: &Client) -> (Device, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), client.clone()).unwrap();
    device.pull_reference_data().await.unwrap();
    (device, dir)
}

/// Pulls what changed and checks the device shows what the server
/// charges for `sku`; returns how many changes the pull brought.
async fn pulled_and_true(device: &Device, client: &Client, sku: &str) -> u64 {
    let report = device.pull_reference_data().await.unwrap();
    assert_eq!(
        device_price(device, sku),
        server_price(client, sku).await,
        "{sku} after an incremental pull of {report:?}"
    );
    report.changes
}

/// Submits a draft of `account` holding `sku` from `device`, at the
/// prices it shows, and expects the order accepted.
async fn draft_is_ordered(device: &Device, account: &str, sku: &str) {
    let draft = device.drafts().create(account).unwrap();
    device
        .drafts()
        .edit(&draft, |d| d.add_line(sku, "2"))
        .unwrap();
    device.sync_now().await.unwrap();
    let request_id = device.queue_submit_draft(&draft).unwrap();
    let report = device.flush_outbox().await.unwrap();
    assert_eq!(
        (report.succeeded, report.failed),
        (1, 0),
        "the draft's submission {request_id}: {:#?}",
        device.outbox().unwrap()
    );
}

#[tokio::test]
async fn a_promotion_reaching_its_cap_reprices_that_customers_devices_only() {
    let server = TestServer::start(|_| {}).unwrap();
    let (sur, _) = enrolled(&server, "buyer@sur.example").await;
    let (nordlicht, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let (device, _d) = pulled_device(&sur).await;
    let (other, _o) = pulled_device(&nordlicht).await;
    let discounted = server_price(&sur, LAMP).await.unwrap();
    assert_eq!(device_price(&device, LAMP), Some(discounted));
    let others_price = device_price(&other, LAMP);

    // Four orders use the promotion: the fifth may still.
    for n in 0..4 {
        submit(
            &sur,
            SubmitOrderRequest {
                lines: vec![line(LAMP, "1")],
                po_number: format!("PO-CAP-{n}"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    pulled_and_true(&device, &sur, LAMP).await;
    assert_eq!(device_price(&device, LAMP), Some(discounted));
    // The fifth reaches the cap: the lamp costs its list price again.
    submit(
        &sur,
        SubmitOrderRequest {
            lines: vec![line(LAMP, "1")],
            po_number: "PO-CAP-4".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let full = server_price(&sur, LAMP).await.unwrap();
    assert!(
        full > discounted,
        "{full} after the cap, {discounted} before"
    );
    let changes = pulled_and_true(&device, &sur, LAMP).await;
    assert_eq!(device_price(&device, LAMP), Some(full));
    // Every lighting product it sees came along, not only the lamp.
    let lighting = tradeport_server::demo::catalog()
        .products
        .iter()
        .filter(|p| p.listed() && p.category_id.starts_with("cat-li"))
        .count() as u64;
    assert!(
        changes >= lighting,
        "{changes} changes for {lighting} lights"
    );

    // The other customer has its own cap: its prices did not move, and
    // its device is not sent the lighting range (the lamp's stock moved).
    let others = pulled_and_true(&other, &nordlicht, LAMP).await;
    assert_eq!(device_price(&other, LAMP), others_price);
    assert!(others < 10, "{others} changes for another customer's cap");

    draft_is_ordered(&device, &server.account(1), LAMP).await;
}
