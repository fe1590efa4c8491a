#![allow(clippy::unwrap_used)]

use rust_decimal_macros::dec;
use time::macros::date;

use super::*;

fn account(methods: &[PaymentMethodKind]) -> AccountPayment {
    AccountPayment::new(
        methods.to_vec(),
        PaymentTerms::parse("2/10 net 30").unwrap(),
    )
    .unwrap()
}

fn request(method: PaymentMethodKind) -> PaymentRequest {
    PaymentRequest {
        method: Some(method),
        ..PaymentRequest::default()
    }
}

/// The reason and the fields an invalid-argument error names.
fn fields(err: DomainError) -> (&'static str, Vec<String>) {
    match err {
        DomainError::InvalidArgument { reason, violations } => {
            (reason, violations.into_iter().map(|v| v.field).collect())
        }
        other => panic!("{other:?}"),
    }
}

// Pro-forma references.

#[test]
fn the_proforma_reference_is_the_order_number_with_mod_97_check_digits() {
    assert_eq!(proforma_reference("SO-2026-000123"), "PF-SO-2026-000123-19");
    assert_eq!(proforma_reference("SO-2026-000124"), "PF-SO-2026-000124-16");
    assert_eq!(proforma_reference("SO-2026-000001"), "PF-SO-2026-000001-94");
    assert_eq!(
        proforma_reference("SO-2026-000123"),
        proforma_reference("SO-2026-000123"),
        "deterministic"
    );
    assert!(is_valid_proforma_reference("PF-SO-2026-000123-19"));
    assert!(is_valid_proforma_reference(" pf-so-2026-000123-19 "));
    assert!(is_valid_proforma_reference("PF-SO-2026 000123-19"));
}

#[test]
fn the_check_digits_catch_a_mistyped_digit_and_swapped_neighbours() {
    let good = proforma_reference("SO-2026-000123");
    let chars: Vec<char> = good.chars().collect();
    for i in 0..chars.len() {
        if !chars[i].is_ascii_digit() {
            continue;
        }
        for d in '0'..='9' {
            if d == chars[i] {
                continue;
            }
            let mut typo = chars.clone();
            typo[i] = d;
            let typo: String = typo.into_iter().collect();
            assert!(!is_valid_proforma_reference(&typo), "{typo}");
        }
    }
    for i in 0..chars.len() - 1 {
        if chars[i] == chars[i + 1] || chars[i] == '-' || chars[i + 1] == '-' {
            continue;
        }
        let mut swapped = chars.clone();
        swapped.swap(i, i + 1);
        let swapped: String = swapped.into_iter().collect();
        assert!(!is_valid_proforma_reference(&swapped), "{swapped}");
    }
    for bad in [
        "",
        "PF-",
        "PF--19",
        "SO-2026-000123-19",
        "PF-SO-2026-000123",
        "PF-SO-2026-000123-1",
        "PF-SO-2026-000123-019",
        "PF-SO-2026-000123-1X",
        "PF-SO-2026-000123/19",
    ] {
        assert!(!is_valid_proforma_reference(bad), "{bad:?}");
    }
}

// Methods and choosing one.

#[test]
fn method_names_parse_and_print_the_same() {
    for kind in PaymentMethodKind::ALL {
        assert_eq!(
            PaymentMethodKind::parse("payment.method", kind.as_str()).unwrap(),
            kind
        );
    }
    assert_eq!(
        PaymentMethodKind::parse("payment.method", " Bank_Transfer ").unwrap(),
        PaymentMethodKind::BankTransfer
    );
    let (reason, f) = fields(PaymentMethodKind::parse("payment.method", "cheque").unwrap_err());
    assert_eq!(
        (reason, f),
        ("INVALID_PAYMENT", vec!["payment.method".into()])
    );
}

#[test]
fn the_default_is_on_account_on_the_accounts_terms_then_bank_transfer() {
    let a = AccountPayment::default_for("2/10 net 30").unwrap();
    assert_eq!(
        a.methods,
        [
            PaymentMethodKind::OnAccount,
            PaymentMethodKind::BankTransfer
        ]
    );
    assert_eq!(a.terms.to_string(), "2/10 net 30");
    assert_eq!(
        AccountPayment::default_for("prepayment").unwrap().methods,
        [PaymentMethodKind::BankTransfer],
        "prepayment gives no credit"
    );
    let (reason, f) = fields(AccountPayment::default_for("whenever").unwrap_err());
    assert_eq!(
        (reason, f),
        ("INVALID_PAYMENT_TERMS", vec!["payment_terms".into()])
    );
}

#[test]
fn the_brand_sets_at_least_one_method_none_twice_and_on_account_only_with_credit() {
    use PaymentMethodKind::*;
    let (reason, f) = fields(AccountPayment::new(vec![], PaymentTerms::net(30)).unwrap_err());
    assert_eq!(
        (reason, f),
        ("INVALID_PAYMENT_METHODS", vec!["payment_methods".into()])
    );
    let (_, f) = fields(
        AccountPayment::new(vec![Card, OnAccount, Card], PaymentTerms::Prepayment).unwrap_err(),
    );
    assert_eq!(f, ["payment_methods[1]", "payment_methods[2]"]);
}

#[test]
fn a_method_the_account_does_not_allow_is_refused_on_payment_method() {
    let a = AccountPayment::default_for("net 30").unwrap();
    for method in [PaymentMethodKind::Card, PaymentMethodKind::DigitalCurrency] {
        let mut r = request(method);
        r.card_token = "tok_visa".into();
        r.network = "BTC".into();
        r.external_reference = "abc".into();
        let (reason, f) = fields(choose(&a, &r).unwrap_err());
        assert_eq!(reason, "PAYMENT_METHOD_NOT_ALLOWED", "{method:?}");
        assert_eq!(f, ["payment.method"], "{method:?}");
    }
    let nothing = AccountPayment {
        methods: vec![],
        terms: PaymentTerms::net(30),
    };
    let (reason, f) = fields(choose(&nothing, &PaymentRequest::default()).unwrap_err());
    assert_eq!(
        (reason, f),
        ("PAYMENT_METHOD_NOT_ALLOWED", vec!["payment.method".into()])
    );
}

#[test]
fn no_method_means_the_accounts_default_on_its_terms() {
    let a = AccountPayment::default_for("2/10 net 30").unwrap();
    assert_eq!(
        choose(&a, &PaymentRequest::default()).unwrap(),
        Chosen::OnAccount { terms: a.terms }
    );
    assert_eq!(
        choose(&a, &request(PaymentMethodKind::BankTransfer)).unwrap(),
        Chosen::BankTransfer
    );
}

#[test]
fn a_card_payment_needs_a_token_without_spaces() {
    let a = account(&[PaymentMethodKind::Card]);
    let mut r = request(PaymentMethodKind::Card);
    r.card_token = "  tok_visa ".into();
    assert_eq!(
        choose(&a, &r).unwrap(),
        Chosen::Card {
            card_token: "tok_visa".into()
        }
    );
    for bad in ["", "   ", "tok visa", "tok_\u{7}", &"t".repeat(256)] {
        r.card_token = bad.to_string();
        let (reason, f) = fields(choose(&a, &r).unwrap_err());
        assert_eq!(reason, "INVALID_PAYMENT", "{bad:?}");
        assert_eq!(f, ["payment.card_token"], "{bad:?}");
    }
}

#[test]
fn a_digital_currency_payment_needs_a_network_and_a_printable_reference_of_at_most_128() {
    let a = account(&[PaymentMethodKind::DigitalCurrency]);
    let mut r = request(PaymentMethodKind::DigitalCurrency);
    r.network = " USDC on Ethereum ".into();
    r.external_reference = "0xabc123".into();
    assert_eq!(
        choose(&a, &r).unwrap(),
        Chosen::DigitalCurrency {
            network: "USDC on Ethereum".into(),
            external_reference: "0xabc123".into(),
        }
    );
    r.external_reference = "x".repeat(128);
    assert!(choose(&a, &r).is_ok(), "128 is allowed");
    for bad in [
        String::new(),
        "  ".into(),
        "x".repeat(129),
        "line\nbreak".into(),
        "tab\there".into(),
        "zürich".into(),
    ] {
        r.external_reference = bad.clone();
        let (reason, f) = fields(choose(&a, &r).unwrap_err());
        assert_eq!(reason, "INVALID_PAYMENT", "{bad:?}");
        assert_eq!(f, ["payment.external_reference"], "{bad:?}");
    }
    let empty = request(PaymentMethodKind::DigitalCurrency);
    let (_, f) = fields(choose(&a, &empty).unwrap_err());
    assert_eq!(f, ["payment.network", "payment.external_reference"]);
}

#[test]
fn another_methods_fields_are_refused_by_name() {
    let a = AccountPayment::default_for("net 30").unwrap();
    let r = PaymentRequest {
        method: Some(PaymentMethodKind::OnAccount),
        card_token: "tok_visa".into(),
        network: "BTC".into(),
        external_reference: "abc".into(),
    };
    let (reason, f) = fields(choose(&a, &r).unwrap_err());
    assert_eq!(reason, "INVALID_PAYMENT");
    assert_eq!(
        f,
        [
            "payment.card_token",
            "payment.network",
            "payment.external_reference"
        ]
    );
}

// The payment record.

#[test]
fn recording_a_choice_gives_each_methods_record_and_authorises_only_cards() {
    let number = "SO-2026-000123";
    let no_card = |_: &str| -> Result<CardPayment, &'static str> { Err("not a card payment") };

    let on_account = Chosen::OnAccount {
        terms: PaymentTerms::net(30),
    };
    let mut p = on_account
        .record(number, dec!(119), "EUR", no_card)
        .unwrap();
    assert_eq!(
        p,
        Payment::OnAccount {
            terms: PaymentTerms::net(30),
            due_date: None
        }
    );
    p.invoiced(date!(2026 - 01 - 31));
    assert_eq!(
        p,
        Payment::OnAccount {
            terms: PaymentTerms::net(30),
            due_date: Some(date!(2026 - 03 - 02))
        }
    );

    let bank = Chosen::BankTransfer
        .record(number, dec!(119), "EUR", no_card)
        .unwrap();
    assert_eq!(
        bank,
        Payment::BankTransfer {
            reference: "PF-SO-2026-000123-19".into(),
            amount_due: dec!(119),
            currency: "EUR".into(),
        }
    );
    assert_eq!(bank.method(), PaymentMethodKind::BankTransfer);

    let card = Chosen::Card {
        card_token: "tok_visa".into(),
    };
    let paid = card
        .clone()
        .record(number, dec!(119), "EUR", |token| {
            assert_eq!(token, "tok_visa");
            Ok::<_, &str>(CardPayment::authorised("auth_000001", dec!(119), "EUR"))
        })
        .unwrap();
    assert_eq!(paid.card().unwrap().remaining(), dec!(119));
    assert_eq!(
        card.record(number, dec!(119), "EUR", |_| Err("declined")),
        Err("declined")
    );
}

#[test]
fn payments_round_trip_through_the_stores_encoding() {
    let mut on_account = Payment::OnAccount {
        terms: PaymentTerms::parse("2/10 net 30").unwrap(),
        due_date: None,
    };
    on_account.invoiced(date!(2028 - 02 - 29));
    let mut card = CardPayment::authorised("auth_000001", dec!(100.00), "EUR");
    card.record_capture(dec!(33.33)).unwrap();
    for p in [
        on_account,
        Payment::BankTransfer {
            reference: proforma_reference("SO-2026-000123"),
            amount_due: dec!(1234.50),
            currency: "EUR".into(),
        },
        Payment::Card(card),
        Payment::Card(CardPayment::declined("EUR", "insufficient_funds")),
        Payment::DigitalCurrency {
            network: "BTC".into(),
            external_reference: "f4184fc5".into(),
        },
    ] {
        let bytes = serde_cbor_2::to_vec(&p).unwrap();
        let back: Payment = serde_cbor_2::from_slice(&bytes).unwrap();
        assert_eq!(back, p);
    }
}

#[test]
fn a_declined_card_names_the_card_token() {
    match card_declined("insufficient_funds", "the card has insufficient funds") {
        DomainError::PreconditionFailed { reason, violations } => {
            assert_eq!(reason, "CARD_DECLINED");
            assert_eq!(violations[0].field, "payment.card_token");
            assert!(violations[0].description.contains("insufficient_funds"));
        }
        other => panic!("{other:?}"),
    }
}
