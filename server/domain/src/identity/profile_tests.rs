use rust_decimal::Decimal;

use super::*;

fn account() -> Account {
    Account {
        id: "acc".into(),
        legal_name: "Acme".into(),
        tax_id: "DE1".into(),
        tier: "gold".into(),
        credit_limit: Decimal::from(1000),
        currency: "EUR".into(),
        payment_terms: "net 30".into(),
        territory: String::new(),
        contacts: vec![],
        billing_address: Address::default(),
        ship_to: vec![],
        invoicing: Invoicing::default(),
        created: 0,
    }
}

fn address(cc: &str) -> Address {
    Address {
        line1: "Kai 1".into(),
        city: "Hamburg".into(),
        country_code: cc.into(),
        ..Address::default()
    }
}

fn fields(err: DomainError) -> Vec<String> {
    match err {
        DomainError::InvalidArgument { violations, .. } => {
            violations.into_iter().map(|v| v.field).collect()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn masks_name_known_editable_fields_only() {
    assert_eq!(parse_mask(&["invoicing".into()]).unwrap().len(), 3);
    assert!(parse_mask(&[]).is_err());
    let err = parse_mask(&["contacts".into(), "tier".into(), "colour".into()]).unwrap_err();
    assert_eq!(
        fields(err),
        ["update_mask.paths[1]", "update_mask.paths[2]"]
    );
}

#[test]
fn only_masked_fields_change() {
    let patch = ProfilePatch {
        billing_address: address("DE"),
        invoicing: Invoicing {
            invoice_title: "Acme GmbH".into(),
            ..Invoicing::default()
        },
        ..ProfilePatch::default()
    };
    let next = apply(
        &account(),
        patch,
        &[ProfileField::InvoicingTitle],
        &[Role::AccountAdmin],
    )
    .unwrap();
    assert_eq!(next.invoicing.invoice_title, "Acme GmbH");
    assert_eq!(next.billing_address, Address::default(), "not in the mask");
}

#[test]
fn finance_edits_invoicing_but_not_contacts() {
    let patch = ProfilePatch::default();
    assert!(matches!(
        apply(
            &account(),
            patch.clone(),
            &[ProfileField::Contacts],
            &[Role::Finance]
        ),
        Err(DomainError::PermissionDenied { .. })
    ));
    assert!(
        apply(
            &account(),
            patch.clone(),
            &[ProfileField::InvoicingTaxId],
            &[Role::Finance]
        )
        .is_ok()
    );
    assert!(
        apply(
            &account(),
            patch,
            &[ProfileField::InvoicingTaxId],
            &[Role::Buyer]
        )
        .is_err()
    );
}

#[test]
fn bad_values_name_their_fields() {
    let patch = ProfilePatch {
        contacts: vec![Contact {
            name: "".into(),
            email: "nope".into(),
            ..Contact::default()
        }],
        ship_to: vec![
            ShipTo {
                id: "a".into(),
                label: "x".into(),
                address: address("de"),
            },
            ShipTo {
                id: "a".into(),
                label: "y".into(),
                address: address("FR"),
            },
        ],
        ..ProfilePatch::default()
    };
    let err = apply(
        &account(),
        patch,
        &[ProfileField::Contacts, ProfileField::ShipTo],
        &[Role::AccountAdmin],
    )
    .unwrap_err();
    assert_eq!(
        fields(err),
        [
            "profile.contacts[0].name",
            "profile.contacts[0].email",
            "profile.ship_to_addresses[0].address.country_code",
            "profile.ship_to_addresses[1].id",
        ]
    );
}
