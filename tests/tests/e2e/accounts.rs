//! Company registration and review, abuse limits, and the audit trail.

use std::time::Duration;

use tonic::Code;
use tonic_types::StatusExt;
use tradeport_mobile::SoftwarePasskey;
use tradeport_proto::common::Money;
use tradeport_proto::identity as pb;
use tradeport_tests::people::{enrol, enrolled, origin};
use tradeport_tests::{TestServer, bad_fields, error_reason};

fn application(name: &str, email: &str) -> pb::Application {
    pb::Application {
        legal_name: name.into(),
        tax_id: "NL123456789B01".into(),
        admin_email: email.into(),
        admin_name: "Greta Groot".into(),
        requested_payment_terms: "net 30".into(),
        billing_address: Some(pb::Address {
            line1: "Kade 1".into(),
            city: "Rotterdam".into(),
            country_code: "NL".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A company's application, submitted without credentials.
async fn applied(server: &TestServer, name: &str, email: &str) -> pb::Application {
    server
        .anonymous_client()
        .identity()
        .raw()
        .apply_for_account(pb::ApplyForAccountRequest {
            application: Some(application(name, email)),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
}

#[tokio::test]
async fn a_company_applies_is_approved_and_its_admin_enrols() {
    let server = TestServer::start(|_| {}).unwrap();
    let applied = applied(&server, "Groot Techniek BV", "greta@groot.example").await;
    assert_eq!(applied.state, pb::ApplicationState::Pending as i32);

    let (brand_admin, _) = enrolled(&server, "admin@tradeport.example").await;
    let mut raw = brand_admin.identity().raw();
    let pending = raw
        .list_applications(pb::ListApplicationsRequest {
            state: pb::ApplicationState::Pending as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .applications;
    assert!(pending.iter().any(|a| a.id == applied.id));

    let rep_id = {
        let users = raw
            .list_users(pb::ListUsersRequest::default())
            .await
            .unwrap()
            .into_inner()
            .users;
        users
            .into_iter()
            .find(|u| u.email == "rep@tradeport.example")
            .unwrap()
            .id
    };
    let bad = raw
        .approve_application(pb::ApproveApplicationRequest {
            application_id: applied.id.clone(),
            tier: "gold".into(),
            credit_limit: Some(Money {
                currency_code: "EUR".into(),
                amount: "1e5".into(),
            }),
            sales_rep_id: "nobody".into(),
            territory: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let fields: Vec<_> = bad_fields(&bad);
    assert_eq!(fields, ["credit_limit.amount", "sales_rep_id"]);

    let approved = raw
        .approve_application(pb::ApproveApplicationRequest {
            application_id: applied.id.clone(),
            tier: "gold".into(),
            credit_limit: Some(Money {
                currency_code: "EUR".into(),
                amount: "25000.00".into(),
            }),
            sales_rep_id: rep_id,
            territory: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!approved.account_id.is_empty());
    let again = raw
        .reject_application(pb::RejectApplicationRequest {
            application_id: applied.id.clone(),
            reason: "changed our mind".into(),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(error_reason(&again), "APPLICATION_DECIDED");

    let new_admin = server.anonymous_client();
    enrol(&new_admin, &approved.invitation_code).await.unwrap();
    let me = new_admin.identity().get_caller().await.unwrap();
    assert_eq!(me.account_id, approved.account_id);
    assert_eq!(me.roles, [pb::Role::AccountAdmin as i32]);

    // The assigned rep now sees the new account.
    let (rep, _) = enrolled(&server, "rep@tradeport.example").await;
    let users = rep
        .identity()
        .raw()
        .list_users(pb::ListUsersRequest {
            account_id: approved.account_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .users;
    assert_eq!(users.len(), 1);

    // Customers may not review applications, and are told so.
    let status = new_admin
        .identity()
        .raw()
        .list_applications(pb::ListApplicationsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn applications_name_their_bad_fields() {
    let server = TestServer::start(|_| {}).unwrap();
    let status = server
        .anonymous_client()
        .identity()
        .raw()
        .apply_for_account(pb::ApplyForAccountRequest {
            application: Some(pb::Application {
                legal_name: "X".into(),
                admin_email: "not-an-email".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<_> = bad_fields(&status);
    assert_eq!(
        fields,
        [
            "application.tax_id",
            "application.billing_address.country_code",
            "application.admin_email",
            "application.admin_name",
        ]
    );
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_and_the_limit_resets() {
    let server = TestServer::start(|c| {
        // One attempt comes back every 2 s: the three calls below fit in
        // that even on a loaded machine, and the reset is a short wait.
        c.rate_limits.login_per_source = 3;
        c.rate_limits.login_window = Duration::from_secs(6);
    })
    .unwrap();
    let mut raw = server.anonymous_client().identity().raw();
    for _ in 0..3 {
        raw.start_login(pb::StartLoginRequest::default())
            .await
            .unwrap();
    }
    let limited = raw
        .start_login(pb::StartLoginRequest::default())
        .await
        .unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted);
    assert_eq!(error_reason(&limited), "RATE_LIMITED");
    let wait = limited
        .get_error_details()
        .retry_info()
        .and_then(|r| r.retry_delay)
        .expect("retry info");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_secs(2),
        "{wait:?}"
    );
    tokio::time::sleep(wait + Duration::from_millis(50)).await;
    raw.start_login(pb::StartLoginRequest::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn sign_ins_for_one_user_are_limited_across_addresses() {
    let server = TestServer::start(|c| {
        c.rate_limits.login_per_user = 2;
    })
    .unwrap();
    let mut raw = server.anonymous_client().identity().raw();
    for _ in 0..2 {
        raw.start_login(pb::StartLoginRequest {
            username: "buyer@sur.example".into(),
        })
        .await
        .unwrap();
    }
    let limited = raw
        .start_login(pb::StartLoginRequest {
            username: "BUYER@sur.example".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted);
    raw.start_login(pb::StartLoginRequest {
        username: "buyer@nordlicht.example".into(),
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn audited_actions_leave_records_without_secrets() {
    let server = TestServer::start(|_| {}).unwrap();
    let (admin, mut admin_key) = enrolled(&server, "admin@nordlicht.example").await;
    let (buyer, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let buyer_id = buyer.tokens().unwrap().user_id;
    let mut raw = admin.identity().raw();
    admin
        .identity()
        .login(
            &mut admin_key,
            &origin(),
            Some("admin@nordlicht.example"),
            "tablet",
        )
        .await
        .unwrap();
    admin
        .identity()
        .add_passkey(&mut SoftwarePasskey::new(), &origin(), "spare")
        .await
        .unwrap();
    raw.set_user_roles(pb::SetUserRolesRequest {
        user_id: buyer_id.clone(),
        roles: vec![pb::Role::Approver as i32],
        ..Default::default()
    })
    .await
    .unwrap();
    let key = raw
        .create_api_key(pb::CreateApiKeyRequest {
            name: "shop".into(),
            roles: vec![pb::Role::Viewer as i32],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let partner = server.anonymous_client().with_bearer(key.secret.clone());
    partner.identity().get_caller().await.unwrap();
    raw.revoke_api_key(pb::RevokeApiKeyRequest {
        api_key_id: key.api_key.unwrap().id,
    })
    .await
    .unwrap();
    raw.disable_user(pb::DisableUserRequest {
        user_id: buyer_id,
        ..Default::default()
    })
    .await
    .unwrap();

    let events = raw
        .list_audit_events(pb::ListAuditEventsRequest {
            page_size: 200,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for expected in [
        "application.approved",
        "passkey.enrolled",
        "login.succeeded",
        "passkey.added",
        "role.changed",
        "api_key.created",
        "api_key.used",
        "api_key.revoked",
        "user.disabled",
        "user.invited",
    ] {
        assert!(actions.contains(&expected), "no {expected} in {actions:?}");
    }
    // Newest first.
    assert!(events.windows(2).all(|w| w[0].time.as_ref().map(|t| t.seconds) >= w[1].time.as_ref().map(|t| t.seconds)));
    let text = format!("{events:?}");
    for secret in ["tpa_", "tpr_", "tpk_", "tpi_"] {
        assert!(
            !text.contains(secret),
            "a {secret} secret leaked into the audit trail"
        );
    }
    // Filters and paging.
    let first = raw
        .list_audit_events(pb::ListAuditEventsRequest {
            actions: vec!["passkey.enrolled".into()],
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.events.len(), 1);
    assert!(!first.next_page_token.is_empty());
    let second = raw
        .list_audit_events(pb::ListAuditEventsRequest {
            actions: vec!["passkey.enrolled".into()],
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.events.len(), 1);
    assert_ne!(first.events[0].id, second.events[0].id);
}

#[tokio::test]
async fn a_repeated_request_id_returns_the_first_result_instead_of_acting_twice() {
    let server = TestServer::start(|_| {}).unwrap();
    let mut public = server.anonymous_client().identity().raw();
    let apply = |request_id: &str| pb::ApplyForAccountRequest {
        application: Some(application("Twice Trading BV", "t@twice.example")),
        request_id: request_id.into(),
    };
    let first = public
        .apply_for_account(apply("3f2c-apply"))
        .await
        .unwrap()
        .into_inner();
    let replay = public
        .apply_for_account(apply("3f2c-apply"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        first.application.as_ref().unwrap().id,
        replay.application.as_ref().unwrap().id
    );
    let other = public
        .apply_for_account(apply("another"))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(first.application.unwrap().id, other.application.unwrap().id);

    let (admin, _) = enrolled(&server, "admin@nordlicht.example").await;
    let (buyer, _) = enrolled(&server, "buyer@nordlicht.example").await;
    let buyer_id = buyer.tokens().unwrap().user_id;
    let mut raw = admin.identity().raw();
    let set = |roles: Vec<i32>, request_id: &str| pb::SetUserRolesRequest {
        user_id: buyer_id.clone(),
        roles,
        request_id: request_id.into(),
    };
    let approver = vec![pb::Role::Approver as i32];
    let finance = vec![pb::Role::Finance as i32];
    raw.set_user_roles(set(approver.clone(), "r-1"))
        .await
        .unwrap();
    raw.set_user_roles(set(finance.clone(), "r-2"))
        .await
        .unwrap();
    // An outbox replays the first change late: it must not undo the second.
    let replayed = raw
        .set_user_roles(set(approver.clone(), "r-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        replayed.user.unwrap().roles,
        approver,
        "the first answer, again"
    );
    let me = buyer.identity().get_caller().await.unwrap();
    assert_eq!(me.roles, finance, "and nothing acted twice");

    let disable = || pb::DisableUserRequest {
        user_id: buyer_id.clone(),
        request_id: "d-1".into(),
    };
    raw.disable_user(disable()).await.unwrap();
    raw.disable_user(disable()).await.unwrap();
    let roles_changed = raw
        .list_audit_events(pb::ListAuditEventsRequest {
            actions: vec!["role.changed".into(), "user.disabled".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .events;
    assert_eq!(
        roles_changed.len(),
        3,
        "two role changes and one disable: {roles_changed:?}"
    );

    let bad = raw
        .set_user_roles(set(approver, "has/slash"))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&bad)[0], "request_id");
}

#[tokio::test]
async fn reps_cover_accounts_of_their_territories() {
    let server = TestServer::start(|_| {}).unwrap();
    let applied = applied(&server, "Noord Installatie BV", "n@noord.example").await;
    let (brand_admin, _) = enrolled(&server, "admin@tradeport.example").await;
    let (rep, _) = enrolled(&server, "rep@tradeport.example").await;
    let rep_id = rep.tokens().unwrap().user_id;
    let mut raw = brand_admin.identity().raw();
    let account = raw
        .approve_application(pb::ApproveApplicationRequest {
            application_id: applied.id,
            tier: "standard".into(),
            credit_limit: Some(Money {
                currency_code: "EUR".into(),
                amount: "10000".into(),
            }),
            territory: "north".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .account_id;
    let sees = |rep: &tradeport_mobile::Client| {
        let rep = rep.clone();
        let account = account.clone();
        async move {
            rep.identity()
                .raw()
                .list_users(pb::ListUsersRequest {
                    account_id: account,
                    ..Default::default()
                })
                .await
                .map(|_| ())
                .map_err(|s| s.code())
        }
    };
    assert_eq!(sees(&rep).await, Err(Code::NotFound), "not assigned yet");
    let assign = |territories: Vec<String>| pb::SetRepAssignmentsRequest {
        user_id: rep_id.clone(),
        account_ids: vec![server.account(0)],
        territories,
        request_id: String::new(),
    };
    raw.set_rep_assignments(assign(vec!["north".into()]))
        .await
        .unwrap();
    assert_eq!(sees(&rep).await, Ok(()), "covered by territory");
    raw.set_rep_assignments(assign(vec!["south".into()]))
        .await
        .unwrap();
    assert_eq!(
        sees(&rep).await,
        Err(Code::NotFound),
        "territory taken away"
    );
    let bad = raw
        .set_rep_assignments(pb::SetRepAssignmentsRequest {
            user_id: rep_id.clone(),
            account_ids: vec!["acc_nope".into()],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad_fields(&bad)[0], "account_ids[0]");
}

#[tokio::test]
async fn account_applications_are_rate_limited_per_address() {
    let server = TestServer::start(|c| c.rate_limits.applications_per_source = 2).unwrap();
    applied(&server, "One BV", "one@one.example").await;
    applied(&server, "Two BV", "two@two.example").await;
    let limited = server
        .anonymous_client()
        .identity()
        .raw()
        .apply_for_account(pb::ApplyForAccountRequest {
            application: Some(application("Three BV", "three@three.example")),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted);
    assert_eq!(error_reason(&limited), "RATE_LIMITED");
    assert!(limited.get_error_details().retry_info().is_some());
}
