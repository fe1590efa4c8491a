//! Offline prices never go stale: whatever changes a customer's effective
//! price — a promotion's per-customer cap reached, a promotion's or price
//! list's validity window opening or closing (swept at the day's edge,
//! also across a restart), an assortment change — reaches their devices
//! with the next incremental pull, so the price a device shows is the one
//! the server charges and a draft submitted from it is accepted. Other
//! customers' devices are not told.

use rust_decimal::Decimal;
use time::macros::date;
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

#[tokio::test]
async fn a_promotion_closing_at_midnight_reprices_every_customers_devices() {
    let server = TestServer::start(|_| {}).unwrap();
    let (sur, _) = enrolled(&server, "buyer@sur.example").await;
    let (nordlicht, _) = enrolled(&server, "buyer@nordlicht.example").await;
    server.set_today(date!(2026 - 12 - 31)).await.unwrap();
    let (device, _d) = pulled_device(&sur).await;
    let (other, _o) = pulled_device(&nordlicht).await;
    let discounted = server_price(&sur, LAMP).await.unwrap();
    let others_discounted = server_price(&nordlicht, LAMP).await.unwrap();
    assert_eq!(device_price(&device, LAMP), Some(discounted));

    // The promotion's last day ends: nothing is written, yet every
    // customer's lighting costs more from New Year's Day on.
    server.set_today(date!(2027 - 01 - 01)).await.unwrap();
    pulled_and_true(&device, &sur, LAMP).await;
    pulled_and_true(&other, &nordlicht, LAMP).await;
    assert!(device_price(&device, LAMP).unwrap() > discounted);
    assert!(device_price(&other, LAMP).unwrap() > others_discounted);
    draft_is_ordered(&device, &server.account(1), LAMP).await;

    // Set back (a clock corrected), the promotion runs again.
    server.set_today(date!(2026 - 12 - 31)).await.unwrap();
    pulled_and_true(&device, &sur, LAMP).await;
    assert_eq!(device_price(&device, LAMP), Some(discounted));
}

/// The header of a price-list file whose lists have validity windows.
const DATED_PRICES: &str = "price_list_id,price_list_name,currency,scope,valid_from,valid_until,sku,min_quantity,unit_price";

#[tokio::test]
async fn a_customers_own_and_contract_lists_starting_and_ending_reprice_only_its_devices() {
    use tradeport_proto::catalog::{DataKind, ImportMode};
    use tradeport_proto::identity::Role;
    use tradeport_tests::imports::import;
    use tradeport_tests::people::api_key_client;

    const CABLE: &str = "TP-EL-00007";
    const SWITCH: &str = "TP-EL-00008";
    let server = TestServer::start(|_| {}).unwrap();
    let (admin, _) = enrolled(&server, "admin@tradeport.example").await;
    let manager = api_key_client(&server, &admin, "ERP prices", Role::CatalogManager).await;
    let (sur, _) = enrolled(&server, "buyer@sur.example").await;
    let (nordlicht, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let account = server.account(1);
    server.set_today(date!(2027 - 02 - 01)).await.unwrap();
    // Sur's own prices for the cable in February's second week, and a
    // contract pricing the switch from the 8th on.
    let file = format!(
        "{DATED_PRICES}\n\
         pl-sur-feb,Sur February,EUR,customer:{account},2027-02-08,2027-02-14,{CABLE},0,1.11\n\
         pl-sur-contract,Sur contract,EUR,contract:{account}:C-1,2027-02-08,,{SWITCH},0,2.22\n"
    );
    let report = import(
        &manager,
        DataKind::Prices,
        ImportMode::AllOrNothing,
        "",
        file.as_bytes(),
        file.len(),
    )
    .await
    .unwrap();
    assert!(report.applied, "{report:?}");
    let (device, _d) = pulled_device(&sur).await;
    let (other, _o) = pulled_device(&nordlicht).await;
    let before = [CABLE, SWITCH].map(|sku| device_price(&device, sku));
    let others = [CABLE, SWITCH].map(|sku| device_price(&other, sku));

    server.set_today(date!(2027 - 02 - 08)).await.unwrap();
    pulled_and_true(&device, &sur, CABLE).await;
    pulled_and_true(&device, &sur, SWITCH).await;
    assert_eq!(device_price(&device, CABLE), Some(Decimal::new(111, 2)));
    assert_eq!(device_price(&device, SWITCH), Some(Decimal::new(222, 2)));
    // Another customer's lists are not its own: no price of it moved and
    // its device was told nothing about them.
    assert_eq!(other.pull_reference_data().await.unwrap().changes, 0);
    assert_eq!([CABLE, SWITCH].map(|sku| device_price(&other, sku)), others);
    draft_is_ordered(&device, &account, CABLE).await;

    // The customer list ends; the contract goes on.
    server.set_today(date!(2027 - 02 - 15)).await.unwrap();
    pulled_and_true(&device, &sur, CABLE).await;
    assert_eq!(device_price(&device, CABLE), before[0]);
    assert_eq!(device_price(&device, SWITCH), Some(Decimal::new(222, 2)));
    draft_is_ordered(&device, &account, SWITCH).await;
}

#[tokio::test]
async fn a_server_down_over_a_windows_edge_catches_up_when_it_starts() {
    let server = TestServer::start(|_| {}).unwrap();
    let (sur, _) = enrolled(&server, "buyer@sur.example").await;
    let tokens = sur.tokens().unwrap();
    server.set_today(date!(2026 - 12 - 30)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), sur.clone()).unwrap();
    device.pull_reference_data().await.unwrap();
    let discounted = device_price(&device, LAMP).unwrap();
    assert_eq!(Some(discounted), server_price(&sur, LAMP).await);
    drop(device);

    // Down from the 30th to the 2nd: the promotion ended meanwhile.
    let server = server.restarted_on(date!(2027 - 01 - 02)).await.unwrap();
    let sur = server.signed_in(&tokens);
    let device = Device::open(dir.path(), sur.clone()).unwrap();
    let report = device.pull_reference_data().await.unwrap();
    assert!(!report.reset, "an incremental pull: {report:?}");
    assert_eq!(
        device_price(&device, LAMP),
        server_price(&sur, LAMP).await,
        "after {report:?}"
    );
    assert!(device_price(&device, LAMP).unwrap() > discounted);
    draft_is_ordered(&device, &server.account(1), LAMP).await;
}

#[tokio::test]
async fn a_product_entering_and_leaving_a_customers_assortment_reaches_its_devices() {
    use tradeport_domain::catalog::{Assortment, AssortmentScope};

    let server = TestServer::start(|_| {}).unwrap();
    let (sur, _) = enrolled(&server, "buyer@sur.example").await;
    let (nordlicht, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let account = server.account(1);
    // Tools are outside Sur's (standard tier) range.
    let tool = tradeport_server::demo::catalog()
        .products
        .iter()
        .find(|p| p.listed() && p.category_id.starts_with("cat-to"))
        .unwrap()
        .sku
        .clone();
    let (device, _d) = pulled_device(&sur).await;
    let (other, _o) = pulled_device(&nordlicht).await;
    assert_eq!(device_price(&device, &tool), None);
    assert_eq!(server_price(&sur, &tool).await, None);

    // No RPC edits assortments yet: the catalog manager's use case does.
    let catalog = std::sync::Arc::clone(server.catalog());
    let tools = Assortment {
        id: "sur-tools".into(),
        name: "Tools for Sur".into(),
        scope: AssortmentScope::Account(account.clone()),
        categories: vec![],
        skus: vec![tool.clone()],
    };
    let writer = std::sync::Arc::clone(&catalog);
    tokio::task::spawn_blocking(move || writer.put_assortment(tools))
        .await
        .unwrap()
        .unwrap();
    pulled_and_true(&device, &sur, &tool).await;
    assert!(device_price(&device, &tool).is_some());
    // Another customer's assortment: its device is not started over.
    let others = other.pull_reference_data().await.unwrap();
    assert!(!others.reset && others.changes == 0, "{others:?}");
    draft_is_ordered(&device, &account, &tool).await;

    tokio::task::spawn_blocking(move || catalog.remove_assortment("sur-tools"))
        .await
        .unwrap()
        .unwrap();
    pulled_and_true(&device, &sur, &tool).await;
    assert_eq!(device_price(&device, &tool), None);
}
