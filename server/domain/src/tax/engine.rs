//! The computation: duty first (it is part of the taxable base), then the
//! main tax, then local taxes; each as breakdown rows whose amounts are
//! rounded per line or per document and shared out to the lines.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};

use super::{
    DUTY_NAME, Jurisdiction, LineTax, Rounding, TaxBreakdown, TaxClass, TaxKind, TaxNote,
    TaxRequest, TaxResult, TaxRules, TaxTreatment, check_jurisdiction, is_country_code,
};
use crate::pricing::{minor_units, round_money};
use crate::{DomainError, FieldViolation};

/// A breakdown row's identity, in breakdown order.
type RowKey = (TaxKind, Reverse<Decimal>, TaxTreatment, String);

/// The lines a row charges: (line index, base).
type Members = Vec<(usize, Decimal)>;

impl TaxRules {
    /// The duty and taxes `request` owes under these rules.
    pub fn compute(&self, request: &TaxRequest<'_>) -> Result<TaxResult, DomainError> {
        check_request(request)?;
        let j = self.jurisdiction(
            &request.ship_to_country_code,
            request.ship_to_region_code.as_deref(),
        )?;
        let mut problems = Vec::new();
        check_jurisdiction(j.code(), j, &mut problems);
        if !is_country_code(&self.origin_country_code) {
            problems.push(FieldViolation::new(
                "origin_country_code",
                "is not an upper-case ISO 3166-1 code",
            ));
        }
        if !problems.is_empty() {
            return Err(DomainError::precondition(
                "INVALID_TAX_RULES",
                format!(
                    "the tax rules for {} are invalid: {}",
                    j.code(),
                    problems
                        .iter()
                        .map(|p| format!("{}: {}", p.field, p.description))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ));
        }
        let currency = request.currency.as_str();
        let mut notes = Vec::new();

        let buyer_exempt = match request.exemption {
            None => false,
            Some(e) => {
                if request.date > e.valid_until {
                    notes.push(TaxNote::ExemptionExpired {
                        certificate: e.certificate.clone(),
                        valid_until: e.valid_until,
                    });
                    false
                } else if let Some(from) = e.valid_from.filter(|from| request.date < *from) {
                    notes.push(TaxNote::ExemptionNotYetValid {
                        certificate: e.certificate.clone(),
                        valid_from: from,
                    });
                    false
                } else {
                    notes.push(TaxNote::ExemptionApplied {
                        certificate: e.certificate.clone(),
                        valid_until: e.valid_until,
                    });
                    true
                }
            }
        };

        let cross_border = j.country_code != self.origin_country_code;
        let duty_percent = if cross_border && !request.lines.is_empty() {
            j.duty_percent
        } else {
            Decimal::ZERO
        };
        if duty_percent > Decimal::ZERO {
            notes.push(TaxNote::ImportDuty {
                origin_country_code: self.origin_country_code.clone(),
                destination_country_code: j.country_code.clone(),
                percent: duty_percent,
            });
        }

        let n = request.lines.len();
        let mut breakdown = Vec::new();

        // Duty on the net amount of every line.
        let mut duty = vec![Decimal::ZERO; n];
        if duty_percent > Decimal::ZERO {
            let members = request
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| (i, l.net_amount))
                .collect();
            let key = (
                TaxKind::Duty,
                Reverse(duty_percent),
                TaxTreatment::Taxable,
                DUTY_NAME.to_string(),
            );
            breakdown.push(settle(key, members, j.rounding, currency, &mut duty));
        }

        let treatments: Vec<TaxTreatment> = request
            .lines
            .iter()
            .map(|l| treatment(l.tax_class, buyer_exempt))
            .collect();
        let bases: Vec<Decimal> = request
            .lines
            .iter()
            .zip(&duty)
            .map(|(l, d)| l.net_amount + d)
            .collect();
        let vat_rates: Vec<Decimal> = request
            .lines
            .iter()
            .zip(&treatments)
            .map(|(l, t)| vat_rate(j, l.tax_class, *t))
            .collect();

        // The main tax, one row per rate and treatment.
        let mut vat_rows: BTreeMap<RowKey, Members> = BTreeMap::new();
        for i in 0..n {
            let key = (
                TaxKind::Vat,
                Reverse(vat_rates[i]),
                treatments[i],
                j.tax_name.clone(),
            );
            vat_rows.entry(key).or_default().push((i, bases[i]));
        }
        let mut vat = vec![Decimal::ZERO; n];
        for (key, members) in vat_rows {
            breakdown.push(settle(key, members, j.rounding, currency, &mut vat));
        }

        // Local taxes, on the lines actually taxed (standard or reduced, the
        // buyer not exempt).
        let mut local = vec![Decimal::ZERO; n];
        let taxed: Members = (0..n)
            .filter(|i| treatments[*i] == TaxTreatment::Taxable)
            .map(|i| (i, bases[i]))
            .collect();
        if !taxed.is_empty() {
            for tax in &j.local_taxes {
                let key = (
                    TaxKind::Local,
                    Reverse(tax.percent),
                    TaxTreatment::Taxable,
                    tax.name.clone(),
                );
                breakdown.push(settle(key, taxed.clone(), j.rounding, currency, &mut local));
            }
        }
        breakdown.sort_by(|a, b| {
            (a.kind, Reverse(a.rate), a.treatment, &a.name).cmp(&(
                b.kind,
                Reverse(b.rate),
                b.treatment,
                &b.name,
            ))
        });

        let local_rate: Decimal = j.local_taxes.iter().map(|t| t.percent).sum();
        let lines: Vec<LineTax> = request
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let rate = if treatments[i] == TaxTreatment::Taxable {
                    vat_rates[i] + local_rate
                } else {
                    vat_rates[i]
                };
                let tax = vat[i] + local[i];
                LineTax {
                    line_id: l.line_id.clone(),
                    tax_class: l.tax_class,
                    treatment: treatments[i],
                    net_amount: l.net_amount,
                    duty: duty[i],
                    taxable_base: bases[i],
                    rate,
                    vat: vat[i],
                    local_tax: local[i],
                    tax,
                    total_tax: duty[i] + tax,
                    gross_amount: l.net_amount + duty[i] + tax,
                }
            })
            .collect();

        let total_net: Decimal = lines.iter().map(|l| l.net_amount).sum();
        let total_duty: Decimal = duty.iter().sum();
        let total_vat: Decimal = vat.iter().sum();
        let total_local_tax: Decimal = local.iter().sum();
        let total_tax = total_duty + total_vat + total_local_tax;
        Ok(TaxResult {
            jurisdiction_code: j.code().to_string(),
            jurisdiction_name: j.name.clone(),
            currency: currency.to_string(),
            rounding: j.rounding,
            lines,
            breakdown,
            total_net,
            total_duty,
            total_vat,
            total_local_tax,
            total_tax,
            total_gross: total_net + total_tax,
            notes,
        })
    }
}

/// The product's class decides first; a valid exemption then frees what
/// would be taxed.
fn treatment(class: TaxClass, buyer_exempt: bool) -> TaxTreatment {
    match class {
        TaxClass::Exempt => TaxTreatment::ExemptSupply,
        TaxClass::Zero => TaxTreatment::ZeroRated,
        TaxClass::Standard | TaxClass::Reduced if buyer_exempt => TaxTreatment::ExemptBuyer,
        TaxClass::Standard | TaxClass::Reduced => TaxTreatment::Taxable,
    }
}

fn vat_rate(j: &Jurisdiction, class: TaxClass, treatment: TaxTreatment) -> Decimal {
    match (treatment, class) {
        (TaxTreatment::Taxable, TaxClass::Standard) => j.rates.standard,
        (TaxTreatment::Taxable, TaxClass::Reduced) => j.rates.reduced,
        _ => Decimal::ZERO,
    }
}

/// One breakdown row: its amount under `rounding`, each member line's share
/// added to `per_line`.
fn settle(
    key: RowKey,
    members: Members,
    rounding: Rounding,
    currency: &str,
    per_line: &mut [Decimal],
) -> TaxBreakdown {
    let (kind, Reverse(rate), treatment, name) = key;
    let exact: Vec<Decimal> = members
        .iter()
        .map(|(_, base)| base * rate / Decimal::ONE_HUNDRED)
        .collect();
    let shares = match rounding {
        Rounding::PerLine => exact.iter().map(|x| round_money(*x, currency)).collect(),
        Rounding::PerDocument => {
            let total = round_money(exact.iter().sum(), currency);
            allocate(&exact, total, currency)
        }
    };
    for ((i, _), share) in members.iter().zip(&shares) {
        per_line[*i] += share;
    }
    TaxBreakdown {
        kind,
        name,
        rate,
        treatment,
        taxable_base: members.iter().map(|(_, base)| base).sum(),
        amount: shares.iter().sum(),
    }
}

/// Shares `total` (rounded) out in proportion to the non-negative `exact`
/// amounts it is the rounded sum of: each share is its exact amount rounded
/// towards zero, and the minor units left over go one each to the shares
/// with the largest remainders, the earlier on a tie. Each share is below a
/// unit from its exact amount, so at most one unit per share is left over.
fn allocate(exact: &[Decimal], total: Decimal, currency: &str) -> Vec<Decimal> {
    let dp = minor_units(currency);
    let unit = Decimal::new(1, dp);
    let mut shares: Vec<Decimal> = exact
        .iter()
        .map(|x| x.round_dp_with_strategy(dp, RoundingStrategy::ToZero))
        .collect();
    let mut left = total - shares.iter().sum::<Decimal>();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by_key(|&i| (Reverse(exact[i] - shares[i]), i));
    for i in order {
        if left < unit {
            break;
        }
        shares[i] += unit;
        left -= unit;
    }
    shares
}

fn check_request(request: &TaxRequest<'_>) -> Result<(), DomainError> {
    let mut v = Vec::new();
    let currency = &request.currency;
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        v.push(FieldViolation::new(
            "currency_code",
            format!("{currency:?} is not an ISO 4217 code like \"EUR\""),
        ));
    }
    let dp = minor_units(currency);
    for (i, line) in request.lines.iter().enumerate() {
        if line.net_amount < Decimal::ZERO {
            v.push(FieldViolation::new(
                format!("lines[{i}].net_amount"),
                "must not be negative",
            ));
        } else if line.net_amount.normalize().scale() > dp {
            v.push(FieldViolation::new(
                format!("lines[{i}].net_amount"),
                format!("must be rounded to {dp} decimal places for {currency}"),
            ));
        }
    }
    if let Some(e) = request.exemption
        && e.certificate.trim().is_empty()
    {
        v.push(FieldViolation::new(
            "exemption.certificate",
            "an exemption needs its certificate number",
        ));
    }
    if v.is_empty() {
        Ok(())
    } else {
        Err(DomainError::InvalidArgument {
            reason: "INVALID_TAX_REQUEST",
            violations: v,
        })
    }
}
