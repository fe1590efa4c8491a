use super::*;
use crate::identity::records::ApplicationState;

fn good() -> Application {
    Application {
        id: "app_1".into(),
        legal_name: "Groot Techniek BV".into(),
        tax_id: "NL123456789B01".into(),
        contacts: vec![Contact {
            name: "Greta Groot".into(),
            email: "greta@groot.example".into(),
            phone: "+31 10 123 4567".into(),
            function: "purchasing".into(),
        }],
        billing_address: Address {
            line1: "Kade 1".into(),
            city: "Rotterdam".into(),
            country_code: "NL".into(),
            ..Address::default()
        },
        shipping_addresses: vec![Address {
            country_code: "BE".into(),
            ..Address::default()
        }],
        requested_payment_terms: "net 30".into(),
        admin_email: "greta@groot.example".into(),
        admin_name: "Greta Groot".into(),
        state: ApplicationState::Pending,
        rejection_reason: String::new(),
        account_id: None,
        created: 0,
    }
}

fn bad_fields(result: Result<impl std::fmt::Debug, DomainError>) -> Vec<String> {
    match result {
        Err(DomainError::InvalidArgument { violations, .. }) => {
            violations.into_iter().map(|v| v.field).collect()
        }
        other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
    }
}

const ESC: &str = "\u{1b}[2J\u{1b}[31m";

/// Each row spoils one field of a good application; the violation names it.
#[test]
fn every_application_text_field_is_checked() {
    type Spoil = fn(&mut Application);
    let table: &[(&str, Spoil)] = &[
        ("application.legal_name", |a| {
            a.legal_name = "x".repeat(100_000)
        }),
        ("application.legal_name", |a| {
            a.legal_name = format!("Groot{ESC}")
        }),
        ("application.legal_name", |a| a.legal_name = " ".into()),
        ("application.tax_id", |a| a.tax_id = "NL1\0".into()),
        ("application.tax_id", |a| a.tax_id = "1".repeat(65)),
        ("application.contacts[0].name", |a| {
            a.contacts[0].name = "G\nG".into()
        }),
        ("application.contacts[0].name", |a| {
            a.contacts[0].name = String::new()
        }),
        ("application.contacts[0].email", |a| {
            a.contacts[0].email = "g@groot.example\r\nBcc: x@y.example".into()
        }),
        ("application.contacts[0].phone", |a| {
            a.contacts[0].phone = "9".repeat(41)
        }),
        ("application.contacts[0].function", |a| {
            a.contacts[0].function = format!("boss{ESC}")
        }),
        ("application.billing_address.line1", |a| {
            a.billing_address.line1 = "a\u{202E}b".into()
        }),
        ("application.billing_address.line2", |a| {
            a.billing_address.line2 = "a\rb".into()
        }),
        ("application.billing_address.city", |a| {
            a.billing_address.city = "c".repeat(201)
        }),
        ("application.billing_address.postal_code", |a| {
            a.billing_address.postal_code = "\u{7f}".into()
        }),
        ("application.billing_address.region", |a| {
            a.billing_address.region = "r\nx".into()
        }),
        ("application.billing_address.country_code", |a| {
            a.billing_address.country_code = "Netherlands".into()
        }),
        ("application.billing_address.country_code", |a| {
            a.billing_address.country_code = String::new()
        }),
        ("application.shipping_addresses[0].city", |a| {
            a.shipping_addresses[0].city = format!("x{ESC}")
        }),
        ("application.shipping_addresses[0].country_code", |a| {
            a.shipping_addresses[0].country_code = "be".into()
        }),
        ("application.requested_payment_terms", |a| {
            a.requested_payment_terms = "net\u{0}30".into()
        }),
        ("application.admin_email", |a| {
            a.admin_email = "greta@groot.example\r\nBcc: all@x.example".into()
        }),
        ("application.admin_email", |a| {
            a.admin_email = "Greta <greta@groot.example>".into()
        }),
        ("application.admin_email", |a| {
            a.admin_email = format!("{}@x.example", "g".repeat(300))
        }),
        ("application.admin_name", |a| a.admin_name = "n".repeat(201)),
        ("application.admin_name", |a| {
            a.admin_name = format!("Greta{ESC}")
        }),
    ];
    for (field, spoil) in table {
        let mut application = good();
        spoil(&mut application);
        assert_eq!(bad_fields(super::application(&application)), [*field]);
    }
}

#[test]
fn a_good_application_comes_back_trimmed() {
    let mut a = good();
    a.legal_name = "  Groot Techniek BV ".into();
    a.admin_email = " greta@groot.example\t".into();
    let checked = application(&a).unwrap();
    assert_eq!(checked.legal_name, "Groot Techniek BV");
    assert_eq!(checked.admin_email, "greta@groot.example");
    assert_eq!(checked.id, "app_1");
}

#[test]
fn invitations_labels_codes_and_reasons() {
    assert_eq!(
        invitee(" Ann@x.example ", " Ann ").unwrap(),
        ("Ann@x.example".to_string(), "Ann".to_string())
    );
    assert_eq!(
        bad_fields(invitee(
            "ann@x.example\r\nBcc: b@x.example",
            &"A".repeat(201)
        )),
        ["email", "display_name"]
    );
    assert_eq!(
        bad_fields(invitee("ann@x.example", "Ann\u{1b}[1m")),
        ["display_name"]
    );

    assert_eq!(
        label("device_name", " Greta's iPhone ", false).unwrap(),
        "Greta's iPhone"
    );
    assert_eq!(label("device_name", "", false).unwrap(), "");
    assert_eq!(
        bad_fields(label("device_name", "iPhone\u{1b}[2J", false)),
        ["device_name"]
    );
    assert_eq!(
        bad_fields(label("device_name", &"d".repeat(121), false)),
        ["device_name"]
    );
    assert_eq!(bad_fields(label("name", "", true)), ["name"]);
    match label("name", " ", true) {
        Err(DomainError::InvalidArgument { reason, .. }) => assert_eq!(reason, "NAME_REQUIRED"),
        other => panic!("{other:?}"),
    }

    let mut check = TextCheck::new();
    assert_eq!(code(&mut check, "tier", " gold ", true), "gold");
    code(&mut check, "territories[0]", "north\u{0}", true);
    code(&mut check, "territory", "", false);
    assert_eq!(
        bad_fields(check.finish("INVALID_ASSIGNMENT")),
        ["territories[0]"]
    );

    assert_eq!(
        reason("incomplete\r\ntax id missing").unwrap(),
        "incomplete\ntax id missing"
    );
    assert_eq!(bad_fields(reason("no\u{1b}[31m")), ["reason"]);
    match reason("  ") {
        Err(DomainError::InvalidArgument { reason, .. }) => assert_eq!(reason, "REASON_REQUIRED"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn profile_addresses_need_a_street_and_city() {
    let mut check = TextCheck::new();
    address(
        &mut check,
        "profile.billing_address",
        &Address {
            country_code: "DE".into(),
            ..Address::default()
        },
        AddressNeeds::Street,
    );
    assert_eq!(
        bad_fields(check.finish("INVALID_PROFILE")),
        [
            "profile.billing_address.line1",
            "profile.billing_address.city"
        ]
    );
}
