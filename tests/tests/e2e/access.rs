//! Tenant isolation and the role matrix, checked over the whole API.
//!
//! Every RPC of every Tradeport service must appear in `ACCESS`, saying how
//! it is guarded: a new RPC without an entry fails
//! `every_rpc_is_in_the_access_table`, and every entry that takes an
//! account-scoped id is probed with another account's id.

use std::collections::BTreeSet;

use prost::Message;
use tonic::Code;
use tradeport_mobile::Client;
use tradeport_proto::identity as pb;
use tradeport_proto::orders::{self, order_service_client::OrderServiceClient};
use tradeport_proto::sync::{self, sync_service_client::SyncServiceClient};
use tradeport_tests::TestServer;

use crate::passkeys::{enrolled, new_api_key};

/// How an RPC is guarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// Served without credentials.
    Open,
    /// Needs a principal; acts on the caller's own records only.
    Caller,
    /// Takes an account (or an id within one): probed across accounts.
    AccountScoped,
    /// Brand staff only (brand-level resources).
    Brand,
    /// Needs a role, names no account-scoped resource (the role matrix and
    /// the stock tests cover it).
    Role,
}

const ACCESS: &[(&str, Guard)] = &[
    (
        "tradeport.sync.v1.SyncService/SyncDocuments",
        Guard::AccountScoped,
    ),
    (
        "tradeport.sync.v1.SyncService/SyncRound",
        Guard::AccountScoped,
    ),
    (
        "tradeport.sync.v1.SyncService/WatchDocuments",
        Guard::Caller,
    ),
    ("tradeport.sync.v1.SyncService/ListDocuments", Guard::Caller),
    (
        "tradeport.sync.v1.SyncService/PullReferenceData",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/ListCategories",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/SearchProducts",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/GetProduct",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/PriceCart",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/QuickOrder",
        Guard::Caller,
    ),
    (
        "tradeport.orders.v1.OrderService/SubmitOrder",
        Guard::Caller,
    ),
    (
        "tradeport.orders.v1.OrderService/GetOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ListOrders",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ApproveOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/RejectOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/CancelOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ReleaseCreditHold",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/RecordShipment",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/AddTrackingEvent",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/InvoiceOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/CloseOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/CreateReturn",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ResolveReturn",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/ReorderOrder",
        Guard::AccountScoped,
    ),
    (
        "tradeport.orders.v1.OrderService/GetOrderTemplate",
        Guard::Caller,
    ),
    (
        "tradeport.orders.v1.OrderService/WatchOrders",
        Guard::Caller,
    ),
    (
        "tradeport.orders.v1.OrderService/ListNotifications",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogBulkService/ImportData",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogBulkService/ExportData",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogBulkService/GetImportTemplate",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogService/CreateProduct",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogService/UpdateProduct",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogService/GetStock",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/WatchStock",
        Guard::Caller,
    ),
    (
        "tradeport.catalog.v1.CatalogService/UpdateStockLevels",
        Guard::Role,
    ),
    (
        "tradeport.catalog.v1.CatalogService/ListStockAlerts",
        Guard::Role,
    ),
    (
        "tradeport.identity.v1.IdentityService/ApplyForAccount",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListApplications",
        Guard::Role,
    ),
    (
        "tradeport.identity.v1.IdentityService/ApproveApplication",
        Guard::Brand,
    ),
    (
        "tradeport.identity.v1.IdentityService/RejectApplication",
        Guard::Brand,
    ),
    (
        "tradeport.identity.v1.IdentityService/StartEnrolment",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/FinishEnrolment",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/StartLogin",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/FinishLogin",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/RefreshSession",
        Guard::Open,
    ),
    (
        "tradeport.identity.v1.IdentityService/Logout",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListDevices",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/RevokeDevice",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/StartAddPasskey",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/FinishAddPasskey",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListPasskeys",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/RemovePasskey",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/GetCaller",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/CreateOrgUnit",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListOrgUnits",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/CreateInvitation",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListUsers",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/SetUserRoles",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/DisableUser",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/CreateApiKey",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListApiKeys",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/RevokeApiKey",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ListAuditEvents",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/SetRepAssignments",
        Guard::Brand,
    ),
    (
        "tradeport.identity.v1.IdentityService/GetAccountProfile",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/UpdateAccountProfile",
        Guard::AccountScoped,
    ),
    (
        "tradeport.identity.v1.IdentityService/ExportMyData",
        Guard::Caller,
    ),
    (
        "tradeport.identity.v1.IdentityService/EraseUser",
        Guard::AccountScoped,
    ),
];

#[test]
fn every_rpc_is_in_the_access_table() {
    let set = prost_types::FileDescriptorSet::decode(tradeport_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut rpcs = BTreeSet::new();
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                rpcs.insert(format!(
                    "{}.{}/{}",
                    file.package(),
                    service.name(),
                    method.name()
                ));
            }
        }
    }
    let listed: BTreeSet<String> = ACCESS.iter().map(|(rpc, _)| (*rpc).to_string()).collect();
    let missing: Vec<_> = rpcs.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&rpcs).collect();
    assert!(
        missing.is_empty(),
        "RPCs without an access rule (and a probe): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "access rules for RPCs that no longer exist: {stale:?}"
    );
    for (rpc, guard) in ACCESS {
        let open = tradeport_server::auth::is_open(&format!("/{rpc}"));
        assert_eq!(
            open,
            *guard == Guard::Open,
            "{rpc}: the auth layer and the table disagree"
        );
    }
}

/// Ids that exist in account B (the second demo account), to ask for as A.
struct AccountB {
    account: String,
    /// A pending application and the sales rep: brand-level resources.
    application: String,
    rep: String,
    user: String,
    device: String,
    passkey: String,
    api_key: String,
    /// An order account B's admin placed.
    order: String,
    /// An order draft of account B, synced to the server by its admin.
    draft: String,
}

/// Account B's ids, and the signed-in rep (assigned account A only).
async fn account_b(server: &TestServer) -> (AccountB, Client) {
    let (admin_b, _) = enrolled(server, "admin@sur.example").await;
    let tokens = admin_b.tokens().unwrap();
    let raw = admin_b.identity().raw();
    let passkey = admin_b
        .identity()
        .list_passkeys()
        .await
        .unwrap()
        .remove(0)
        .id;
    let api_key = raw
        .clone()
        .create_api_key(pb::CreateApiKeyRequest {
            name: "B's ERP".into(),
            roles: vec![pb::Role::Viewer as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .api_key
        .unwrap()
        .id;
    let application = server
        .anonymous_client()
        .identity()
        .raw()
        .apply_for_account(pb::ApplyForAccountRequest {
            application: Some(pb::Application {
                legal_name: "Pending Co".into(),
                tax_id: "X1".into(),
                admin_email: "p@pending.example".into(),
                admin_name: "P".into(),
                billing_address: Some(pb::Address {
                    country_code: "FR".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
        .id;
    let order = placed_order(&admin_b).await;
    let mut draft = tradeport_sync::OrderDraft::new(&server.account(1)).unwrap();
    let draft_id = draft.draft_id().unwrap();
    let created = SyncServiceClient::new(admin_b.authorized_channel())
        .sync_round(sync::SyncRoundRequest {
            peer_id: "b-phone".into(),
            messages: vec![sync::DocumentMessage {
                document_id: draft_id.clone(),
                document: draft.save(),
                ..Default::default()
            }],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        created.messages[0].problem, None,
        "account B's draft is stored"
    );
    let (rep_client, _) = enrolled(server, "rep@tradeport.example").await;
    let rep = rep_client.tokens().unwrap().user_id;
    let b = AccountB {
        application,
        rep,
        account: server.account(1),
        user: tokens.user_id,
        device: tokens.device_id,
        passkey,
        api_key,
        order,
        draft: draft_id,
    };
    (b, rep_client)
}

/// The id of a one-line order `client` places.
pub(crate) async fn placed_order(client: &Client) -> String {
    orders_of(client)
        .submit_order(orders::SubmitOrderRequest {
            lines: vec![orders::OrderLineInput {
                sku: "TP-EL-00007".into(),
                quantity: "1".into(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap()
        .id
}

fn orders_of(client: &Client) -> OrderServiceClient<tradeport_mobile::AuthorizedChannel> {
    OrderServiceClient::new(client.authorized_channel())
}

/// A sync answer's verdict on its one document, as a call's result.
fn document_problem(messages: Vec<sync::DocumentMessage>) -> Result<(), tonic::Status> {
    match messages.first().and_then(|m| m.problem.as_ref()) {
        Some(problem) => Err(tonic::Status::new(
            Code::from(problem.code),
            problem.message.clone(),
        )),
        None => Ok(()),
    }
}

/// Calls `rpc` as `client` with account B's ids; returns the status code.
async fn probe(client: &Client, rpc: &str, b: &AccountB) -> Code {
    let mut raw = client.identity().raw();
    let name = rpc.rsplit('/').next().unwrap_or_default();
    let result = match name {
        "RevokeDevice" => raw
            .revoke_device(pb::RevokeDeviceRequest {
                device_id: b.device.clone(),
            })
            .await
            .map(|_| ()),
        "RemovePasskey" => raw
            .remove_passkey(pb::RemovePasskeyRequest {
                passkey_id: b.passkey.clone(),
            })
            .await
            .map(|_| ()),
        "CreateOrgUnit" => raw
            .create_org_unit(pb::CreateOrgUnitRequest {
                account_id: b.account.clone(),
                name: "x".into(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "ListOrgUnits" => raw
            .list_org_units(pb::ListOrgUnitsRequest {
                account_id: b.account.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "CreateInvitation" => raw
            .create_invitation(pb::CreateInvitationRequest {
                account_id: b.account.clone(),
                email: "new@sur.example".into(),
                display_name: "New".into(),
                roles: vec![pb::Role::Buyer as i32],
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "ListUsers" => raw
            .list_users(pb::ListUsersRequest {
                account_id: b.account.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "SetUserRoles" => raw
            .set_user_roles(pb::SetUserRolesRequest {
                user_id: b.user.clone(),
                roles: vec![pb::Role::Viewer as i32],
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "DisableUser" => raw
            .disable_user(pb::DisableUserRequest {
                user_id: b.user.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "CreateApiKey" => raw
            .create_api_key(pb::CreateApiKeyRequest {
                account_id: b.account.clone(),
                name: "x".into(),
                roles: vec![pb::Role::Viewer as i32],
            })
            .await
            .map(|_| ()),
        "ListApiKeys" => raw
            .list_api_keys(pb::ListApiKeysRequest {
                account_id: b.account.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "RevokeApiKey" => raw
            .revoke_api_key(pb::RevokeApiKeyRequest {
                api_key_id: b.api_key.clone(),
            })
            .await
            .map(|_| ()),
        "ListAuditEvents" => raw
            .list_audit_events(pb::ListAuditEventsRequest {
                account_id: b.account.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "GetAccountProfile" => raw
            .get_account_profile(pb::GetAccountProfileRequest {
                account_id: b.account.clone(),
            })
            .await
            .map(|_| ()),
        "UpdateAccountProfile" => raw
            .update_account_profile(pb::UpdateAccountProfileRequest {
                profile: Some(pb::AccountProfile {
                    account_id: b.account.clone(),
                    invoicing: Some(pb::InvoicingDetails {
                        invoice_title: "Hijacked".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["invoicing.invoice_title".into()],
                }),
            })
            .await
            .map(|_| ()),
        "EraseUser" => raw
            .erase_user(pb::EraseUserRequest {
                user_id: b.user.clone(),
            })
            .await
            .map(|_| ()),
        "ListApplications" => raw
            .list_applications(pb::ListApplicationsRequest::default())
            .await
            .map(|_| ()),
        "ApproveApplication" => raw
            .approve_application(pb::ApproveApplicationRequest {
                application_id: b.application.clone(),
                tier: "gold".into(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "RejectApplication" => raw
            .reject_application(pb::RejectApplicationRequest {
                application_id: b.application.clone(),
                reason: "x".into(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "SetRepAssignments" => raw
            .set_rep_assignments(pb::SetRepAssignmentsRequest {
                user_id: b.rep.clone(),
                account_ids: vec![b.account.clone()],
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "GetOrder" => orders_of(client)
            .get_order(orders::GetOrderRequest {
                id: b.order.clone(),
            })
            .await
            .map(|_| ()),
        "ListOrders" => orders_of(client)
            .list_orders(orders::ListOrdersRequest {
                account_id: b.account.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "ApproveOrder" => orders_of(client)
            .approve_order(orders::ApproveOrderRequest {
                id: b.order.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "RejectOrder" => orders_of(client)
            .reject_order(orders::RejectOrderRequest {
                id: b.order.clone(),
                comment: "no".into(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "CancelOrder" => orders_of(client)
            .cancel_order(orders::CancelOrderRequest {
                id: b.order.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "ReleaseCreditHold" => orders_of(client)
            .release_credit_hold(orders::ReleaseCreditHoldRequest {
                id: b.order.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "RecordShipment" => orders_of(client)
            .record_shipment(orders::RecordShipmentRequest {
                order_id: b.order.clone(),
                lines: vec![orders::LineQuantity {
                    line_number: 1,
                    quantity: "1".into(),
                }],
                carrier: "x".into(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "AddTrackingEvent" => orders_of(client)
            .add_tracking_event(orders::AddTrackingEventRequest {
                order_id: b.order.clone(),
                shipment_id: "shp-x".into(),
                status: orders::TrackingStatus::InTransit as i32,
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "InvoiceOrder" => orders_of(client)
            .invoice_order(orders::InvoiceOrderRequest {
                order_id: b.order.clone(),
                invoice_number: "x".into(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "CloseOrder" => orders_of(client)
            .close_order(orders::CloseOrderRequest {
                order_id: b.order.clone(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "CreateReturn" => orders_of(client)
            .create_return(orders::CreateReturnRequest {
                order_id: b.order.clone(),
                line_number: 1,
                quantity: "1".into(),
                reason: "x".into(),
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "ResolveReturn" => orders_of(client)
            .resolve_return(orders::ResolveReturnRequest {
                order_id: b.order.clone(),
                return_id: "rma-x".into(),
                resolution: orders::ReturnResolution::Refund as i32,
                ..Default::default()
            })
            .await
            .map(|_| ()),
        "ReorderOrder" => orders_of(client)
            .reorder_order(orders::ReorderOrderRequest {
                order_id: b.order.clone(),
            })
            .await
            .map(|_| ()),
        "SyncRound" => SyncServiceClient::new(client.authorized_channel())
            .sync_round(sync::SyncRoundRequest {
                peer_id: "probe".into(),
                messages: vec![sync::DocumentMessage {
                    document_id: b.draft.clone(),
                    ..Default::default()
                }],
            })
            .await
            .map(|r| r.into_inner().messages)
            .and_then(document_problem),
        "SyncDocuments" => {
            let round = sync::SyncDocumentsRequest {
                peer_id: "probe".into(),
                round: 1,
                messages: vec![sync::DocumentMessage {
                    document_id: b.draft.clone(),
                    ..Default::default()
                }],
            };
            match SyncServiceClient::new(client.authorized_channel())
                .sync_documents(tokio_stream::iter([round]))
                .await
            {
                Ok(answers) => {
                    let mut answers = answers.into_inner();
                    match answers.message().await {
                        Ok(Some(answer)) => document_problem(answer.messages),
                        Ok(None) => Err(tonic::Status::unknown("the stream ended unanswered")),
                        Err(status) => Err(status),
                    }
                }
                Err(status) => Err(status),
            }
        }
        other => panic!("no cross-account probe for {other}: add one"),
    };
    match result {
        Ok(()) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test]
async fn another_accounts_ids_answer_not_found_for_customers_and_unassigned_reps() {
    let server = TestServer::start(|_| {}).unwrap();
    let (b, rep) = account_b(&server).await;
    // Account A's admin holds every customer permission, so NOT_FOUND can
    // only come from isolation, never from a missing role.
    let (admin_a, _) = enrolled(&server, "admin@nordlicht.example").await;
    // `rep` is assigned account A only.
    for (rpc, guard) in ACCESS {
        match guard {
            Guard::AccountScoped => {
                assert_eq!(
                    probe(&admin_a, rpc, &b).await,
                    Code::NotFound,
                    "{rpc} as account A's admin"
                );
                assert_eq!(
                    probe(&rep, rpc, &b).await,
                    Code::NotFound,
                    "{rpc} as a rep not assigned to B"
                );
            }
            // Brand resources do not exist for customers.
            Guard::Brand => assert_eq!(
                probe(&admin_a, rpc, &b).await,
                Code::NotFound,
                "{rpc} as a customer"
            ),
            Guard::Open | Guard::Caller | Guard::Role => {}
        }
    }
}

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

/// Invites `email` with `role` as `admin` and signs the new user in.
async fn user_with_role(
    server: &TestServer,
    admin: &Client,
    email: &str,
    role: pb::Role,
) -> Client {
    let code = admin
        .identity()
        .raw()
        .create_invitation(pb::CreateInvitationRequest {
            email: email.into(),
            display_name: email.into(),
            roles: vec![role as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .invitation_code;
    let client = server.anonymous_client();
    client
        .identity()
        .enrol(
            &mut tradeport_mobile::SoftwarePasskey::new(),
            &crate::passkeys::origin(),
            &code,
            "k",
            "d",
        )
        .await
        .unwrap();
    client
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
        clients.push((
            name,
            user_with_role(&server, &account_admin, &email, role).await,
        ));
    }
    clients.push(("brand_admin", brand_admin.clone()));
    clients.push(("sales_rep", rep));
    for (name, role) in [
        ("brand_finance", pb::Role::BrandFinance),
        ("catalog_manager", pb::Role::CatalogManager),
    ] {
        let email = format!("{name}@tradeport.example");
        clients.push((
            name,
            user_with_role(&server, &brand_admin, &email, role).await,
        ));
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
