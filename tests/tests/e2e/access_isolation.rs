//! Tenant isolation over the whole API: every RPC the access table calls
//! account-scoped is called by another account's admin, and by a rep not
//! assigned to that account, with that account's ids; each must answer
//! NOT_FOUND, exactly as for ids nobody has.

use tonic::Code;
use tradeport_mobile::Client;
use tradeport_proto::identity as pb;
use tradeport_proto::orders;
use tradeport_proto::sync;
use tradeport_tests::TestServer;
use tradeport_tests::clients::{orders as orders_of, sync as sync_of};
use tradeport_tests::orders::placed_order;
use tradeport_tests::people::enrolled;

use crate::access::{ACCESS, Guard};

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
    let created = sync_of(&admin_b)
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
        "SyncRound" => sync_of(client)
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
            match sync_of(client)
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
