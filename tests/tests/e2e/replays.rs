//! Replays answer with what happened: a request id is looked up before the
//! request is read again, and belongs to the principal and the account it
//! acted for — a rep's request id used for one account never answers for
//! another, nor for an account the rep no longer sees.

use std::sync::OnceLock;

use tonic::Code;
use tradeport_mobile::Client;
use tradeport_proto::catalog::{GetProductRequest, ProductStatus, UpdateProductRequest};
use tradeport_proto::identity as pb;
use tradeport_proto::orders::SubmitOrderRequest;
use tradeport_tests::TestServer;
use tradeport_tests::clients::catalog;
use tradeport_tests::orders::{line, submit};
use tradeport_tests::people::{brand_api_keys, enrolled};

/// This module's server: it discontinues products.
fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| TestServer::start(|_| {}).unwrap())
}

/// API keys of the demo brand admin's making, one a role, made once (the
/// admin's enrolment code is one-time).
fn brand_key(role: pb::Role) -> Client {
    const ROLES: [pb::Role; 2] = [pb::Role::CatalogManager, pb::Role::BrandAdmin];
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| brand_api_keys(server(), "replay tests", &ROLES));
    let key = &keys[ROLES.iter().position(|r| *r == role).unwrap()];
    server().anonymous_client().with_bearer(key.clone())
}

/// Discontinues the demo product `id` as a catalog manager would.
async fn discontinue(id: &str) {
    let manager = brand_key(pb::Role::CatalogManager);
    let mut catalog = catalog(&manager);
    let mut product = catalog
        .get_product(GetProductRequest { id: id.into() })
        .await
        .unwrap()
        .into_inner()
        .product
        .unwrap();
    product.status = ProductStatus::Discontinued as i32;
    catalog
        .update_product(UpdateProductRequest {
            product: Some(product),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["status".into()],
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_replay_after_the_product_is_discontinued_returns_the_order() {
    let buyer = server().client();
    let by_lines = SubmitOrderRequest {
        request_id: "replay-discontinued-lines".into(),
        lines: vec![line("TP-EL-00021", "2")],
        ..Default::default()
    };
    let pasted = SubmitOrderRequest {
        request_id: "replay-discontinued-text".into(),
        lines_text: "TP-EL-00021,3".into(),
        ..Default::default()
    };
    let first_by_lines = submit(&buyer, by_lines.clone()).await.unwrap();
    let first_pasted = submit(&buyer, pasted.clone()).await.unwrap();
    discontinue("prd-000021").await;

    // A new order for it is refused...
    let refused = submit(
        &buyer,
        SubmitOrderRequest {
            lines: vec![line("TP-EL-00021", "2")],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    // ...but the outbox replaying what was placed hears that it was.
    assert_eq!(submit(&buyer, by_lines).await.unwrap(), first_by_lines);
    assert_eq!(submit(&buyer, pasted).await.unwrap(), first_pasted);
}

#[tokio::test]
async fn a_reps_request_id_answers_only_for_the_account_it_was_used_for() {
    let server = server();
    let (a, c) = (server.account(0), server.account(1));
    let admin = brand_key(pb::Role::BrandAdmin);
    let (rep, _) = enrolled(server, "rep@tradeport.example").await;
    let rep_id = rep.identity().get_caller().await.unwrap().user_id;
    let assign = |accounts: Vec<String>| pb::SetRepAssignmentsRequest {
        user_id: rep_id.clone(),
        account_ids: accounts,
        territories: vec![],
        request_id: String::new(),
    };
    let mut raw = admin.identity().raw();
    raw.set_rep_assignments(assign(vec![a.clone(), c.clone()]))
        .await
        .unwrap();
    let request = SubmitOrderRequest {
        request_id: "rep-replay-R".into(),
        lines: vec![line("TP-EL-00022", "1")],
        ..Default::default()
    };
    let for_a = rep.clone().with_on_behalf_of(Some(a.clone()));
    let for_c = rep.clone().with_on_behalf_of(Some(c.clone()));
    let x = submit(&for_a, request.clone()).await.unwrap();
    assert_eq!(x.account_id, a);

    // The same request id for another account is another request.
    let y = submit(&for_c, request.clone()).await.unwrap();
    assert_eq!(y.account_id, c);
    assert_ne!(y.id, x.id);
    assert_eq!(submit(&for_c, request.clone()).await.unwrap().id, y.id);

    // Access lost is not given back by a replay.
    raw.set_rep_assignments(assign(vec![c.clone()]))
        .await
        .unwrap();
    let lost = submit(&for_a, request.clone()).await.unwrap_err();
    assert_eq!(lost.code(), Code::NotFound);
    let again = submit(&for_c, request).await.unwrap();
    assert_eq!((again.id, again.account_id), (y.id, c));
}
