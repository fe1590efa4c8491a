use std::collections::BTreeMap;

use super::*;
use crate::identity::records::{Address, ApplicationState, UserState};

fn gretchen() -> User {
    User {
        id: "u-1".into(),
        account_id: Some("acc".into()),
        unit_id: None,
        email: "gretchen@datenschutz.example".into(),
        display_name: "Gretchen Datenschutz".into(),
        roles: vec![],
        state: UserState::Active,
        assigned_accounts: vec![],
        territories: vec![],
        created: 0,
    }
}

fn person() -> Person {
    Person::of(
        &gretchen(),
        vec!["Gretchen's iPhone".into(), "Laptop".into(), "d".into()],
    )
}

fn event(actor: &str, details: &[(&str, &str)]) -> AuditEvent {
    let mut e = AuditEvent::new("x", actor, Some("acc"), 0);
    e.details = details
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect::<BTreeMap<_, _>>();
    e
}

fn contact(name: &str, email: &str) -> Contact {
    Contact {
        name: name.into(),
        email: email.into(),
        ..Contact::default()
    }
}

#[test]
fn the_user_record_keeps_only_its_id() {
    let erased = user(&gretchen());
    assert_eq!(erased.id, "u-1");
    assert_eq!(erased.display_name, ERASED_NAME);
    assert!(!erased.email.contains("gretchen"));
    assert_eq!(erased.state, UserState::Disabled);
    // Erasing again finds nobody by the pseudonyms.
    let again = Person::of(&erased, vec![]);
    assert!(!again.named_in("Erased user"));
}

/// (whose event, details before, details after; `None` = unchanged).
#[test]
fn audit_details_lose_the_person_and_nobody_else() {
    type Row = (
        &'static str,
        &'static [(&'static str, &'static str)],
        Option<&'static [(&'static str, &'static str)]>,
    );
    let table: &[Row] = &[
        (
            "u-1",
            &[("device", "Gretchen's iPhone")],
            Some(&[("device", ERASED)]),
        ),
        ("u-1", &[("device", "d")], Some(&[("device", ERASED)])),
        (
            "u-1",
            &[("device", "Laptop"), ("roles", "buyer")],
            Some(&[("device", ERASED), ("roles", "buyer")]),
        ),
        ("u-2", &[("device", "Laptop")], None),
        (
            "u-2",
            &[("note", "called GRETCHEN DATENSCHUTZ")],
            Some(&[("note", ERASED)]),
        ),
        (
            "u-2",
            &[("email", "Gretchen@Datenschutz.example")],
            Some(&[("email", ERASED)]),
        ),
        ("u-2", &[("legal_name", "Datenschutz Handel GmbH")], None),
        ("u-2", &[("device", "Gretchen's iPhone")], None),
        ("u-1", &[("roles", "buyer")], None),
    ];
    for (actor, before, after) in table {
        let e = event(actor, before);
        let got = audit_event(&e, &person());
        let want = after.map(|a| event(actor, a));
        assert_eq!(got, want, "{actor} {before:?}");
    }
    let mut targeted = event("admin", &[("device", "Laptop")]);
    targeted.target_id = "u-1".into();
    assert!(
        audit_event(&targeted, &person()).is_some(),
        "events about them are theirs"
    );
}

#[test]
fn applications_and_accounts_lose_the_person() {
    let a = Application {
        id: "app".into(),
        legal_name: "Datenschutz Handel GmbH".into(),
        tax_id: "DE1".into(),
        contacts: vec![
            contact("Gretchen Datenschutz", "g@other.example"),
            contact("G. D.", "GRETCHEN@datenschutz.example"),
            contact("Hans Hauser", "hans@datenschutz.example"),
        ],
        billing_address: Address::default(),
        shipping_addresses: vec![],
        requested_payment_terms: String::new(),
        admin_email: "gretchen@datenschutz.example".into(),
        admin_name: "Gretchen D.".into(),
        state: ApplicationState::Approved,
        rejection_reason: String::new(),
        account_id: Some("acc".into()),
        created: 0,
    };
    let next = application(&a, &person()).unwrap();
    assert_eq!(next.admin_email, ERASED);
    assert_eq!(next.admin_name, ERASED);
    assert_eq!(
        next.contacts,
        [contact("Hans Hauser", "hans@datenschutz.example")]
    );
    assert_eq!(next.legal_name, a.legal_name);
    assert_eq!(application(&next, &person()), None, "nothing left to erase");

    let mut account = Account::for_tests("acc", "");
    account.contacts = a.contacts.clone();
    let next = account_without(&account);
    assert_eq!(next.contacts.len(), 1);
    account.contacts.truncate(0);
    assert_eq!(super::account(&account, &person()), None);
}

fn account_without(a: &Account) -> Account {
    super::account(a, &person()).unwrap()
}

#[test]
fn sessions_end_nameless() {
    let s = Session {
        id: "dev_1".into(),
        user_id: "u-1".into(),
        device_name: "Gretchen's iPhone".into(),
        created: 0,
        last_used: 0,
        revoked: false,
        refresh_hash: String::new(),
        refresh_expires: 0,
        access_hash: String::new(),
        access_expires: 0,
    };
    let ended = session(&s).unwrap();
    assert!(ended.revoked && ended.device_name.is_empty());
    assert_eq!(session(&ended), None);
}

#[test]
fn short_names_are_not_searched_for() {
    let p = Person::of(
        &User {
            display_name: "Al".into(),
            ..gretchen()
        },
        vec![],
    );
    assert!(!p.named_in("Alpine Valves"));
    assert!(p.named_in("gretchen@datenschutz.example"));
}

#[test]
fn an_application_the_person_administers_teaches_the_name_it_gave() {
    let mut a = Application {
        id: "app".into(),
        legal_name: "Datenschutz Handel GmbH".into(),
        tax_id: "DE1".into(),
        contacts: vec![],
        billing_address: Address::default(),
        shipping_addresses: vec![],
        requested_payment_terms: String::new(),
        admin_email: "GRETCHEN@datenschutz.example".into(),
        admin_name: "Grete D.".into(),
        state: ApplicationState::Approved,
        rejection_reason: String::new(),
        account_id: Some("acc".into()),
        created: 0,
    };
    let mut p = person();
    p.learn_from(&a);
    assert!(p.named_in("signed by Grete D."));
    a.admin_email = "hans@datenschutz.example".into();
    a.admin_name = "Hans H.".into();
    p.learn_from(&a);
    assert!(
        !p.named_in("signed by Hans H."),
        "another admin is not them"
    );
}
