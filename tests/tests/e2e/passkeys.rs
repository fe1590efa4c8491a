//! Passkey enrolment and sign-in with real WebAuthn ceremonies (a software
//! passkey on the client, webauthn-rs on the server), and every way a
//! ceremony must be refused.

use std::time::Duration;

use tonic::Code;
use tradeport_mobile::{Authenticator, Client, SoftwarePasskey};
use tradeport_proto::catalog::SearchProductsRequest;
use tradeport_proto::identity as pb;
use tradeport_tests::people::{audit_events, enrolled, origin};
use tradeport_tests::{TestServer, bad_fields, error_reason, status_of};
use url::Url;
use webauthn_rs::prelude::RequestChallengeResponse;

async fn can_search(client: &Client) -> bool {
    client
        .catalog()
        .search_products(SearchProductsRequest {
            query: "cable".into(),
            ..Default::default()
        })
        .await
        .is_ok()
}

/// Starts a sign-in by hand and signs its challenge, without finishing.
async fn signed_login(
    client: &Client,
    passkey: &mut SoftwarePasskey,
    username: &str,
    from: &Url,
) -> (String, String) {
    let start = client
        .identity()
        .raw()
        .start_login(pb::StartLoginRequest {
            username: username.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let options = RequestChallengeResponse {
        public_key: serde_json::from_str(&start.request_options_json).unwrap(),
        mediation: None,
    };
    let credential = passkey.authenticate(from, options).unwrap();
    (
        start.ceremony_id,
        serde_json::to_string(&credential).unwrap(),
    )
}

async fn finish_login(
    client: &Client,
    ceremony_id: &str,
    credential_json: &str,
) -> Result<pb::FinishLoginResponse, tonic::Status> {
    client
        .identity()
        .raw()
        .finish_login(pb::FinishLoginRequest {
            ceremony_id: ceremony_id.into(),
            credential_json: credential_json.into(),
            device_name: "test".into(),
        })
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn enrol_add_a_second_passkey_and_sign_in_with_each_by_name_and_usernameless() {
    let server = TestServer::start(|_| {}).unwrap();
    let email = "buyer@nordlicht.example";
    let (client, mut first) = enrolled(&server, email).await;
    assert!(can_search(&client).await, "the enrolment session works");
    let me = client.identity().get_caller().await.unwrap();
    assert_eq!(me.account_id, server.account(0));
    assert_eq!(me.roles, [pb::Role::Buyer as i32]);

    let mut second = SoftwarePasskey::new();
    client
        .identity()
        .add_passkey(&mut second, &origin(), "phone key")
        .await
        .unwrap();
    assert_eq!(client.identity().list_passkeys().await.unwrap().len(), 2);

    for (which, username) in [(0, Some(email)), (1, Some(email)), (0, None), (1, None)] {
        let passkey = if which == 0 { &mut first } else { &mut second };
        let device = server.anonymous_client();
        let tokens = device
            .identity()
            .login(passkey, &origin(), username, "another device")
            .await
            .unwrap();
        assert_eq!(tokens.user_id, me.user_id, "username {username:?}");
        assert!(can_search(&device).await);
    }
    // The invitation was used up by the enrolment.
    let again = server
        .anonymous_client()
        .identity()
        .enrol(
            &mut SoftwarePasskey::new(),
            &origin(),
            &server.invitation(email),
            "x",
            "y",
        )
        .await
        .unwrap_err();
    assert_eq!(error_reason(&status_of(again)), "INVITATION_INVALID");
}

/// The options are what `PublicKeyCredential.parseCreationOptionsFromJSON`
/// and `parseRequestOptionsFromJSON` take, and enrolment asks for a
/// discoverable credential: a passkey that does as asked (as security keys
/// do; the software passkey models one) then signs in without a username.
#[tokio::test]
async fn options_are_browser_json_and_enrolment_makes_a_discoverable_passkey() {
    let server = TestServer::start(|_| {}).unwrap();
    let email = "approver@nordlicht.example";
    let identity = server.anonymous_client().identity().raw();
    let creation = identity
        .clone()
        .start_enrolment(pb::StartEnrolmentRequest {
            invitation_code: server.invitation(email),
        })
        .await
        .unwrap()
        .into_inner();
    let creation: serde_json::Value =
        serde_json::from_str(&creation.creation_options_json).unwrap();
    assert!(creation.get("publicKey").is_none(), "{creation}");
    for field in ["challenge", "rp", "user", "pubKeyCredParams"] {
        assert!(creation.get(field).is_some(), "{field} in {creation}");
    }
    assert!(creation["user"]["id"].is_string(), "base64url: {creation}");
    assert_eq!(
        creation["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        creation["authenticatorSelection"]["requireResidentKey"],
        true
    );
    assert_eq!(
        creation["authenticatorSelection"]["userVerification"],
        "required"
    );

    for username in [email, ""] {
        let request = identity
            .clone()
            .start_login(pb::StartLoginRequest {
                username: username.into(),
            })
            .await
            .unwrap()
            .into_inner();
        let request: serde_json::Value =
            serde_json::from_str(&request.request_options_json).unwrap();
        assert!(request.get("publicKey").is_none(), "{request}");
        assert!(
            request.get("mediation").is_none(),
            "not an option: {request}"
        );
        assert!(request["challenge"].is_string(), "{request}");
        assert_eq!(request["rpId"], tradeport_tests::RP_ID);
    }

    let (enrolled_client, mut passkey) = enrolled(&server, email).await;
    let me = enrolled_client.identity().get_caller().await.unwrap();
    let device = server.anonymous_client();
    let tokens = device
        .identity()
        .login(&mut passkey, &origin(), None, "kiosk")
        .await
        .expect("usernameless sign-in with the enrolled passkey");
    assert_eq!(tokens.user_id, me.user_id);
    assert!(can_search(&device).await);
}

#[tokio::test]
async fn the_last_passkey_cannot_be_removed_but_others_can() {
    let server = TestServer::start(|_| {}).unwrap();
    let (client, _first) = enrolled(&server, "buyer@sur.example").await;
    let only = client.identity().list_passkeys().await.unwrap();
    let status = client
        .identity()
        .remove_passkey(only[0].id.clone())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&status), "LAST_PASSKEY");
    let mut second = SoftwarePasskey::new();
    client
        .identity()
        .add_passkey(&mut second, &origin(), "phone")
        .await
        .unwrap();
    client
        .identity()
        .remove_passkey(only[0].id.clone())
        .await
        .unwrap();
    let left = client.identity().list_passkeys().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, only[0].id);
}

#[tokio::test]
async fn replayed_wrong_origin_and_foreign_challenge_responses_are_refused() {
    let server = TestServer::start(|_| {}).unwrap();
    let email = "approver@nordlicht.example";
    let (client, mut passkey) = enrolled(&server, email).await;

    // A replay: the same signed response sent twice.
    let (ceremony, response) = signed_login(&client, &mut passkey, email, &origin()).await;
    finish_login(&client, &ceremony, &response).await.unwrap();
    let replay = finish_login(&client, &ceremony, &response)
        .await
        .unwrap_err();
    assert_eq!(replay.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&replay), "CEREMONY_INVALID");

    // A response signed for one challenge, sent to another ceremony.
    let (ceremony_a, _) = signed_login(&client, &mut passkey, email, &origin()).await;
    let (_, response_b) = signed_login(&client, &mut passkey, email, &origin()).await;
    let foreign = finish_login(&client, &ceremony_a, &response_b)
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&foreign), "PASSKEY_VERIFICATION_FAILED");

    // An origin the relying party does not list (a sibling subdomain the
    // authenticator itself accepts for the rp id).
    let evil = Url::parse("https://evil.portal.example.com").unwrap();
    let (ceremony, response) = signed_login(&client, &mut passkey, email, &evil).await;
    let wrong = finish_login(&client, &ceremony, &response)
        .await
        .unwrap_err();
    assert_eq!(error_reason(&wrong), "PASSKEY_VERIFICATION_FAILED");

    // Garbage instead of a credential names the field.
    let (ceremony, _) = signed_login(&client, &mut passkey, email, &origin()).await;
    let garbage = finish_login(&client, &ceremony, "{not json")
        .await
        .unwrap_err();
    assert_eq!(garbage.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&garbage), ["credential_json"]);

    // Each failure is in the account's audit trail, and nothing signed in.
    let failures = server_audit(&server, "login.failed").await;
    assert!(failures >= 2, "{failures} login.failed events");
}

#[tokio::test]
async fn an_expired_ceremony_is_refused() {
    let server = TestServer::start(|c| c.lifetimes.ceremony = Duration::from_millis(300)).unwrap();
    let email = "buyer@nordlicht.example";
    // Enrolment itself must beat the short lifetime: it does, in-process.
    let (client, mut passkey) = enrolled(&server, email).await;
    let (ceremony, response) = signed_login(&client, &mut passkey, email, &origin()).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let expired = finish_login(&client, &ceremony, &response)
        .await
        .unwrap_err();
    assert_eq!(expired.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&expired), "CEREMONY_INVALID");
}

/// How many `action` events the first demo account's admin can see.
async fn server_audit(server: &TestServer, action: &str) -> usize {
    let (admin, _) = enrolled(server, "admin@nordlicht.example").await;
    audit_events(&admin, action).await.len()
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    let server =
        TestServer::start(|c| c.lifetimes.invitation = Duration::from_millis(300)).unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let status = server
        .anonymous_client()
        .identity()
        .enrol(
            &mut SoftwarePasskey::new(),
            &origin(),
            &server.invitation("buyer@sur.example"),
            "k",
            "d",
        )
        .await
        .unwrap_err();
    let status = status_of(status);
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&status), "INVITATION_INVALID");
}
