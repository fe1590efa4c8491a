#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use rust_decimal_macros::dec;

use super::*;

fn authorised(gateway: &TestGateway, order_id: &str, amount: Decimal) -> Authorization {
    gateway
        .authorize(order_id, amount, "EUR", "tok_visa")
        .unwrap()
}

fn rejected_code(err: GatewayError) -> String {
    match err {
        GatewayError::Rejected { code, .. } => code,
        other => panic!("{other:?}"),
    }
}

#[test]
fn good_tokens_authorise_with_sequential_ids() {
    let g = TestGateway::new();
    let a = g
        .authorize("ord-1", dec!(119.00), "EUR", "tok_visa")
        .unwrap();
    assert_eq!(
        a,
        Authorization {
            id: "auth_000001".into(),
            amount: dec!(119.00),
            currency: "EUR".into(),
        }
    );
    let b = g
        .authorize("ord-2", dec!(5), "USD", "tok_mastercard")
        .unwrap();
    assert_eq!(b.id, "auth_000002");
    assert!(g.authorize("ord-3", dec!(1), "EUR", "tok_amex").is_ok());
    let held = g.authorization("auth_000001").unwrap();
    assert_eq!(
        (held.order_id.as_str(), held.captured, held.voided),
        ("ord-1", dec!(0), false)
    );
}

#[test]
fn declining_tokens_decline_with_their_code() {
    let g = TestGateway::new();
    for (token, code) in [
        ("tok_declined", "card_declined"),
        ("tok_insufficient_funds", "insufficient_funds"),
        ("tok_expired_card", "expired_card"),
        ("tok_nobody_knows", "invalid_token"),
        ("", "invalid_token"),
    ] {
        match g.authorize("ord-1", dec!(10), "EUR", token) {
            Err(GatewayError::Declined { code: got, message }) => {
                assert_eq!(got, code, "{token}");
                assert!(!message.is_empty());
            }
            other => panic!("{token}: {other:?}"),
        }
    }
    assert!(
        g.authorization("auth_000001").is_none(),
        "a decline holds nothing"
    );
}

#[test]
fn unavailability_is_retryable_and_a_decline_is_not() {
    let g = TestGateway::new();
    let down = g
        .authorize("ord-1", dec!(10), "EUR", "tok_unavailable")
        .unwrap_err();
    assert!(matches!(down, GatewayError::Unavailable { .. }));
    assert!(down.is_retryable());
    let declined = g
        .authorize("ord-1", dec!(10), "EUR", "tok_declined")
        .unwrap_err();
    assert!(!declined.is_retryable());

    let a = authorised(&g, "ord-1", dec!(10));
    g.set_unavailable(true);
    assert!(matches!(
        g.authorize("ord-2", dec!(10), "EUR", "tok_visa"),
        Err(GatewayError::Unavailable { .. })
    ));
    assert!(matches!(
        g.capture(&a.id, dec!(1)),
        Err(GatewayError::Unavailable { .. })
    ));
    assert!(matches!(
        g.void(&a.id),
        Err(GatewayError::Unavailable { .. })
    ));
    g.set_unavailable(false);
    assert_eq!(g.capture(&a.id, dec!(1)).unwrap().amount, dec!(1));
}

#[test]
fn retrying_an_authorisation_gets_the_same_one_back() {
    let g = TestGateway::new();
    let first = authorised(&g, "ord-1", dec!(50));
    assert_eq!(authorised(&g, "ord-1", dec!(50)), first);
    assert_ne!(
        authorised(&g, "ord-1", dec!(60)).id,
        first.id,
        "another amount is another authorisation"
    );
    g.void(&first.id).unwrap();
    assert_ne!(
        authorised(&g, "ord-1", dec!(50)).id,
        first.id,
        "a voided one is not handed back"
    );
}

#[test]
fn partial_captures_accumulate_up_to_the_authorised_amount() {
    let g = TestGateway::new();
    let a = authorised(&g, "ord-1", dec!(100.00));
    let c1 = g.capture(&a.id, dec!(33.33)).unwrap();
    assert_eq!(
        c1,
        Capture {
            id: "cap_000001".into(),
            authorization_id: a.id.clone(),
            amount: dec!(33.33),
            captured_total: dec!(33.33),
            remaining: dec!(66.67),
        }
    );
    let c2 = g.capture(&a.id, dec!(33.34)).unwrap();
    assert_eq!(
        (c2.id.as_str(), c2.captured_total),
        ("cap_000002", dec!(66.67))
    );
    let c3 = g.capture(&a.id, dec!(33.33)).unwrap();
    assert_eq!((c3.captured_total, c3.remaining), (dec!(100.00), dec!(0)));
    assert_eq!(g.authorization(&a.id).unwrap().captured, dec!(100.00));
}

#[test]
fn capturing_more_than_remains_authorised_is_refused_and_takes_nothing() {
    let g = TestGateway::new();
    let a = authorised(&g, "ord-1", dec!(100));
    assert_eq!(
        rejected_code(g.capture(&a.id, dec!(100.01)).unwrap_err()),
        "amount_exceeds_authorization"
    );
    g.capture(&a.id, dec!(70)).unwrap();
    let over = g.capture(&a.id, dec!(30.01)).unwrap_err();
    assert!(!over.is_retryable());
    assert_eq!(rejected_code(over), "amount_exceeds_authorization");
    assert_eq!(g.authorization(&a.id).unwrap().captured, dec!(70));
    let rest = g.capture(&a.id, dec!(30)).unwrap();
    assert_eq!(rest.id, "cap_000002", "refused captures use no id");
    assert_eq!(
        rejected_code(g.capture(&a.id, dec!(0.01)).unwrap_err()),
        "amount_exceeds_authorization"
    );
}

#[test]
fn invalid_amounts_and_currencies_are_rejected() {
    let g = TestGateway::new();
    for (amount, currency, code) in [
        (dec!(0), "EUR", "invalid_amount"),
        (dec!(-5), "EUR", "invalid_amount"),
        (dec!(1.005), "EUR", "invalid_amount"),
        (dec!(10.5), "JPY", "invalid_amount"),
        (dec!(10), "eur", "invalid_currency"),
        (dec!(10), "EURO", "invalid_currency"),
    ] {
        let err = g
            .authorize("ord-1", amount, currency, "tok_visa")
            .unwrap_err();
        assert_eq!(rejected_code(err), code, "{amount} {currency}");
    }
    assert!(g.authorize("ord-1", dec!(1.500), "EUR", "tok_visa").is_ok());
    assert!(g.authorize("ord-1", dec!(1.005), "KWD", "tok_visa").is_ok());
    let a = authorised(&g, "ord-2", dec!(10));
    assert_eq!(
        rejected_code(g.capture(&a.id, dec!(0)).unwrap_err()),
        "invalid_amount"
    );
}

#[test]
fn a_void_releases_the_rest_and_stops_further_captures() {
    let g = TestGateway::new();
    let a = authorised(&g, "ord-1", dec!(100));
    g.capture(&a.id, dec!(40)).unwrap();
    g.void(&a.id).unwrap();
    g.void(&a.id).unwrap();
    let held = g.authorization(&a.id).unwrap();
    assert!(held.voided);
    assert_eq!(held.captured, dec!(40), "what was captured stays");
    assert_eq!(
        rejected_code(g.capture(&a.id, dec!(1)).unwrap_err()),
        "authorization_voided"
    );

    let full = authorised(&g, "ord-2", dec!(10));
    g.capture(&full.id, dec!(10)).unwrap();
    assert_eq!(
        rejected_code(g.void(&full.id).unwrap_err()),
        "already_captured"
    );
}

#[test]
fn unknown_authorisations_are_rejected() {
    let g = TestGateway::new();
    assert_eq!(
        rejected_code(g.capture("auth_999999", dec!(1)).unwrap_err()),
        "unknown_authorization"
    );
    assert_eq!(
        rejected_code(g.void("auth_999999").unwrap_err()),
        "unknown_authorization"
    );
}

#[test]
fn it_serves_as_a_shared_gateway_across_threads() {
    let g: Arc<dyn PaymentGateway> = Arc::new(TestGateway::new());
    let a = g.authorize("ord-1", dec!(100), "EUR", "tok_visa").unwrap();
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let g = Arc::clone(&g);
            let id = a.id.clone();
            std::thread::spawn(move || g.capture(&id, dec!(15)).is_ok())
        })
        .collect();
    let captured = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(captured, 6, "6 × 15 fit in 100, the 7th does not");
}
