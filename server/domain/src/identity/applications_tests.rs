use rust_decimal_macros::dec;

use super::*;
use crate::identity::Role;
use crate::identity::records::UserState;

fn application(state: ApplicationState, created: Millis) -> Application {
    Application {
        id: format!("app-{created}"),
        legal_name: "Nordlicht GmbH".into(),
        tax_id: "DE123".into(),
        contacts: vec![],
        billing_address: Address::default(),
        shipping_addresses: vec![
            Address {
                city: "Hamburg".into(),
                ..Address::default()
            },
            Address {
                city: "Kiel".into(),
                ..Address::default()
            },
        ],
        requested_payment_terms: "net 30".into(),
        admin_email: "admin@nordlicht.example".into(),
        admin_name: "Ada".into(),
        state,
        rejection_reason: String::new(),
        account_id: None,
        created,
    }
}

fn decision() -> ApplicationDecision {
    ApplicationDecision {
        tier: "gold".into(),
        credit_limit: "5000.00".into(),
        currency: " eur ".into(),
        sales_rep_id: String::new(),
        territory: "north".into(),
    }
}

fn user(account: Option<&str>, roles: &[Role]) -> User {
    User {
        id: "rep".into(),
        account_id: account.map(Into::into),
        unit_id: None,
        email: "rep@tradeport.example".into(),
        display_name: "Rep".into(),
        roles: roles.to_vec(),
        state: UserState::Active,
        assigned_accounts: vec![],
        territories: vec![],
        created: 0,
    }
}

fn violations(err: DomainError) -> (&'static str, Vec<String>) {
    match err {
        DomainError::InvalidArgument { reason, violations } => {
            (reason, violations.into_iter().map(|v| v.field).collect())
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pending_applications_come_first_then_the_newest() {
    let all = vec![
        application(ApplicationState::Approved, 5),
        application(ApplicationState::Pending, 1),
        application(ApplicationState::Rejected, 9),
        application(ApplicationState::Pending, 3),
    ];
    let order: Vec<Millis> = for_review(all.clone(), None)
        .iter()
        .map(|a| a.created)
        .collect();
    assert_eq!(order, vec![3, 1, 9, 5]);
    let approved = for_review(all, Some(ApplicationState::Approved));
    assert_eq!(approved.len(), 1);
}

#[test]
fn a_decided_application_is_not_decided_again() {
    assert!(ensure_pending(&application(ApplicationState::Pending, 0)).is_ok());
    let err = ensure_pending(&application(ApplicationState::Rejected, 0)).unwrap_err();
    assert_eq!(
        err,
        DomainError::precondition("APPLICATION_DECIDED", "the application is already rejected")
    );
}

#[test]
fn an_approval_is_checked_and_its_currency_normalised() {
    let terms = approval_terms(&decision(), None).unwrap();
    assert_eq!(
        terms,
        ApprovalTerms {
            tier: "gold".into(),
            credit_limit: dec!(5000.00),
            currency: "EUR".into(),
            territory: "north".into(),
        }
    );
}

#[test]
fn every_bad_term_of_an_approval_is_named_at_once() {
    let bad = ApplicationDecision {
        tier: String::new(),
        credit_limit: "-1".into(),
        currency: "euro".into(),
        sales_rep_id: "rep".into(),
        territory: String::new(),
    };
    let (reason, fields) = violations(approval_terms(&bad, None).unwrap_err());
    assert_eq!(reason, "INVALID_APPROVAL");
    assert_eq!(
        fields,
        [
            "tier",
            "credit_limit.amount",
            "credit_limit.currency_code",
            "sales_rep_id"
        ]
    );
    let not_a_number = ApplicationDecision {
        credit_limit: "lots".into(),
        ..decision()
    };
    let (_, fields) = violations(approval_terms(&not_a_number, None).unwrap_err());
    assert_eq!(fields, ["credit_limit.amount"]);
}

#[test]
fn only_a_brand_sales_rep_is_given_the_new_account() {
    let with_rep = ApplicationDecision {
        sales_rep_id: "rep".into(),
        ..decision()
    };
    let rep = user(None, &[Role::SalesRep]);
    assert!(approval_terms(&with_rep, Some(&rep)).is_ok());
    for not_a_rep in [
        user(None, &[Role::BrandAdmin]),
        user(Some("acc"), &[Role::SalesRep]),
    ] {
        let (_, fields) = violations(approval_terms(&with_rep, Some(&not_a_rep)).unwrap_err());
        assert_eq!(fields, ["sales_rep_id"]);
    }
}

#[test]
fn an_approved_application_opens_its_account() {
    let pending = application(ApplicationState::Pending, 7);
    let terms = approval_terms(&decision(), None).unwrap();
    let account = opened_account(
        &pending,
        terms,
        "acc".into(),
        vec!["shp-1".into(), "shp-2".into()],
        42,
    );
    assert_eq!(account.id, "acc");
    assert_eq!(
        (account.tier.as_str(), account.currency.as_str()),
        ("gold", "EUR")
    );
    assert_eq!(account.payment_terms, "net 30");
    let labels: Vec<_> = account
        .ship_to
        .iter()
        .map(|s| (s.id.as_str(), s.label.as_str()))
        .collect();
    assert_eq!(labels, [("shp-1", "Hamburg"), ("shp-2", "Kiel")]);
    assert_eq!(account.invoicing.invoice_title, "Nordlicht GmbH");
    assert_eq!(account.created, 42);

    let approved = approved(&pending, "acc");
    assert_eq!(approved.state, ApplicationState::Approved);
    assert_eq!(approved.account_id.as_deref(), Some("acc"));
    let rejected = rejected(&pending, "no tax id");
    assert_eq!(rejected.state, ApplicationState::Rejected);
    assert_eq!(rejected.rejection_reason, "no tax id");
}

#[test]
fn a_submitted_application_is_pending_and_trimmed() {
    let new = NewApplication {
        legal_name: "  Nordlicht GmbH ".into(),
        tax_id: "DE123".into(),
        billing_address: Address {
            country_code: "DE".into(),
            ..Address::default()
        },
        admin_email: "admin@nordlicht.example".into(),
        admin_name: "Ada".into(),
        ..NewApplication::default()
    };
    let application = submitted(new, "app-1".into(), 5).unwrap();
    assert_eq!(application.state, ApplicationState::Pending);
    assert_eq!(application.legal_name, "Nordlicht GmbH");
    assert_eq!((application.id.as_str(), application.created), ("app-1", 5));
}
