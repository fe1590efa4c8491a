#![allow(clippy::unwrap_used)]

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use time::{Date, Month};

use super::*;

fn day(y: i32, m: Month, d: u8) -> Date {
    Date::from_calendar_date(y, m, d).unwrap()
}

/// The tax date of every request unless a test says otherwise.
fn today() -> Date {
    day(2026, Month::June, 15)
}

fn lines(classes_and_nets: &[(TaxClass, Decimal)]) -> Vec<TaxLine> {
    classes_and_nets
        .iter()
        .enumerate()
        .map(|(i, (class, net))| TaxLine {
            line_id: format!("L{}", i + 1),
            tax_class: *class,
            net_amount: *net,
        })
        .collect()
}

fn request<'a>(
    country: &str,
    region: Option<&str>,
    exemption: Option<&'a TaxExemption>,
    classes_and_nets: &[(TaxClass, Decimal)],
) -> TaxRequest<'a> {
    TaxRequest {
        ship_to_country_code: country.into(),
        ship_to_region_code: region.map(Into::into),
        date: today(),
        currency: if country == "US" { "USD" } else { "EUR" }.into(),
        exemption,
        lines: lines(classes_and_nets),
    }
}

fn exemption(valid_from: Option<Date>, valid_until: Date) -> TaxExemption {
    TaxExemption {
        certificate: "EX-4711".into(),
        valid_from,
        valid_until,
    }
}

/// Lines add up to the totals, and breakdown rows to the totals by kind.
fn assert_balanced(r: &TaxResult) {
    let sum = |f: fn(&LineTax) -> Decimal| r.lines.iter().map(f).sum::<Decimal>();
    let rows = |kind: TaxKind| {
        r.breakdown
            .iter()
            .filter(|b| b.kind == kind)
            .map(|b| b.amount)
            .sum::<Decimal>()
    };
    assert_eq!(sum(|l| l.net_amount), r.total_net);
    assert_eq!(sum(|l| l.duty), r.total_duty);
    assert_eq!(sum(|l| l.vat), r.total_vat);
    assert_eq!(sum(|l| l.local_tax), r.total_local_tax);
    assert_eq!(sum(|l| l.total_tax), r.total_tax);
    assert_eq!(sum(|l| l.gross_amount), r.total_gross);
    assert_eq!(rows(TaxKind::Duty), r.total_duty);
    assert_eq!(rows(TaxKind::Vat), r.total_vat);
    assert_eq!(rows(TaxKind::Local), r.total_local_tax);
    assert_eq!(r.total_tax, r.total_duty + r.total_vat + r.total_local_tax);
    for l in &r.lines {
        assert_eq!(l.taxable_base, l.net_amount + l.duty, "{}", l.line_id);
        assert_eq!(l.tax, l.vat + l.local_tax, "{}", l.line_id);
        assert_eq!(l.total_tax, l.duty + l.tax, "{}", l.line_id);
    }
}

fn compute(rules: &TaxRules, request: &TaxRequest<'_>) -> TaxResult {
    let result = rules.compute(request).unwrap();
    assert_balanced(&result);
    result
}

/// [`compute`] under the demo rules.
fn demo(
    country: &str,
    region: Option<&str>,
    exemption: Option<&TaxExemption>,
    classes_and_nets: &[(TaxClass, Decimal)],
) -> TaxResult {
    compute(
        &TaxRules::demo(),
        &request(country, region, exemption, classes_and_nets),
    )
}

/// One breakdown row: (kind, name, rate, treatment, taxable base, amount).
type Row = (
    TaxKind,
    &'static str,
    Decimal,
    TaxTreatment,
    Decimal,
    Decimal,
);

/// The breakdown a table of rows describes, in order.
fn rows(table: &[Row]) -> Vec<TaxBreakdown> {
    table
        .iter()
        .map(
            |&(kind, name, rate, treatment, taxable_base, amount)| TaxBreakdown {
                kind,
                name: name.into(),
                rate,
                treatment,
                taxable_base,
                amount,
            },
        )
        .collect()
}

/// (reason, fields) of an invalid-argument error.
fn violations(e: DomainError) -> (&'static str, Vec<String>) {
    match e {
        DomainError::InvalidArgument { reason, violations } => {
            (reason, violations.into_iter().map(|v| v.field).collect())
        }
        other => panic!("expected an invalid argument, got {other:?}"),
    }
}

use TaxClass::{Exempt, Reduced, Standard, Zero};
use TaxKind::{Duty, Local, Vat};
use TaxTreatment::{ExemptBuyer, ExemptSupply, Taxable, ZeroRated};

#[test]
fn table_of_cases() {
    struct Case {
        name: &'static str,
        country: &'static str,
        exemption: Option<TaxExemption>,
        lines: Vec<(TaxClass, Decimal)>,
        /// Per line: (duty, VAT).
        expected: Vec<(Decimal, Decimal)>,
        total_duty: Decimal,
        total_tax: Decimal,
    }
    let june = |d: u8| day(2026, Month::June, d);
    let cases = [
        Case {
            name: "domestic standard: 19 % of 123.45 = 23.4555",
            country: "DE",
            exemption: None,
            lines: vec![(Standard, dec!(123.45))],
            expected: vec![(dec!(0), dec!(23.46))],
            total_duty: dec!(0),
            total_tax: dec!(23.46),
        },
        Case {
            name: "reduced rate: 7 % of 59.90 = 4.193",
            country: "DE",
            exemption: None,
            lines: vec![(Reduced, dec!(59.90))],
            expected: vec![(dec!(0), dec!(4.19))],
            total_duty: dec!(0),
            total_tax: dec!(4.19),
        },
        Case {
            name: "exempt account, certificate's last day",
            country: "DE",
            exemption: Some(exemption(None, june(15))),
            lines: vec![(Standard, dec!(123.45)), (Reduced, dec!(59.90))],
            expected: vec![(dec!(0), dec!(0)), (dec!(0), dec!(0))],
            total_duty: dec!(0),
            total_tax: dec!(0),
        },
        Case {
            name: "exempt account, certificate's first day",
            country: "DE",
            exemption: Some(exemption(Some(june(15)), day(2027, Month::June, 14))),
            lines: vec![(Standard, dec!(123.45))],
            expected: vec![(dec!(0), dec!(0))],
            total_duty: dec!(0),
            total_tax: dec!(0),
        },
        Case {
            name: "expired exemption: ended the day before",
            country: "DE",
            exemption: Some(exemption(None, june(14))),
            lines: vec![(Standard, dec!(123.45)), (Reduced, dec!(59.90))],
            expected: vec![(dec!(0), dec!(23.46)), (dec!(0), dec!(4.19))],
            total_duty: dec!(0),
            total_tax: dec!(27.65),
        },
        Case {
            name: "exemption not yet valid: starts the day after",
            country: "DE",
            exemption: Some(exemption(Some(june(16)), day(2027, Month::June, 15))),
            lines: vec![(Standard, dec!(123.45))],
            expected: vec![(dec!(0), dec!(23.46))],
            total_duty: dec!(0),
            total_tax: dec!(23.46),
        },
        Case {
            // Duty 2 %: 24.69 and 1.60. MWST on value + duty:
            // 8.1 % of 1259.19 = 101.99439, 2.6 % of 81.60 = 2.1216.
            name: "cross-border with duty",
            country: "CH",
            exemption: None,
            lines: vec![(Standard, dec!(1234.50)), (Reduced, dec!(80.00))],
            expected: vec![(dec!(24.69), dec!(101.99)), (dec!(1.60), dec!(2.12))],
            total_duty: dec!(26.29),
            total_tax: dec!(130.40),
        },
        Case {
            name: "cross-border, exempt account still pays duty",
            country: "CH",
            exemption: Some(exemption(None, june(30))),
            lines: vec![(Standard, dec!(1234.50))],
            expected: vec![(dec!(24.69), dec!(0))],
            total_duty: dec!(24.69),
            total_tax: dec!(24.69),
        },
        Case {
            name: "cross-border inside the EU: destination rate, no duty",
            country: "AT",
            exemption: None,
            lines: vec![(Standard, dec!(100.00)), (Reduced, dec!(33.33))],
            expected: vec![(dec!(0), dec!(20.00)), (dec!(0), dec!(3.33))],
            total_duty: dec!(0),
            total_tax: dec!(23.33),
        },
    ];
    let rules = TaxRules::demo();
    for case in &cases {
        let req = request(case.country, None, case.exemption.as_ref(), &case.lines);
        let r = compute(&rules, &req);
        let got: Vec<(Decimal, Decimal)> = r.lines.iter().map(|l| (l.duty, l.vat)).collect();
        assert_eq!(got, case.expected, "{}", case.name);
        assert_eq!(r.total_duty, case.total_duty, "{}", case.name);
        assert_eq!(r.total_tax, case.total_tax, "{}", case.name);
        assert_eq!(r.total_local_tax, dec!(0), "{}", case.name);
    }
}

#[test]
fn a_domestic_line_in_full() {
    let r = demo("DE", None, None, &[(Standard, dec!(123.45))]);
    assert_eq!(r.jurisdiction_code, "DE");
    assert_eq!(r.jurisdiction_name, "Germany");
    assert_eq!(r.rounding, Rounding::PerLine);
    assert_eq!(
        r.lines,
        vec![LineTax {
            line_id: "L1".into(),
            tax_class: Standard,
            treatment: Taxable,
            net_amount: dec!(123.45),
            duty: dec!(0),
            taxable_base: dec!(123.45),
            rate: dec!(19),
            vat: dec!(23.46),
            local_tax: dec!(0),
            tax: dec!(23.46),
            total_tax: dec!(23.46),
            gross_amount: dec!(146.91),
        }]
    );
    #[rustfmt::skip]
    let breakdown = rows(&[
        (Vat, "VAT", dec!(19), Taxable, dec!(123.45), dec!(23.46)),
    ]);
    assert_eq!(r.breakdown, breakdown);
    assert_eq!(r.total_gross, dec!(146.91));
    assert!(r.notes.is_empty());
}

#[test]
fn zero_rated_and_exempt_classes_are_untaxed_and_shown_apart() {
    #[rustfmt::skip]
    let r = demo("DE", None, None, &[
        (Standard, dec!(10.00)),
        (Zero,     dec!(40.00)),
        (Exempt,   dec!(25.00)),
    ]);
    let got: Vec<(TaxTreatment, Decimal, Decimal)> = r
        .lines
        .iter()
        .map(|l| (l.treatment, l.rate, l.vat))
        .collect();
    #[rustfmt::skip]
    let expected = vec![
        (Taxable,      dec!(19), dec!(1.90)),
        (ZeroRated,    dec!(0),  dec!(0)),
        (ExemptSupply, dec!(0),  dec!(0)),
    ];
    assert_eq!(got, expected);
    #[rustfmt::skip]
    let breakdown = rows(&[
        (Vat, "VAT", dec!(19), Taxable,      dec!(10.00), dec!(1.90)),
        (Vat, "VAT", dec!(0),  ZeroRated,    dec!(40.00), dec!(0)),
        (Vat, "VAT", dec!(0),  ExemptSupply, dec!(25.00), dec!(0)),
    ]);
    assert_eq!(r.breakdown, breakdown);
    assert_eq!(r.total_tax, dec!(1.90));
    assert_eq!(r.total_gross, dec!(76.90));
}

#[test]
fn a_valid_exemption_frees_taxable_lines_and_says_so() {
    let cert = exemption(Some(day(2025, Month::June, 15)), today());
    let r = demo(
        "DE",
        None,
        Some(&cert),
        &[(Standard, dec!(123.45)), (Zero, dec!(40.00))],
    );
    assert_eq!(r.total_tax, dec!(0));
    let treatments: Vec<TaxTreatment> = r.lines.iter().map(|l| l.treatment).collect();
    // The class decides first: a zero-rated product stays zero-rated.
    assert_eq!(treatments, vec![ExemptBuyer, ZeroRated]);
    #[rustfmt::skip]
    let breakdown = rows(&[
        (Vat, "VAT", dec!(0), ZeroRated,   dec!(40.00),  dec!(0)),
        (Vat, "VAT", dec!(0), ExemptBuyer, dec!(123.45), dec!(0)),
    ]);
    assert_eq!(r.breakdown, breakdown);
    assert_eq!(
        r.notes,
        vec![TaxNote::ExemptionApplied {
            certificate: "EX-4711".into(),
            valid_until: today(),
        }]
    );
}

#[test]
fn an_expired_exemption_is_ignored_with_a_note() {
    let (expired, starts) = (day(2026, Month::June, 14), day(2026, Month::June, 16));
    let cases = [
        (
            exemption(None, expired),
            TaxNote::ExemptionExpired {
                certificate: "EX-4711".into(),
                valid_until: expired,
            },
            Some("exemption certificate EX-4711 expired on 2026-06-14; tax is charged"),
        ),
        (
            exemption(Some(starts), day(2027, Month::June, 15)),
            TaxNote::ExemptionNotYetValid {
                certificate: "EX-4711".into(),
                valid_from: starts,
            },
            None,
        ),
    ];
    for (cert, note, described) in cases {
        let r = demo("DE", None, Some(&cert), &[(Standard, dec!(123.45))]);
        assert_eq!(r.total_vat, dec!(23.46), "{note:?}");
        assert_eq!(r.lines[0].treatment, Taxable, "{note:?}");
        if let Some(described) = described {
            assert_eq!(r.notes[0].describe(), described);
        }
        assert_eq!(r.notes, vec![note]);
    }
}

#[test]
fn cross_border_lines_pay_duty_and_vat_on_value_plus_duty() {
    #[rustfmt::skip]
    let r = demo("CH", None, None, &[
        (Standard, dec!(1234.50)),
        (Reduced,  dec!(80.00)),
        (Zero,     dec!(50.00)),
    ]);
    let got: Vec<(Decimal, Decimal, Decimal, Decimal)> = r
        .lines
        .iter()
        .map(|l| (l.duty, l.taxable_base, l.vat, l.total_tax))
        .collect();
    #[rustfmt::skip]
    let expected = vec![
        // 2 % of 1234.50 = 24.69; 8.1 % of 1259.19 = 101.99439
        (dec!(24.69), dec!(1259.19), dec!(101.99), dec!(126.68)),
        // 2 % of 80.00 = 1.60; 2.6 % of 81.60 = 2.1216
        (dec!(1.60),  dec!(81.60),   dec!(2.12),   dec!(3.72)),
        // duty whatever the class
        (dec!(1.00),  dec!(51.00),   dec!(0),      dec!(1.00)),
    ];
    assert_eq!(got, expected);
    #[rustfmt::skip]
    let breakdown = rows(&[
        (Vat,  "MWST",    dec!(8.1), Taxable,   dec!(1259.19), dec!(101.99)),
        (Vat,  "MWST",    dec!(2.6), Taxable,   dec!(81.60),   dec!(2.12)),
        (Vat,  "MWST",    dec!(0),   ZeroRated, dec!(51.00),   dec!(0)),
        (Duty, DUTY_NAME, dec!(2),   Taxable,   dec!(1364.50), dec!(27.29)),
    ]);
    assert_eq!(r.breakdown, breakdown);
    assert_eq!(r.total_duty, dec!(27.29));
    assert_eq!(r.total_vat, dec!(104.11));
    assert_eq!(r.total_tax, dec!(131.40));
    assert_eq!(r.total_gross, dec!(1495.90));
    assert_eq!(
        r.notes,
        vec![TaxNote::ImportDuty {
            origin_country_code: "DE".into(),
            destination_country_code: "CH".into(),
            percent: dec!(2),
        }]
    );
}

#[test]
fn a_region_overrides_its_country_and_adds_local_taxes() {
    let one = [(Standard, dec!(100.00))];
    // Mainland Spain, a region without rules of its own, and the Canary
    // Islands (given short or in full).
    for (region, code, name, vat) in [
        (None, "ES", "VAT", dec!(21.00)),
        (Some("ES-MD"), "ES", "VAT", dec!(21.00)),
        (Some("CN"), "ES-CN", "IGIC", dec!(7.00)),
        (Some("es-cn"), "ES-CN", "IGIC", dec!(7.00)),
    ] {
        let r = demo("ES", region, None, &one);
        assert_eq!(r.jurisdiction_code, code, "{region:?}");
        assert_eq!(r.breakdown[0].name, name, "{region:?}");
        assert_eq!(r.total_tax, vat, "{region:?}");
    }

    // California: 7.25 % sales tax and a 1 % district tax on the same base;
    // the district tax only where something is taxed.
    let r = demo(
        "US",
        Some("US-CA"),
        None,
        &[(Standard, dec!(200.00)), (Exempt, dec!(50.00))],
    );
    let got: Vec<(Decimal, Decimal, Decimal, Decimal)> = r
        .lines
        .iter()
        .map(|l| (l.rate, l.vat, l.local_tax, l.tax))
        .collect();
    #[rustfmt::skip]
    let expected = vec![
        (dec!(8.25), dec!(14.50), dec!(2.00), dec!(16.50)),
        (dec!(0),    dec!(0),     dec!(0),    dec!(0)),
    ];
    assert_eq!(got, expected);
    #[rustfmt::skip]
    let breakdown = rows(&[
        (Vat,   "Sales tax",    dec!(7.25), Taxable,      dec!(200.00), dec!(14.50)),
        (Vat,   "Sales tax",    dec!(0),    ExemptSupply, dec!(50.00),  dec!(0)),
        (Local, "District tax", dec!(1),    Taxable,      dec!(200.00), dec!(2.00)),
    ]);
    assert_eq!(r.breakdown, breakdown);
    assert_eq!(r.total_local_tax, dec!(2.00));
    assert_eq!(r.total_tax, dec!(16.50));
    // Cross-border, but the demo's US duty is 0 %: no duty row, no note.
    assert!(r.notes.is_empty());
}

#[test]
fn per_line_and_per_document_rounding_differ_and_allocations_add_up() {
    let per_document = TaxRules::demo();
    let mut per_line = per_document.clone();
    for j in &mut per_line.jurisdictions {
        j.rounding = Rounding::PerLine;
    }
    // 7.25 % of 10.00 is 0.725 on each line.
    let three = [(Standard, dec!(10.00)); 3];
    let req = request("US", Some("CA"), None, &three);

    let line = compute(&per_line, &req);
    let vat: Vec<Decimal> = line.lines.iter().map(|l| l.vat).collect();
    assert_eq!(vat, vec![dec!(0.73), dec!(0.73), dec!(0.73)]);
    assert_eq!(line.total_vat, dec!(2.19));
    assert_eq!(line.total_tax, dec!(2.49));

    // 2.175 rounded once is 2.18: 0.72 each, the two cents left go to the
    // first two lines (equal remainders: the earlier first).
    let document = compute(&per_document, &req);
    assert_eq!(document.rounding, Rounding::PerDocument);
    let vat: Vec<Decimal> = document.lines.iter().map(|l| l.vat).collect();
    assert_eq!(vat, vec![dec!(0.73), dec!(0.73), dec!(0.72)]);
    assert_eq!(document.total_vat, dec!(2.18));
    assert_eq!(document.total_local_tax, dec!(0.30));
    assert_eq!(document.total_tax, dec!(2.48));
    assert_ne!(line.total_tax, document.total_tax);

    // Uneven lines: exact 0.241425 + 0.725 + 0.483575 = 1.45; floors 0.24 +
    // 0.72 + 0.48 = 1.44; the cent goes to the largest remainder (0.005, the
    // second line). District tax: 0.0333 + 0.10 + 0.0667 = 0.20; floors
    // 0.03 + 0.10 + 0.06; the cent goes to the third line (0.0067).
    #[rustfmt::skip]
    let uneven = [
        (Standard, dec!(3.33)),
        (Standard, dec!(10.00)),
        (Standard, dec!(6.67)),
    ];
    let r = compute(&per_document, &request("US", Some("CA"), None, &uneven));
    let got: Vec<(Decimal, Decimal)> = r.lines.iter().map(|l| (l.vat, l.local_tax)).collect();
    #[rustfmt::skip]
    let expected = vec![
        (dec!(0.24), dec!(0.03)),
        (dec!(0.73), dec!(0.10)),
        (dec!(0.48), dec!(0.07)),
    ];
    assert_eq!(got, expected);
    assert_eq!(r.total_vat, dec!(1.45));
    assert_eq!(r.total_local_tax, dec!(0.20));
}

#[test]
fn per_document_duty_is_allocated_before_it_enters_the_base() {
    let mut rules = TaxRules::demo();
    for j in &mut rules.jurisdictions {
        j.rounding = Rounding::PerDocument;
    }
    // Duty 2 % of 0.25 is 0.005 per line: 0.015 rounds to 0.02, shared
    // 0.01, 0.01, 0.00. MWST 8.1 % of the bases 0.26 + 0.26 + 0.25 = 0.77
    // is 0.06237: 0.06, shared 0.02, 0.02, 0.02 (floors 0.02 each, nothing
    // left).
    let r = compute(
        &rules,
        &request("CH", None, None, &[(Standard, dec!(0.25)); 3]),
    );
    let got: Vec<(Decimal, Decimal, Decimal)> = r
        .lines
        .iter()
        .map(|l| (l.duty, l.taxable_base, l.vat))
        .collect();
    #[rustfmt::skip]
    let expected = vec![
        (dec!(0.01), dec!(0.26), dec!(0.02)),
        (dec!(0.01), dec!(0.26), dec!(0.02)),
        (dec!(0),    dec!(0.25), dec!(0.02)),
    ];
    assert_eq!(got, expected);
    assert_eq!(r.total_duty, dec!(0.02));
    assert_eq!(r.total_vat, dec!(0.06));
}

#[test]
fn mixed_rates_are_grouped_by_rate_in_the_breakdown() {
    #[rustfmt::skip]
    let r = demo("FR", None, None, &[
        (Standard, dec!(100.00)),
        (Reduced,  dec!(30.00)),
        (Standard, dec!(50.00)),
        (Reduced,  dec!(12.34)),
        (Zero,     dec!(8.00)),
    ]);
    let rates: Vec<Decimal> = r.lines.iter().map(|l| l.rate).collect();
    assert_eq!(
        rates,
        vec![dec!(20), dec!(5.5), dec!(20), dec!(5.5), dec!(0)]
    );
    let vat: Vec<Decimal> = r.lines.iter().map(|l| l.vat).collect();
    // 5.5 % of 12.34 = 0.6787
    assert_eq!(
        vat,
        vec![dec!(20.00), dec!(1.65), dec!(10.00), dec!(0.68), dec!(0)]
    );
    #[rustfmt::skip]
    let breakdown = rows(&[
        (Vat, "VAT", dec!(20),  Taxable,   dec!(150.00), dec!(30.00)),
        (Vat, "VAT", dec!(5.5), Taxable,   dec!(42.34),  dec!(2.33)),
        (Vat, "VAT", dec!(0),   ZeroRated, dec!(8.00),   dec!(0)),
    ]);
    assert_eq!(r.breakdown, breakdown);
    assert_eq!(r.total_vat, dec!(32.33));
    assert_eq!(r.total_gross, dec!(232.67));
}

#[test]
fn an_unknown_destination_names_the_field() {
    let rules = TaxRules::demo();
    let one = [(Standard, dec!(10.00))];
    for (country, region, reason, field) in [
        ("XX", None, "NO_TAX_RULES", "ship_to.country_code"),
        ("JP", None, "NO_TAX_RULES", "ship_to.country_code"),
        ("", None, "INVALID_TAX_REQUEST", "ship_to.country_code"),
        ("DEU", None, "INVALID_TAX_REQUEST", "ship_to.country_code"),
        // The US is taxed by state only.
        ("US", None, "NO_TAX_RULES", "ship_to.region_code"),
        ("US", Some("NY"), "NO_TAX_RULES", "ship_to.region_code"),
        (
            "DE",
            Some("FR-75"),
            "INVALID_TAX_REQUEST",
            "ship_to.region_code",
        ),
    ] {
        let err = rules
            .compute(&request(country, region, None, &one))
            .unwrap_err();
        assert_eq!(
            violations(err),
            (reason, vec![field.to_string()]),
            "{country} {region:?}"
        );
    }
    // Codes are taken in any case and with spaces.
    let r = compute(&rules, &request(" de ", None, None, &one));
    assert_eq!(r.jurisdiction_code, "DE");
}

#[test]
fn bad_requests_name_every_field() {
    let blank = TaxExemption {
        certificate: " ".into(),
        valid_from: None,
        valid_until: today(),
    };
    let mut req = request(
        "DE",
        None,
        Some(&blank),
        &[(Standard, dec!(1.005)), (Standard, dec!(-1.00))],
    );
    req.currency = "eur".into();
    let (reason, fields) = violations(TaxRules::demo().compute(&req).unwrap_err());
    assert_eq!(reason, "INVALID_TAX_REQUEST");
    assert_eq!(
        fields,
        vec![
            "currency_code",
            "lines[0].net_amount",
            "lines[1].net_amount",
            "exemption.certificate"
        ]
    );

    // Yen have no minor unit: whole amounts only, trailing zeros are fine.
    let mut req = request("DE", None, None, &[(Standard, dec!(1000.00))]);
    req.currency = "JPY".into();
    assert_eq!(compute(&TaxRules::demo(), &req).total_vat, dec!(190));
    req.lines[0].net_amount = dec!(1000.5);
    let (_, fields) = violations(TaxRules::demo().compute(&req).unwrap_err());
    assert_eq!(fields, vec!["lines[0].net_amount"]);

    // No lines, no tax (and no duty note).
    let r = compute(&TaxRules::demo(), &request("CH", None, None, &[]));
    assert_eq!(r.total_tax, dec!(0));
    assert!(r.breakdown.is_empty() && r.notes.is_empty());
}

#[test]
fn rules_validate_and_survive_storage() {
    let demo = TaxRules::demo();
    assert_eq!(demo.validate(), vec![]);
    let stored = serde_json::to_string(&demo).unwrap();
    assert_eq!(serde_json::from_str::<TaxRules>(&stored).unwrap(), demo);

    let mut bad = demo.clone();
    bad.origin_country_code = "de".into();
    bad.jurisdictions[0].rates.standard = dec!(119);
    bad.jurisdictions[1].region_code = Some("DE-BY".into());
    bad.jurisdictions[2].local_taxes.push(LocalTax {
        name: "".into(),
        percent: dec!(-1),
    });
    bad.jurisdictions[3].duty_percent = dec!(-2);
    bad.jurisdictions.push(demo.jurisdictions[0].clone());
    let fields: Vec<String> = bad.validate().into_iter().map(|v| v.field).collect();
    assert_eq!(
        fields,
        vec![
            "tax_rules.origin_country_code",
            "tax_rules.jurisdictions[0].rates.standard",
            "tax_rules.jurisdictions[1].region_code",
            "tax_rules.jurisdictions[2].local_taxes[0].name",
            "tax_rules.jurisdictions[2].local_taxes[0].percent",
            "tax_rules.jurisdictions[3].duty_percent",
            "tax_rules.jurisdictions[7]",
        ]
    );

    // Computing under broken rules is refused, not guessed.
    let err = bad
        .compute(&request("DE", None, None, &[(Standard, dec!(10.00))]))
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::FailedPrecondition {
                reason: "INVALID_TAX_RULES",
                ..
            }
        ),
        "{err:?}"
    );
}
