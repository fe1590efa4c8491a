#![allow(clippy::unwrap_used)]

use rust_decimal_macros::dec;
use time::macros::date;

use super::*;

fn terms(raw: &str) -> PaymentTerms {
    PaymentTerms::parse(raw).unwrap()
}

#[test]
fn parses_every_form_case_and_spacing_aside() {
    assert_eq!(terms("net 30"), PaymentTerms::net(30));
    assert_eq!(terms("  NET   60 "), PaymentTerms::net(60));
    assert_eq!(terms("net30"), PaymentTerms::net(30));
    assert_eq!(terms("Prepayment"), PaymentTerms::Prepayment);
    assert_eq!(terms("cash in advance"), PaymentTerms::Prepayment);
    assert_eq!(terms("due on receipt"), PaymentTerms::DueOnReceipt);
    assert_eq!(terms("Due upon  receipt"), PaymentTerms::DueOnReceipt);
    let discounted = PaymentTerms::Net {
        days: 30,
        early_payment: Some(EarlyPayment {
            percent: dec!(2),
            within_days: 10,
        }),
    };
    assert_eq!(terms("2/10 net 30"), discounted);
    assert_eq!(terms("2/10, Net 30"), discounted);
    assert_eq!(
        terms("1.5/15 net 45"),
        PaymentTerms::Net {
            days: 45,
            early_payment: Some(EarlyPayment {
                percent: dec!(1.5),
                within_days: 15,
            }),
        }
    );
}

#[test]
fn prints_canonically_and_round_trips_through_serde() {
    for (raw, canonical) in [
        ("NET 30", "net 30"),
        ("2/10, net 30", "2/10 net 30"),
        ("1.50/15 net 45", "1.5/15 net 45"),
        ("prepaid", "prepayment"),
        ("due upon receipt", "due on receipt"),
    ] {
        let t = terms(raw);
        assert_eq!(t.to_string(), canonical, "{raw}");
        assert_eq!(terms(canonical), t, "{raw}");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, format!("\"{canonical}\""));
        assert_eq!(serde_json::from_str::<PaymentTerms>(&json).unwrap(), t);
    }
    assert!(serde_json::from_str::<PaymentTerms>("\"net thirty\"").is_err());
}

#[test]
fn refuses_what_is_not_terms_naming_payment_terms() {
    for bad in [
        "",
        "net",
        "net thirty",
        "net -30",
        "net 0",
        "net 366",
        "net 30 days",
        "30 days",
        "2/10",
        "2/10 net",
        "2% 10 net 30",
        "0/10 net 30",
        "100/10 net 30",
        "2/0 net 30",
        "2/30 net 30",
        "2/45 net 30",
        "2/10 net 30 eom",
        "1e1/10 net 30",
        "x/10 net 30",
    ] {
        match PaymentTerms::parse(bad) {
            Err(DomainError::InvalidArgument { reason, violations }) => {
                assert_eq!(reason, "INVALID_PAYMENT_TERMS", "{bad:?}");
                assert_eq!(violations.len(), 1, "{bad:?}");
                assert_eq!(violations[0].field, "payment_terms", "{bad:?}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
}

#[test]
fn net_terms_count_calendar_days_across_month_ends_and_years() {
    let net30 = PaymentTerms::net(30);
    assert_eq!(net30.due_date(date!(2026 - 06 - 15)), date!(2026 - 07 - 15));
    assert_eq!(net30.due_date(date!(2026 - 01 - 31)), date!(2026 - 03 - 02));
    assert_eq!(net30.due_date(date!(2026 - 04 - 30)), date!(2026 - 05 - 30));
    assert_eq!(net30.due_date(date!(2026 - 12 - 15)), date!(2027 - 01 - 14));
    assert_eq!(
        PaymentTerms::net(60).due_date(date!(2026 - 12 - 31)),
        date!(2027 - 03 - 01)
    );
}

#[test]
fn a_leap_day_is_counted_like_any_other() {
    let net30 = PaymentTerms::net(30);
    assert_eq!(
        net30.due_date(date!(2028 - 01 - 31)),
        date!(2028 - 03 - 01),
        "2028 has 29 February"
    );
    assert_eq!(net30.due_date(date!(2028 - 02 - 29)), date!(2028 - 03 - 30));
    assert_eq!(
        PaymentTerms::net(1).due_date(date!(2028 - 02 - 28)),
        date!(2028 - 02 - 29)
    );
    assert_eq!(
        PaymentTerms::net(365).due_date(date!(2028 - 02 - 29)),
        date!(2029 - 02 - 28)
    );
}

#[test]
fn prepayment_and_due_on_receipt_are_due_on_the_invoice_date() {
    let day = date!(2026 - 03 - 31);
    assert_eq!(PaymentTerms::Prepayment.due_date(day), day);
    assert_eq!(PaymentTerms::DueOnReceipt.due_date(day), day);
    assert!(!PaymentTerms::Prepayment.gives_credit());
    assert!(PaymentTerms::DueOnReceipt.gives_credit());
    assert!(PaymentTerms::net(30).gives_credit());
}

#[test]
fn two_ten_net_thirty_discounts_on_the_tenth_day_but_not_the_eleventh() {
    let t = terms("2/10 net 30");
    let invoiced = date!(2026 - 01 - 25);
    assert_eq!(t.discount_deadline(invoiced), Some(date!(2026 - 02 - 04)));
    assert_eq!(t.due_date(invoiced), date!(2026 - 02 - 24));
    let amount = dec!(1234.56);
    assert_eq!(
        t.early_payment_discount(amount, date!(2026 - 02 - 04), invoiced, "EUR"),
        dec!(24.69),
        "10th day: 2 % of 1234.56 = 24.6912, rounded"
    );
    assert_eq!(
        t.early_payment_discount(amount, date!(2026 - 02 - 05), invoiced, "EUR"),
        dec!(0),
        "11th day"
    );
    assert_eq!(
        t.early_payment_discount(amount, invoiced, invoiced, "EUR"),
        dec!(24.69),
        "same day"
    );
    assert_eq!(
        t.early_payment_discount(amount, date!(2026 - 01 - 20), invoiced, "EUR"),
        dec!(24.69),
        "paid before the invoice date"
    );
}

#[test]
fn the_discount_rounds_to_the_currency_and_is_zero_without_early_terms() {
    let t = terms("2/10 net 30");
    let day = date!(2026 - 05 - 01);
    assert_eq!(
        t.early_payment_discount(dec!(100.25), day, day, "EUR"),
        dec!(2.01),
        "2.005 rounds half away from zero"
    );
    assert_eq!(
        t.early_payment_discount(dec!(12345), day, day, "JPY"),
        dec!(247),
        "246.9 yen"
    );
    assert_eq!(t.early_payment_discount(dec!(0), day, day, "EUR"), dec!(0));
    assert_eq!(
        t.early_payment_discount(dec!(-50), day, day, "EUR"),
        dec!(0)
    );
    for plain in ["net 30", "prepayment", "due on receipt"] {
        let p = terms(plain);
        assert_eq!(p.discount_deadline(day), None, "{plain}");
        assert_eq!(
            p.early_payment_discount(dec!(100), day, day, "EUR"),
            dec!(0),
            "{plain}"
        );
    }
}
