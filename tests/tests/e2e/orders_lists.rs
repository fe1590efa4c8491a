//! Listing orders: newest first and paged, for an account, for a rep's
//! accounts and for the brand, filtered by status and PO number; and the
//! demo's year of order history in every state.

use tradeport_mobile::Client;
use tradeport_proto::orders::{ListOrdersRequest, OrderStatus, SubmitOrderRequest};
use tradeport_tests::TestServer;
use tradeport_tests::clients::orders;
use tradeport_tests::orders::{line, submit};
use tradeport_tests::people::enrolled;

#[tokio::test]
async fn the_demo_has_a_year_of_orders_in_every_state() {
    let server = TestServer::start(|c| c.demo_order_history = true).unwrap();
    let buyer = server.client();
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = orders(&buyer)
            .list_orders(ListOrdersRequest {
                page_size: 50,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        all.extend(page.orders);
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(all.len(), 62, "five a month for a year, and two more");
    let seconds: Vec<i64> = all.iter().map(|o| o.placed_time.unwrap().seconds).collect();
    assert!(seconds.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let span_days = (seconds[0] - seconds[seconds.len() - 1]) / 86_400;
    assert!(span_days >= 330, "a year of history, got {span_days} days");
    let has = |status: OrderStatus| all.iter().any(|o| o.status == status as i32);
    for status in [
        OrderStatus::Closed,
        OrderStatus::Invoiced,
        OrderStatus::Shipped,
        OrderStatus::Confirmed,
        OrderStatus::PendingApproval,
        OrderStatus::OnCreditHold,
    ] {
        assert!(has(status), "{status:?}");
    }
    assert!(
        all.iter().flat_map(|o| &o.shipments).any(|s| s.late),
        "a shipment in transit is late"
    );
    let closed = orders(&buyer)
        .list_orders(ListOrdersRequest {
            statuses: vec![OrderStatus::Closed as i32],
            page_size: 200,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .orders;
    assert!(
        closed
            .iter()
            .all(|o| o.status == OrderStatus::Closed as i32)
    );
    assert!(!closed.is_empty() && closed.len() < all.len());
}

#[tokio::test]
async fn lists_page_newest_first_for_an_account_a_reps_accounts_and_the_brand() {
    let server = TestServer::start(|_| {}).unwrap();
    let buyer = server.client();
    let mut placed = Vec::new();
    for po in ["PO-A", "PO-B", "PO-C"] {
        placed.push(
            submit(
                &buyer,
                SubmitOrderRequest {
                    lines: vec![line("TP-EL-00007", "1")],
                    po_number: po.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id,
        );
    }
    let (other, _) = enrolled(&server, "admin@sur.example").await;
    let elsewhere = submit(
        &other,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "1")],
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let page = |client: Client, token: String, po: &'static str| async move {
        orders(&client)
            .list_orders(ListOrdersRequest {
                page_size: 2,
                page_token: token,
                po_number: po.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    };
    // The rep, assigned the first account only, lists across theirs.
    let (rep, _) = enrolled(&server, "rep@tradeport.example").await;
    let first = page(rep.clone(), String::new(), "").await;
    let second = page(rep.clone(), first.next_page_token.clone(), "").await;
    let ids: Vec<String> = first
        .orders
        .iter()
        .chain(&second.orders)
        .map(|o| o.id.clone())
        .collect();
    placed.reverse();
    assert_eq!(ids, placed, "newest first, no overlap, nothing of B");
    assert!(second.next_page_token.is_empty());
    // Brand staff see every account.
    let (brand, _) = enrolled(&server, "admin@tradeport.example").await;
    let all = page(brand.clone(), String::new(), "").await;
    assert_eq!(all.orders[0].id, elsewhere);
    let by_po = page(brand, String::new(), "PO-B").await;
    assert_eq!(by_po.orders.len(), 1);
    assert_eq!(by_po.orders[0].po_number, "PO-B");
}
