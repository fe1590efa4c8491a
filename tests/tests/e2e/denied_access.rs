//! Denied attempts: a rep acting for an account not assigned to them, or
//! one account naming another's order, is answered exactly as if it did
//! not exist — and the attempt lands in the brand's security trail, at
//! most ten a minute per caller, where the caller cannot read it.

use std::time::Duration;

use tonic::Code;
use tradeport_mobile::Client;
use tradeport_proto::identity as pb;
use tradeport_proto::orders::GetOrderRequest;
use tradeport_tests::clients::orders;
use tradeport_tests::orders::placed_order;
use tradeport_tests::people::{audit_events, enrolled};
use tradeport_tests::{TestServer, error_reason};

async fn denied_events(reader: &Client) -> Vec<pb::AuditEvent> {
    audit_events(reader, "access.denied").await
}

/// The brand trail's denied attempts, once there are at least `count`
/// (they are written after the answer, off the call's path).
async fn wait_for_denied(brand_admin: &Client, count: usize) -> Vec<pb::AuditEvent> {
    for _ in 0..100 {
        let events = denied_events(brand_admin).await;
        if events.len() >= count {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} denied attempts recorded");
}

/// What a caller learns from a NOT_FOUND: its code, reason and resource
/// type (the message and details otherwise only repeat the id it sent).
fn answer(status: &tonic::Status, id: &str) -> (Code, String, String) {
    (
        status.code(),
        error_reason(status),
        status.message().replace(id, "<id>"),
    )
}

fn get_order(client: &Client, id: &str) -> impl Future<Output = tonic::Status> {
    let mut client = orders(client);
    let request = GetOrderRequest { id: id.into() };
    async move { client.get_order(request).await.unwrap_err() }
}

#[tokio::test]
async fn denied_attempts_answer_as_missing_and_are_recorded_for_the_brand() {
    let server = TestServer::start(|_| {}).unwrap();
    let (brand_admin, _) = enrolled(&server, "admin@tradeport.example").await;
    let (rep, _) = enrolled(&server, "rep@tradeport.example").await;
    let rep_id = rep.tokens().unwrap().user_id;
    let (admin_b, _) = enrolled(&server, "admin@sur.example").await;
    let order_b = placed_order(&admin_b).await;

    // The rep is assigned account A only: B and a made-up account look the same.
    let b = server.account(1);
    let for_b = rep.clone().with_on_behalf_of(Some(b.clone()));
    let denied = for_b.identity().get_caller().await.unwrap_err();
    let for_nobody = rep.clone().with_on_behalf_of(Some("acc-nobody".into()));
    let missing = for_nobody.identity().get_caller().await.unwrap_err();
    assert_eq!(answer(&denied, &b), answer(&missing, "acc-nobody"));
    assert_eq!(denied.code(), Code::NotFound);

    // Account A's admin names B's order, and an order nobody has.
    let (admin_a, _) = enrolled(&server, "admin@nordlicht.example").await;
    let admin_a_id = admin_a.tokens().unwrap().user_id;
    let denied = get_order(&admin_a, &order_b).await;
    let missing = get_order(&admin_a, "SO-1999-000001").await;
    assert_eq!(
        answer(&denied, &order_b),
        answer(&missing, "SO-1999-000001")
    );

    let events = wait_for_denied(&brand_admin, 2).await;
    assert_eq!(events.len(), 2, "only what exists is a denied attempt");
    let rep_event = events.iter().find(|e| e.actor_id == rep_id).unwrap();
    assert_eq!(rep_event.target_id, b);
    assert_eq!(rep_event.details["resource"], "account");
    assert!(rep_event.details["rpc"].ends_with("/GetCaller"));
    assert!(!rep_event.success);
    assert!(!rep_event.source.is_empty());
    let a_event = events.iter().find(|e| e.actor_id == admin_a_id).unwrap();
    assert_eq!(a_event.target_id, order_b);
    assert_eq!(a_event.details["resource"], "order");
    assert_eq!(a_event.details["caller_account"], server.account(0));
    assert!(a_event.details["rpc"].ends_with("/GetOrder"));
    assert_eq!(a_event.account_id, "", "in the brand's trail");

    // The callers themselves see nothing of it in their own trails.
    assert!(denied_events(&admin_a).await.is_empty());

    // A scan of ids is recorded ten times a minute, not once per id.
    for _ in 0..20 {
        get_order(&admin_a, &order_b).await;
    }
    let events = wait_for_denied(&brand_admin, 11).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let by_a = denied_events(&brand_admin)
        .await
        .iter()
        .filter(|e| e.actor_id == admin_a_id)
        .count();
    assert_eq!(by_a, 10, "{} events in all", events.len());
}
