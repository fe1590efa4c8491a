//! GDPR erasure erases: a person who applied for an account, enrolled
//! devices, ordered, was notified and audited is erased, and then no
//! record anywhere in the store — whatever service wrote it — holds their
//! name, email or the names of their devices.

use tradeport_mobile::SoftwarePasskey;
use tradeport_proto::common::Money;
use tradeport_proto::identity as pb;
use tradeport_proto::orders::{ListNotificationsRequest, OrderStatus, SubmitOrderRequest};
use tradeport_server::store::scan_all;
use tradeport_tests::TestServer;
use tradeport_tests::clients::orders;
use tradeport_tests::orders::{OrderReply, line};
use tradeport_tests::people::{enrolled, origin};

const NAME: &str = "Gretchen Datenschutz";
const EMAIL: &str = "gretchen.datenschutz@elbe-daten.example";
const PHONE_NAME: &str = "Gretchen Datenschutz's iPhone";
const LAPTOP_NAME: &str = "Arbeitslaptop Zimmer 4";
const PASSKEY_NAME: &str = "Grete's YubiKey";

fn contact(name: &str, email: &str) -> pb::Contact {
    pb::Contact {
        name: name.into(),
        email: email.into(),
        ..Default::default()
    }
}

/// Every key and value in the store holding one of `needles` (compared
/// without case), as "key: needle".
fn copies(server: &TestServer, needles: &[&str]) -> Vec<String> {
    let needles: Vec<Vec<u8>> = needles
        .iter()
        .map(|n| n.to_lowercase().into_bytes())
        .collect();
    let mut found = Vec::new();
    for (key, value) in scan_all(server.store().as_ref(), b"", 10_000).unwrap() {
        for needle in &needles {
            let holds = |bytes: &[u8]| {
                bytes
                    .to_ascii_lowercase()
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice())
            };
            if holds(&key) || holds(&value) {
                found.push(format!(
                    "{}: {}",
                    String::from_utf8_lossy(&key),
                    String::from_utf8_lossy(needle)
                ));
            }
        }
    }
    found
}

#[tokio::test]
async fn an_erased_person_is_found_in_no_record_of_any_store_prefix() {
    let server = TestServer::start(|_| {}).unwrap();

    // She applies for her company, as its admin and one of its contacts;
    // with a request id, so the reply is remembered for replays.
    let application = server
        .anonymous_client()
        .identity()
        .raw()
        .apply_for_account(pb::ApplyForAccountRequest {
            application: Some(pb::Application {
                legal_name: "Elbe Datentechnik GmbH".into(),
                tax_id: "DE811234567".into(),
                contacts: vec![
                    contact(NAME, EMAIL),
                    contact("Hans Hauser", "hans@elbe-daten.example"),
                ],
                billing_address: Some(pb::Address {
                    line1: "Speicherstadt 1".into(),
                    city: "Hamburg".into(),
                    country_code: "DE".into(),
                    ..Default::default()
                }),
                shipping_addresses: vec![pb::Address {
                    line1: "Kai 7".into(),
                    city: "Hamburg".into(),
                    country_code: "DE".into(),
                    ..Default::default()
                }],
                requested_payment_terms: "net 30".into(),
                admin_email: EMAIL.into(),
                admin_name: NAME.into(),
                ..Default::default()
            }),
            request_id: "0b3c8c52-apply".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap();

    // The brand approves with a small credit limit, so her order is held
    // and she is notified.
    let (brand, _) = enrolled(&server, "admin@tradeport.example").await;
    let approved = brand
        .identity()
        .raw()
        .approve_application(pb::ApproveApplicationRequest {
            application_id: application.id.clone(),
            tier: "standard".into(),
            credit_limit: Some(Money {
                currency_code: "EUR".into(),
                amount: "10".into(),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    // She enrols her phone, then signs in on her laptop.
    let gretchen = server.anonymous_client();
    let mut passkey = SoftwarePasskey::new();
    let tokens = gretchen
        .identity()
        .enrol(
            &mut passkey,
            &origin(),
            &approved.invitation_code,
            PASSKEY_NAME,
            PHONE_NAME,
        )
        .await
        .unwrap();
    let laptop = server.anonymous_client();
    laptop
        .identity()
        .login(&mut passkey, &origin(), Some(EMAIL), LAPTOP_NAME)
        .await
        .unwrap();

    // She orders; the order waits on credit and she hears of it.
    let order = orders(&laptop)
        .submit_order(SubmitOrderRequest {
            lines: vec![line("TP-EL-00007", "5")],
            ..Default::default()
        })
        .order()
        .await;
    assert_eq!(order.status, OrderStatus::OnCreditHold as i32, "{order:?}");
    let notified = orders(&laptop)
        .list_notifications(ListNotificationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .notifications;
    assert!(!notified.is_empty(), "she was told of the hold");

    let needles = [
        NAME,
        EMAIL,
        PHONE_NAME,
        LAPTOP_NAME,
        PASSKEY_NAME,
        "Gretchen",
    ];
    assert!(
        copies(&server, &needles).len() > 5,
        "the scenario leaves copies to erase: {:?}",
        copies(&server, &needles)
    );

    brand
        .identity()
        .raw()
        .erase_user(pb::EraseUserRequest {
            user_id: tokens.user_id.clone(),
        })
        .await
        .unwrap();

    let left = copies(&server, &needles);
    assert!(left.is_empty(), "left after erasure: {left:#?}");

    // Nobody else was erased, and her company's records stay whole.
    let profile = brand
        .identity()
        .raw()
        .get_account_profile(pb::GetAccountProfileRequest {
            account_id: approved.account_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .profile
        .unwrap();
    assert_eq!(profile.legal_name, "Elbe Datentechnik GmbH");
    assert_eq!(
        profile.contacts,
        [contact("Hans Hauser", "hans@elbe-daten.example")]
    );
    let kept = orders(&brand)
        .get_order(tradeport_proto::orders::GetOrderRequest {
            id: order.id.clone(),
        })
        .order()
        .await;
    assert_eq!(kept.number, order.number);
    let listed = brand
        .identity()
        .raw()
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .applications;
    let theirs = listed.iter().find(|a| a.id == application.id).unwrap();
    assert_eq!(theirs.legal_name, "Elbe Datentechnik GmbH");
    assert_eq!(theirs.contacts.len(), 1);
}
