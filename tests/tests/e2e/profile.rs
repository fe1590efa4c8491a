//! The profile centre and personal data: update masks, who edits what,
//! exporting one's data, erasing a user.

use tonic::Code;
use tradeport_mobile::SoftwarePasskey;
use tradeport_proto::identity as pb;
use tradeport_tests::people::{assert_cannot_sign_in, enrolled};
use tradeport_tests::{TestServer, bad_fields};

fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_string()).collect(),
    })
}

#[tokio::test]
async fn admins_update_masked_fields_and_others_are_refused() {
    let server = TestServer::start(|_| {}).unwrap();
    let (admin, _) = enrolled(&server, "admin@nordlicht.example").await;
    let mut raw = admin.identity().raw();
    let before = raw
        .get_account_profile(pb::GetAccountProfileRequest::default())
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    assert_eq!(before.legal_name, "Nordlicht Elektro GmbH");
    let proposed = pb::AccountProfile {
        contacts: vec![pb::Contact {
            name: "Should not land".into(),
            email: "x@y.example".into(),
            ..Default::default()
        }],
        ship_to_addresses: vec![pb::ShipToAddress {
            label: "Hamburg warehouse".into(),
            address: Some(pb::Address {
                line1: "Hafenstrasse 5".into(),
                city: "Hamburg".into(),
                country_code: "DE".into(),
                ..Default::default()
            }),
            ..Default::default()
        }],
        invoicing: Some(pb::InvoicingDetails {
            e_invoice_address: "0204:991-12345-67".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let after = raw
        .update_account_profile(pb::UpdateAccountProfileRequest {
            profile: Some(proposed.clone()),
            update_mask: mask(&["ship_to_addresses", "invoicing.e_invoice_address"]),
        })
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    assert_eq!(after.ship_to_addresses.len(), 1);
    assert!(
        after.ship_to_addresses[0].id.starts_with("shp_"),
        "new addresses get ids"
    );
    assert_eq!(
        after.invoicing.as_ref().unwrap().e_invoice_address,
        "0204:991-12345-67"
    );
    assert_eq!(
        after.invoicing.as_ref().unwrap().invoice_title,
        before.invoicing.unwrap().invoice_title,
        "not masked"
    );
    assert_eq!(after.contacts, before.contacts, "not masked");

    let read_only = raw
        .update_account_profile(pb::UpdateAccountProfileRequest {
            profile: Some(proposed.clone()),
            update_mask: mask(&["tier"]),
        })
        .await
        .unwrap_err();
    assert_eq!(read_only.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&read_only), ["update_mask.paths[0]"]);
    let no_mask = raw
        .update_account_profile(pb::UpdateAccountProfileRequest {
            profile: Some(proposed.clone()),
            update_mask: None,
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&no_mask), ["update_mask"]);
    let bad_country = raw
        .update_account_profile(pb::UpdateAccountProfileRequest {
            profile: Some(pb::AccountProfile {
                billing_address: Some(pb::Address {
                    line1: "a".into(),
                    city: "b".into(),
                    country_code: "Germany".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            update_mask: mask(&["billing_address"]),
        })
        .await
        .unwrap_err();
    assert_eq!(
        bad_fields(&bad_country),
        ["profile.billing_address.country_code"]
    );

    let (buyer, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let refused = buyer
        .identity()
        .raw()
        .update_account_profile(pb::UpdateAccountProfileRequest {
            profile: Some(proposed),
            update_mask: mask(&["contacts"]),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    // Everyone in the account may read it.
    buyer
        .identity()
        .raw()
        .get_account_profile(pb::GetAccountProfileRequest::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_user_exports_their_data_without_key_material() {
    let server = TestServer::start(|_| {}).unwrap();
    let (buyer, _) = enrolled(&server, "buyer@sur.example").await;
    let json = buyer
        .identity()
        .raw()
        .export_my_data(pb::ExportMyDataRequest {})
        .await
        .unwrap()
        .into_inner()
        .data_json;
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["user"]["email"], "buyer@sur.example");
    assert_eq!(doc["passkeys"].as_array().unwrap().len(), 1);
    assert_eq!(doc["devices"].as_array().unwrap().len(), 1);
    let actions: Vec<_> = doc["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert!(
        actions.contains(&"passkey.enrolled".to_string()),
        "{actions:?}"
    );
    for secret in ["tpa_", "tpr_", "public_key", "cred_id", "\"key\""] {
        assert!(!json.contains(secret), "{secret} in the export");
    }
    // An API key is no person.
    let status = server
        .client()
        .identity()
        .raw()
        .export_my_data(pb::ExportMyDataRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn an_admin_erases_a_user_who_can_never_sign_in_again() {
    let server = TestServer::start(|_| {}).unwrap();
    let (admin, _) = enrolled(&server, "admin@sur.example").await;
    let email = "approver@sur.example";
    let (approver, mut passkey) = enrolled(&server, email).await;
    let user_id = approver.tokens().unwrap().user_id;
    let erased = admin
        .identity()
        .raw()
        .erase_user(pb::EraseUserRequest {
            user_id: user_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(
        erased.id, user_id,
        "the id stays, for the account's records"
    );
    assert!(!erased.email.contains("approver"));
    assert_eq!(erased.display_name, "Erased user");
    assert_eq!(
        approver.identity().get_caller().await.unwrap_err().code(),
        Code::Unauthenticated
    );
    // By name an erased user is no user: the challenge lists no passkey of
    // theirs. Usernameless, the server refuses the passkey.
    assert_cannot_sign_in(&server, &mut passkey, email).await;
    // The email is free for a new user.
    admin
        .identity()
        .raw()
        .create_invitation(pb::CreateInvitationRequest {
            email: email.into(),
            display_name: "New approver".into(),
            roles: vec![pb::Role::Approver as i32],
            ..Default::default()
        })
        .await
        .unwrap();
    // Erased users are still listed, anonymised.
    let users = admin
        .identity()
        .raw()
        .list_users(pb::ListUsersRequest::default())
        .await
        .unwrap()
        .into_inner()
        .users;
    assert!(
        users
            .iter()
            .any(|u| u.id == user_id && u.display_name == "Erased user")
    );
    let _ = SoftwarePasskey::new();
}
