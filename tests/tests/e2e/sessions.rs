//! Sessions: refresh rotation, reuse detection, revoked and expired tokens,
//! devices, logout, disabled users and revoked API keys.

use std::time::Duration;

use tonic::Code;
use tradeport_mobile::SoftwarePasskey;
use tradeport_proto::catalog::SearchProductsRequest;
use tradeport_proto::identity as pb;
use tradeport_tests::people::{assert_cannot_sign_in, enrolled, new_api_key, origin};
use tradeport_tests::{TestServer, error_reason, status_of};

async fn search(client: &tradeport_mobile::Client) -> Result<(), tonic::Status> {
    client
        .catalog()
        .search_products(SearchProductsRequest {
            query: "valve".into(),
            ..Default::default()
        })
        .await
        .map(|_| ())
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_ends_the_device_session() {
    let server = TestServer::start(|_| {}).unwrap();
    let (client, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let first = client.tokens().unwrap();
    let second = client.identity().refresh().await.unwrap();
    assert_ne!(first.access_token, second.access_token);
    assert_ne!(first.refresh_token, second.refresh_token);
    assert_eq!(
        first.device_id, second.device_id,
        "same device, same session family"
    );
    search(&client).await.unwrap();

    // The old access token died with the rotation.
    let stale = server
        .anonymous_client()
        .with_bearer(first.access_token.clone());
    assert_eq!(
        search(&stale).await.unwrap_err().code(),
        Code::Unauthenticated
    );

    // Someone replays the first refresh token: the whole family is revoked.
    let thief = server.anonymous_client();
    let reused = thief
        .identity()
        .raw()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: first.refresh_token.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&reused), "REFRESH_TOKEN_REUSED");
    let revoked = search(&client).await.unwrap_err();
    assert_eq!(revoked.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&revoked), "SESSION_REVOKED");
    let status = status_of(client.identity().refresh().await.unwrap_err());
    assert_eq!(
        status.code(),
        Code::Unauthenticated,
        "the current refresh token died too"
    );
}

#[tokio::test]
async fn expired_access_tokens_are_refused_until_refreshed() {
    let server =
        TestServer::start(|c| c.lifetimes.access_token = Duration::from_millis(500)).unwrap();
    let (client, _) = enrolled(&server, "buyer@sur.example").await;
    search(&client).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let expired = search(&client).await.unwrap_err();
    assert_eq!(error_reason(&expired), "TOKEN_EXPIRED");
    client.identity().refresh().await.unwrap();
    search(&client).await.unwrap();
}

#[tokio::test]
async fn devices_are_listed_revoked_and_logged_out() {
    let server = TestServer::start(|_| {}).unwrap();
    let email = "approver@sur.example";
    let (laptop, mut passkey) = enrolled(&server, email).await;
    let phone = server.anonymous_client();
    phone
        .identity()
        .login(&mut passkey, &origin(), Some(email), "phone")
        .await
        .unwrap();
    let devices = laptop
        .identity()
        .list_devices(pb::ListDevicesRequest::default())
        .await
        .unwrap()
        .devices;
    assert_eq!(devices.len(), 2);
    let phone_id = phone.tokens().unwrap().device_id;
    assert!(
        devices
            .iter()
            .any(|d| d.device_id == phone_id && !d.current)
    );
    laptop.identity().revoke_device(phone_id).await.unwrap();
    assert_eq!(
        error_reason(&search(&phone).await.unwrap_err()),
        "SESSION_REVOKED"
    );
    search(&laptop).await.unwrap();
    laptop.identity().logout().await.unwrap();
    assert_eq!(
        search(&laptop).await.unwrap_err().code(),
        Code::Unauthenticated
    );
}

#[tokio::test]
async fn disabling_a_user_ends_all_their_sessions_at_once() {
    let server = TestServer::start(|_| {}).unwrap();
    let (admin, _) = enrolled(&server, "admin@nordlicht.example").await;
    let email = "buyer@nordlicht.example";
    let (buyer, mut passkey) = enrolled(&server, email).await;
    let second = server.anonymous_client();
    second
        .identity()
        .login(&mut passkey, &origin(), Some(email), "tablet")
        .await
        .unwrap();
    let buyer_id = buyer.tokens().unwrap().user_id;
    admin
        .identity()
        .raw()
        .disable_user(pb::DisableUserRequest {
            user_id: buyer_id,
            request_id: String::new(),
        })
        .await
        .unwrap();
    for device in [&buyer, &second] {
        assert_eq!(
            search(device).await.unwrap_err().code(),
            Code::Unauthenticated
        );
    }
    // By name, a disabled user looks like no user: the challenge lists no
    // passkey of theirs, so the authenticator has nothing to sign with.
    assert_cannot_sign_in(&server, &mut passkey, email).await;
}

#[tokio::test]
async fn api_keys_are_shown_once_hashed_and_revocable() {
    let server = TestServer::start(|_| {}).unwrap();
    let (admin, _) = enrolled(&server, "admin@sur.example").await;
    let created = new_api_key(&admin, "ERP connector", pb::Role::Viewer).await;
    assert!(created.secret.starts_with("tpk_"));
    let partner = server
        .anonymous_client()
        .with_bearer(created.secret.clone());
    search(&partner).await.unwrap();
    let me = partner.identity().get_caller().await.unwrap();
    assert_eq!(me.account_id, server.account(1));
    let listed = admin
        .identity()
        .raw()
        .list_api_keys(pb::ListApiKeysRequest::default())
        .await
        .unwrap()
        .into_inner()
        .api_keys;
    let key = listed.iter().find(|k| k.name == "ERP connector").unwrap();
    assert!(key.last_use_time.is_some(), "use is recorded");
    admin
        .identity()
        .raw()
        .revoke_api_key(pb::RevokeApiKeyRequest {
            api_key_id: key.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        search(&partner).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    // A customer admin cannot mint brand roles.
    let brand = admin
        .identity()
        .raw()
        .create_api_key(pb::CreateApiKeyRequest {
            name: "sneaky".into(),
            roles: vec![pb::Role::BrandAdmin as i32],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(brand.code(), Code::InvalidArgument);
    let _ = SoftwarePasskey::new();
}

#[tokio::test]
async fn a_session_ends_at_its_maximum_age_however_often_it_is_refreshed() {
    const LIFETIME: Duration = Duration::from_secs(4);
    let server = TestServer::start(|c| c.lifetimes.session = LIFETIME).unwrap();
    let email = "buyer@nordlicht.example";
    let (client, mut passkey) = enrolled(&server, email).await;
    let signed_in = std::time::SystemTime::now();
    // Refreshed well within its refresh token's life, again and again...
    for _ in 0..3 {
        let tokens = client.identity().refresh().await.unwrap();
        let refresh_ends = tokens.refresh_expire_time.unwrap();
        let ends = std::time::UNIX_EPOCH + Duration::from_secs(refresh_ends.seconds as u64);
        assert!(
            ends <= signed_in + LIFETIME,
            "no token outlives its session"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    search(&client).await.unwrap();
    // ...the session still ends when it is as old as its lifetime.
    let left = (signed_in + LIFETIME)
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    tokio::time::sleep(left + Duration::from_millis(200)).await;
    let refused = status_of(client.identity().refresh().await.unwrap_err());
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&refused), "SESSION_EXPIRED");
    assert_eq!(
        search(&client).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    // Only a passkey sign-in renews it.
    let again = server.anonymous_client();
    again
        .identity()
        .login(&mut passkey, &origin(), Some(email), "laptop")
        .await
        .unwrap();
    again.identity().refresh().await.unwrap();
    search(&again).await.unwrap();
}
