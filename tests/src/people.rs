//! The people and keys tests act as. Demo people enrol with their one-time
//! code and a fresh software passkey, as a browser would, and API keys are
//! made by an admin over the API: one copy of each flow, so a change to
//! enrolment or to keys is made here once.

use tradeport_mobile::{Client, SoftwarePasskey, Url};
use tradeport_proto::identity as pb;

use crate::{ORIGIN, TestServer};

/// The web app's origin, where every test ceremony runs.
pub fn origin() -> Url {
    Url::parse(ORIGIN).unwrap_or_else(|e| panic!("{ORIGIN}: {e}"))
}

/// Enrols a fresh software passkey with the one-time `code`; `client` then
/// holds the new session.
pub async fn enrol(
    client: &Client,
    code: &str,
) -> Result<(pb::SessionTokens, SoftwarePasskey), tradeport_mobile::Error> {
    let mut passkey = SoftwarePasskey::new();
    let tokens = client
        .identity()
        .enrol(&mut passkey, &origin(), code, "test key", "test device")
        .await?;
    Ok((tokens, passkey))
}

/// Enrols the demo person `email` with a fresh software passkey; the
/// client holds the new session.
pub async fn enrolled(server: &TestServer, email: &str) -> (Client, SoftwarePasskey) {
    let client = server.anonymous_client();
    let (_, passkey) = enrol(&client, &server.invitation(email))
        .await
        .unwrap_or_else(|e| panic!("enrolling {email}: {e}"));
    (client, passkey)
}

/// Invites `email` with `role` as `admin` and enrols them: a person with a
/// role no demo person has.
pub async fn invited(server: &TestServer, admin: &Client, email: &str, role: pb::Role) -> Client {
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
        .unwrap_or_else(|e| panic!("inviting {email}: {e:?}"))
        .into_inner()
        .invitation_code;
    let client = server.anonymous_client();
    enrol(&client, &code)
        .await
        .unwrap_or_else(|e| panic!("enrolling {email}: {e}"));
    client
}

/// An API key with one role, created by `admin` in their own scope.
pub async fn try_new_api_key(
    admin: &Client,
    name: &str,
    role: pb::Role,
) -> Result<pb::CreateApiKeyResponse, tonic::Status> {
    Ok(admin
        .identity()
        .raw()
        .create_api_key(pb::CreateApiKeyRequest {
            name: name.into(),
            roles: vec![role as i32],
            ..Default::default()
        })
        .await?
        .into_inner())
}

/// Like [`try_new_api_key`], for tests whose admin may make it.
pub async fn new_api_key(admin: &Client, name: &str, role: pb::Role) -> pb::CreateApiKeyResponse {
    try_new_api_key(admin, name, role)
        .await
        .unwrap_or_else(|e| panic!("creating the API key {name:?}: {e:?}"))
}

/// A client of `server` calling with a new API key for `role`, made by
/// `admin`.
pub async fn api_key_client(
    server: &TestServer,
    admin: &Client,
    name: &str,
    role: pb::Role,
) -> Client {
    let key = new_api_key(admin, name, role).await.secret;
    server.anonymous_client().with_bearer(key)
}

/// API keys named `name`, one for each of `roles`, made by `server`'s demo
/// brand admin on a thread and runtime of their own, so a module can keep
/// them for all its tests (the admin's enrolment code is one-time).
pub fn brand_api_keys(
    server: &'static TestServer,
    name: &'static str,
    roles: &[pb::Role],
) -> Vec<String> {
    let roles = roles.to_vec();
    std::thread::spawn(move || {
        let runtime =
            tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("a runtime for keys: {e}"));
        runtime.block_on(async {
            let (admin, _) = enrolled(server, "admin@tradeport.example").await;
            let mut keys = Vec::new();
            for role in roles {
                keys.push(new_api_key(&admin, name, role).await.secret);
            }
            keys
        })
    })
    .join()
    .unwrap_or_else(|_| panic!("making the brand's API keys {name:?} failed"))
}

/// One API key with `role`, as [`brand_api_keys`] makes them.
pub fn brand_api_key(server: &'static TestServer, name: &'static str, role: pb::Role) -> String {
    brand_api_keys(server, name, &[role]).remove(0)
}

/// The first 100 `action` events of the reader's own trail (the brand's
/// for brand staff).
pub async fn audit_events(reader: &Client, action: &str) -> Vec<pb::AuditEvent> {
    reader
        .identity()
        .raw()
        .list_audit_events(pb::ListAuditEventsRequest {
            actions: vec![action.into()],
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("listing {action} events: {e:?}"))
        .into_inner()
        .events
}

/// Asserts that `passkey` signs `email` in neither by name (the challenge
/// lists no passkey of theirs, so the authenticator has nothing to sign
/// with) nor usernameless (the server refuses the passkey), as for a
/// person disabled or erased.
pub async fn assert_cannot_sign_in(
    server: &TestServer,
    passkey: &mut SoftwarePasskey,
    email: &str,
) {
    assert!(
        server
            .anonymous_client()
            .identity()
            .login(passkey, &origin(), Some(email), "again")
            .await
            .is_err()
    );
    let login = server
        .anonymous_client()
        .identity()
        .login(passkey, &origin(), None, "again")
        .await;
    match login {
        Err(e) => assert_eq!(crate::status_of(e).code(), tonic::Code::Unauthenticated),
        Ok(_) => panic!("{email} signed in usernameless"),
    }
}
