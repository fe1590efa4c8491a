//! Names, emails and other text people type: control characters, line
//! breaks where there is one line, 100,000-character names and emails
//! carrying mail headers are refused with INVALID_ARGUMENT naming the
//! field, and never reach the store or the audit trail.

use tonic::Code;
use tradeport_mobile::SoftwarePasskey;
use tradeport_proto::identity as pb;
use tradeport_tests::people::{enrolled, origin};
use tradeport_tests::{TestServer, bad_fields, error_reason, status_of};

const ANSI: &str = "\u{1b}[2J\u{1b}[31mroot\u{1b}[0m";

fn refused(status: &tonic::Status, fields: &[&str]) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(bad_fields(status), fields, "{status:?}");
    assert!(
        status.message().len() < 1_000,
        "the answer echoes the input: {} bytes",
        status.message().len()
    );
}

fn application(legal_name: &str, admin_email: &str, admin_name: &str) -> pb::Application {
    pb::Application {
        legal_name: legal_name.into(),
        tax_id: "NL123456789B01".into(),
        admin_email: admin_email.into(),
        admin_name: admin_name.into(),
        billing_address: Some(pb::Address {
            line1: "Kade 1".into(),
            city: "Rotterdam".into(),
            country_code: "NL".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn applications_refuse_control_characters_huge_names_and_header_injection() {
    let server = TestServer::start(|_| {}).unwrap();
    let mut raw = server.anonymous_client().identity().raw();
    let apply = |a: pb::Application| pb::ApplyForAccountRequest {
        application: Some(a),
        request_id: String::new(),
    };
    let huge = "N".repeat(100_000);
    let status = raw
        .apply_for_account(apply(application(
            &huge,
            "greta@groot.example\r\nBcc: everyone@victims.example",
            &format!("Greta{ANSI}"),
        )))
        .await
        .unwrap_err();
    refused(
        &status,
        &[
            "application.legal_name",
            "application.admin_email",
            "application.admin_name",
        ],
    );
    let mut contacts = application("Groot BV", "greta@groot.example", "Greta Groot");
    contacts.contacts = vec![pb::Contact {
        name: "Piet\0".into(),
        email: "piet@groot.example".into(),
        ..Default::default()
    }];
    contacts.billing_address.as_mut().unwrap().line2 = "floor 2\nBcc: x".into();
    let status = raw.apply_for_account(apply(contacts)).await.unwrap_err();
    refused(
        &status,
        &[
            "application.contacts[0].name",
            "application.billing_address.line2",
        ],
    );

    // Nothing of it was stored: the brand admin sees no such application.
    let (admin, _) = enrolled(&server, "admin@tradeport.example").await;
    let listed = admin
        .identity()
        .raw()
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .applications;
    assert!(
        listed
            .iter()
            .all(|a| a.legal_name != "Groot BV" && a.legal_name.len() < 1_000)
    );
}

#[tokio::test]
async fn invitations_and_profiles_refuse_bad_text_and_customers_cannot_list_applications() {
    let server = TestServer::start(|_| {}).unwrap();
    let (admin, _) = enrolled(&server, "admin@nordlicht.example").await;
    let mut raw = admin.identity().raw();
    let invite = |email: &str, name: &str| pb::CreateInvitationRequest {
        email: email.into(),
        display_name: name.into(),
        roles: vec![pb::Role::Buyer as i32],
        ..Default::default()
    };
    let status = raw
        .create_invitation(invite(
            "new@nordlicht.example\r\nBcc: all@victims.example",
            &format!("New{ANSI}"),
        ))
        .await
        .unwrap_err();
    refused(&status, &["email", "display_name"]);
    let status = raw
        .create_invitation(invite("new@nordlicht.example", &"x".repeat(100_000)))
        .await
        .unwrap_err();
    refused(&status, &["display_name"]);

    let status = raw
        .update_account_profile(pb::UpdateAccountProfileRequest {
            profile: Some(pb::AccountProfile {
                contacts: vec![pb::Contact {
                    name: format!("Buyer{ANSI}"),
                    email: "buyer@nordlicht.example\nBcc: x@y.example".into(),
                    ..Default::default()
                }],
                ship_to_addresses: vec![pb::ShipToAddress {
                    label: "Hamburg\u{202E}".into(),
                    address: Some(pb::Address {
                        line1: "Hafenstrasse 5".into(),
                        city: "Hamburg".into(),
                        country_code: "DE".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["contacts".into(), "ship_to_addresses".into()],
            }),
        })
        .await
        .unwrap_err();
    refused(
        &status,
        &[
            "profile.contacts[0].name",
            "profile.contacts[0].email",
            "profile.ship_to_addresses[0].label",
        ],
    );

    let events = raw
        .list_audit_events(pb::ListAuditEventsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    for e in &events {
        for value in e.details.values() {
            assert!(!value.chars().any(char::is_control), "{e:?}");
        }
    }
    assert!(events.iter().all(|e| e.action != "profile.updated"));

    // A customer is told they may not review applications, not that
    // there are none.
    let status = raw
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn device_names_with_escapes_are_refused_and_a_clean_one_enrols() {
    let server = TestServer::start(|_| {}).unwrap();
    let email = "buyer@nordlicht.example";
    let code = server.invitation(email);
    let client = server.anonymous_client();
    let mut passkey = SoftwarePasskey::new();
    for (passkey_name, device_name, field) in [
        ("key", format!("iPhone{ANSI}"), "device_name"),
        ("key", "d".repeat(100_000), "device_name"),
        ("key\r\nX-Admin: yes", "iPhone".to_string(), "passkey_name"),
    ] {
        let status = status_of(
            client
                .identity()
                .enrol(&mut passkey, &origin(), &code, passkey_name, &device_name)
                .await
                .unwrap_err(),
        );
        refused(&status, &[field]);
        assert_eq!(error_reason(&status), "INVALID_NAME");
    }
    // The invitation was not used up by the refusals.
    let tokens = client
        .identity()
        .enrol(&mut passkey, &origin(), &code, "key", "  Work iPhone ")
        .await
        .unwrap();
    let devices = client
        .identity()
        .raw()
        .list_devices(pb::ListDevicesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .devices;
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].name, "Work iPhone");
    assert_eq!(devices[0].device_id, tokens.device_id);

    // Signing in again names the device the same way.
    let status = status_of(
        server
            .anonymous_client()
            .identity()
            .login(&mut passkey, &origin(), Some(email), "Laptop\u{7}")
            .await
            .unwrap_err(),
    );
    refused(&status, &["device_name"]);
}
