//! Sign-in under abuse: usernames of any length or number cannot grow the
//! server's memory, a passkey sign-in costs one attempt of its address's
//! and its user's budgets (by name or usernameless), only a trusted proxy
//! says which address a call comes from, and a username nobody has gets a
//! challenge that looks like a known user's.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use tonic::Code;
use tradeport_mobile::{Authenticator, SoftwarePasskey};
use tradeport_proto::identity as pb;
use tradeport_tests::people::{enrolled, origin};
use tradeport_tests::{TestServer, bad_fields, error_reason, status_of};
use webauthn_rs::prelude::RequestChallengeResponse;

async fn start_login(
    server: &TestServer,
    username: &str,
) -> Result<pb::StartLoginResponse, tonic::Status> {
    server
        .anonymous_client()
        .identity()
        .raw()
        .start_login(pb::StartLoginRequest {
            username: username.into(),
        })
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn a_username_longer_than_an_email_is_refused_naming_the_field() {
    let server = TestServer::shared();
    for length in [255, 1_000_000] {
        let status = start_login(server, &"a".repeat(length)).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{length}");
        assert_eq!(bad_fields(&status), ["username"]);
    }
    start_login(server, &format!("{}@x.example", "a".repeat(200)))
        .await
        .unwrap();
}

#[tokio::test]
async fn ten_thousand_usernames_leave_the_sign_in_limiter_bounded() {
    const TRACKED: usize = 1_000;
    let server = TestServer::start(|c| {
        c.rate_limits.login_per_source = 100_000;
        // A key's budget is full again a minute after its use: longer than
        // the flood takes on a loaded machine, so the user tracked before
        // it is still tracked when it ends.
        c.rate_limits.login_per_user = 10;
        c.rate_limits.login_window = Duration::from_secs(600);
        c.rate_limits.max_tracked = TRACKED;
    })
    .unwrap();
    let email = "buyer@nordlicht.example";
    let (_, mut passkey) = enrolled(&server, email).await;
    start_login(&server, email).await.unwrap();
    let answers: Vec<Result<_, tonic::Status>> =
        futures::stream::iter(0..10_000)
            .map(|n| {
                let server = &server;
                async move {
                    start_login(server, &format!("{n}-{}@probe.example", "x".repeat(200))).await
                }
            })
            .buffer_unordered(32)
            .collect()
            .await;
    let (sources, users) = server.identity().tracked_sign_in_keys();
    assert!(users <= TRACKED, "{users} users tracked");
    assert!(sources <= 1, "{sources} sources tracked");
    let refused = answers
        .iter()
        .filter(|a| {
            a.as_ref()
                .is_err_and(|s| s.code() == Code::ResourceExhausted)
        })
        .count();
    // Keys age out as the flood goes on, so how many got in depends on
    // its pace; that the rest were turned away, not kept, does not.
    assert!(refused > 0, "{refused} refused");
    assert!(
        answers
            .iter()
            .all(|a| a.as_ref().is_ok() || error_reason(a.as_ref().unwrap_err()) == "RATE_LIMITED")
    );
    // A user tracked before the flood keeps their budget.
    server
        .anonymous_client()
        .identity()
        .login(&mut passkey, &origin(), Some(email), "after the flood")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_passkey_sign_in_costs_one_attempt_of_its_address() {
    let server = TestServer::start(|c| {
        c.rate_limits.login_per_source = 4;
        c.rate_limits.login_window = Duration::from_secs(600);
    })
    .unwrap();
    let email = "buyer@sur.example";
    // Enrolment is the first attempt; three sign-ins the next three.
    let (_, mut passkey) = enrolled(&server, email).await;
    for (n, username) in [Some(email), None, Some(email)].into_iter().enumerate() {
        server
            .anonymous_client()
            .identity()
            .login(&mut passkey, &origin(), username, "laptop")
            .await
            .unwrap_or_else(|e| panic!("sign-in {n}: {e}"));
    }
    let limited = start_login(&server, email).await.unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted);
    assert_eq!(error_reason(&limited), "RATE_LIMITED");
}

async fn login(
    server: &TestServer,
    passkey: &mut SoftwarePasskey,
    username: Option<&str>,
) -> Result<pb::SessionTokens, tonic::Status> {
    server
        .anonymous_client()
        .identity()
        .login(passkey, &origin(), username, "device")
        .await
        .map_err(status_of)
}

#[tokio::test]
async fn usernameless_sign_ins_count_against_the_user_with_named_ones() {
    let server = TestServer::start(|c| {
        c.rate_limits.login_per_user = 2;
        c.rate_limits.login_window = Duration::from_secs(600);
    })
    .unwrap();
    let email = "approver@nordlicht.example";
    let (_, mut passkey) = enrolled(&server, email).await;
    login(&server, &mut passkey, Some(email)).await.unwrap();
    login(&server, &mut passkey, None).await.unwrap();
    // The third attempt, by name: refused as the user's.
    let limited = login(&server, &mut passkey, Some(email)).await.unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted);
    assert_eq!(error_reason(&limited), "RATE_LIMITED");
    // And usernameless: refused when the user is known, at the finish.
    let limited = login(&server, &mut passkey, None).await.unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted);
    // Other users are not affected.
    enrolled(&server, "buyer@nordlicht.example").await;
}

async fn start_login_via(server: &TestServer, forwarded_for: &str) -> Result<(), Code> {
    let mut request = tonic::Request::new(pb::StartLoginRequest::default());
    request
        .metadata_mut()
        .insert("x-forwarded-for", forwarded_for.parse().unwrap());
    server
        .anonymous_client()
        .identity()
        .raw()
        .start_login(request)
        .await
        .map(|_| ())
        .map_err(|s| s.code())
}

#[tokio::test]
async fn only_a_trusted_proxy_says_which_address_a_call_comes_from() {
    let limits = |c: &mut tradeport_server::config::Config| {
        c.rate_limits.login_per_source = 2;
        c.rate_limits.login_window = Duration::from_secs(600);
    };
    let proxied = TestServer::start(|c| {
        limits(c);
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .unwrap();
    for _ in 0..2 {
        start_login_via(&proxied, "203.0.113.1").await.unwrap();
    }
    assert_eq!(
        start_login_via(&proxied, "203.0.113.1").await,
        Err(Code::ResourceExhausted)
    );
    // A client claiming an address of its own in front of the proxy's
    // entry does not escape its budget...
    assert_eq!(
        start_login_via(&proxied, "198.51.100.7, 203.0.113.1").await,
        Err(Code::ResourceExhausted)
    );
    // ...and another client behind the same proxy has its own.
    start_login_via(&proxied, "203.0.113.2").await.unwrap();

    // Without trusted proxies the header is the client's word: ignored.
    let direct = TestServer::start(limits).unwrap();
    start_login_via(&direct, "203.0.113.1").await.unwrap();
    start_login_via(&direct, "203.0.113.2").await.unwrap();
    assert_eq!(
        start_login_via(&direct, "203.0.113.3").await,
        Err(Code::ResourceExhausted)
    );
}

/// The structure of a JSON value: object keys and value types, arrays by
/// the shapes of their elements.
fn shape(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => {
            let mut shapes: Vec<Value> = items.iter().map(shape).collect();
            shapes.dedup();
            Value::Array(shapes)
        }
        Value::String(_) => "string".into(),
        Value::Number(_) => "number".into(),
        Value::Bool(_) => "bool".into(),
        Value::Null => Value::Null,
    }
}

fn credential_ids(options: &Value) -> Vec<String> {
    let public_key = options.get("publicKey").unwrap_or(options);
    public_key["allowCredentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_unknown_username_gets_a_challenge_shaped_like_a_known_users() {
    let server = TestServer::start(|_| {}).unwrap();
    let known = "buyer@nordlicht.example";
    let (_, mut passkey) = enrolled(&server, known).await;
    let options = |start: &pb::StartLoginResponse| -> Value {
        serde_json::from_str(&start.request_options_json).unwrap()
    };
    let real = options(&start_login(&server, known).await.unwrap());
    // Unknown, and known but never enrolled: both look like `real`.
    for unknown in ["nobody@nordlicht.example", "buyer@sur.example"] {
        let first = options(&start_login(&server, unknown).await.unwrap());
        let again = options(&start_login(&server, &unknown.to_uppercase()).await.unwrap());
        assert_eq!(shape(&first), shape(&real), "{unknown}: {first} vs {real}");
        assert!(!first.to_string().contains("extensions"), "{first}");
        let ids = credential_ids(&first);
        assert!(!ids.is_empty(), "{unknown} lists credentials");
        assert_eq!(ids, credential_ids(&again), "{unknown}'s are stable");
        assert_ne!(ids, credential_ids(&real));
    }
    assert_ne!(
        credential_ids(&options(
            &start_login(&server, "a@x.example").await.unwrap()
        )),
        credential_ids(&options(
            &start_login(&server, "b@x.example").await.unwrap()
        )),
    );

    // A stand-in challenge signed anyway fails as any bad answer does.
    let start = start_login(&server, "nobody@nordlicht.example")
        .await
        .unwrap();
    let mut challenge = RequestChallengeResponse {
        public_key: serde_json::from_str(&start.request_options_json).unwrap(),
        mediation: None,
    };
    challenge.public_key.allow_credentials.clear();
    let credential = passkey.authenticate(&origin(), challenge).unwrap();
    let refused = server
        .anonymous_client()
        .identity()
        .raw()
        .finish_login(pb::FinishLoginRequest {
            ceremony_id: start.ceremony_id,
            credential_json: serde_json::to_string(&credential).unwrap(),
            device_name: "d".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(error_reason(&refused), "PASSKEY_VERIFICATION_FAILED");
}
