//! The role matrix: each role, customer and brand, against each protected
//! action, written out here rather than read from the server's table so a
//! change to either one shows; and a rep acting for assigned accounts
//! only, every such call audited.

use tonic::Code;
use tradeport_mobile::Client;
use tradeport_proto::identity as pb;
use tradeport_tests::TestServer;
use tradeport_tests::people::{enrolled, invited, new_api_key};

#[tokio::test]
async fn a_rep_acts_for_assigned_accounts_only_and_every_such_call_is_audited() {
    let server = TestServer::start(|_| {}).unwrap();
    let (rep, _) = enrolled(&server, "rep@tradeport.example").await;
    let assigned = server.account(0);
    let for_a = rep.clone().with_on_behalf_of(Some(assigned.clone()));
    let me = for_a.identity().get_caller().await.unwrap();
    assert_eq!(me.on_behalf_of_account_id, assigned);
    let users = for_a
        .identity()
        .raw()
        .list_users(pb::ListUsersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .users;
    assert!(users.iter().all(|u| u.account_id == assigned) && !users.is_empty());

    let for_b = rep.clone().with_on_behalf_of(Some(server.account(1)));
    assert_eq!(
        for_b.identity().get_caller().await.unwrap_err().code(),
        Code::NotFound
    );

    let (admin_a, _) = enrolled(&server, "admin@nordlicht.example").await;
    let events = admin_a
        .identity()
        .raw()
        .list_audit_events(pb::ListAuditEventsRequest {
            actions: vec!["call.on_behalf_of".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(events.len(), 2, "GetCaller and ListUsers on A's behalf");
    assert!(
        events
            .iter()
            .all(|e| e.actor_id == me.user_id && e.on_behalf_of_account_id == assigned)
    );
    assert!(events.iter().any(|e| {
        e.details
            .get("rpc")
            .is_some_and(|r| r.ends_with("/ListUsers"))
    }));
}

/// What each role may do, written out here on purpose rather than read from
/// the server's table, so a change to either one shows up.
const MATRIX: &[(&str, [bool; 7])] = &[
    //                 search listApps listUsers invite listKeys audit passkeys
    ("account_admin", [true, false, true, true, true, true, true]),
    ("buyer", [true, false, false, false, false, false, true]),
    ("approver", [true, false, false, false, false, false, true]),
    ("finance", [true, false, false, false, false, false, true]),
    ("viewer", [true, false, false, false, false, false, true]),
    ("brand_admin", [true, true, true, true, true, true, true]),
    ("sales_rep", [true, false, true, false, false, false, true]),
    (
        "brand_finance",
        [true, false, false, false, false, false, true],
    ),
    (
        "catalog_manager",
        [true, false, false, false, false, false, true],
    ),
    (
        "integration",
        [true, false, false, false, false, false, false],
    ),
];

async fn try_actions(client: &Client, n: usize, invite_role: pb::Role) -> [Result<(), Code>; 7] {
    let mut raw = client.identity().raw();
    let code = |r: Result<(), tonic::Status>| r.map_err(|s| s.code());
    [
        code(
            client
                .catalog()
                .search_products(tradeport_proto::catalog::SearchProductsRequest::default())
                .await
                .map(|_| ()),
        ),
        code(
            raw.list_applications(pb::ListApplicationsRequest::default())
                .await
                .map(|_| ()),
        ),
        code(
            raw.list_users(pb::ListUsersRequest::default())
                .await
                .map(|_| ()),
        ),
        code(
            raw.create_invitation(pb::CreateInvitationRequest {
                email: format!("matrix{n}@invited.example"),
                display_name: "Invited".into(),
                roles: vec![invite_role as i32],
                ..Default::default()
            })
            .await
            .map(|_| ()),
        ),
        code(
            raw.list_api_keys(pb::ListApiKeysRequest::default())
                .await
                .map(|_| ()),
        ),
        code(
            raw.list_audit_events(pb::ListAuditEventsRequest::default())
                .await
                .map(|_| ()),
        ),
        code(
            raw.list_passkeys(pb::ListPasskeysRequest {})
                .await
                .map(|_| ()),
        ),
    ]
}

#[tokio::test]
async fn each_role_against_each_protected_action() {
    let server = TestServer::start(|_| {}).unwrap();
    let (account_admin, _) = enrolled(&server, "admin@nordlicht.example").await;
    let (brand_admin, _) = enrolled(&server, "admin@tradeport.example").await;
    let (rep, _) = enrolled(&server, "rep@tradeport.example").await;
    let integration_key = new_api_key(&brand_admin, "ERP", pb::Role::Integration)
        .await
        .secret;
    let mut clients = vec![("account_admin", account_admin.clone())];
    for (name, role) in [
        ("buyer", pb::Role::Buyer),
        ("approver", pb::Role::Approver),
        ("finance", pb::Role::Finance),
        ("viewer", pb::Role::Viewer),
    ] {
        let email = format!("{name}.matrix@nordlicht.example");
        clients.push((name, invited(&server, &account_admin, &email, role).await));
    }
    clients.push(("brand_admin", brand_admin.clone()));
    clients.push(("sales_rep", rep));
    for (name, role) in [
        ("brand_finance", pb::Role::BrandFinance),
        ("catalog_manager", pb::Role::CatalogManager),
    ] {
        let email = format!("{name}@tradeport.example");
        clients.push((name, invited(&server, &brand_admin, &email, role).await));
    }
    clients.push((
        "integration",
        server.anonymous_client().with_bearer(integration_key),
    ));

    for (n, (name, client)) in clients.iter().enumerate() {
        let expected = MATRIX.iter().find(|(role, _)| role == name).unwrap().1;
        // Brand staff invite into the brand, so with a brand role.
        let brand = [
            "brand_admin",
            "sales_rep",
            "brand_finance",
            "catalog_manager",
            "integration",
        ]
        .contains(name);
        let invite_role = if brand {
            pb::Role::CatalogManager
        } else {
            pb::Role::Viewer
        };
        let got = try_actions(client, n, invite_role).await;
        for (i, (allowed, result)) in expected.iter().zip(got.iter()).enumerate() {
            match result {
                Ok(()) => assert!(allowed, "{name} may not do action {i}, but did"),
                Err(code) => {
                    assert!(!allowed, "{name} may do action {i}, but got {code:?}");
                    assert!(
                        matches!(code, Code::PermissionDenied | Code::NotFound),
                        "{name} action {i}: refused with {code:?}"
                    );
                }
            }
        }
    }
}
