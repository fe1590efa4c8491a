//! Tax: what an order owes on top of its net amounts, for where it ships —
//! line by line and, for the invoice, by rate. Pure rules, no I/O: orders
//! call [`TaxRules::compute`] with their lines and store the [`TaxResult`].
//!
//! How a request is taxed, and why:
//!
//! - **Destination decides.** The ship-to country (ISO 3166-1 alpha-2) picks
//!   a [`Jurisdiction`]; a region's own jurisdiction (ISO 3166-2, "US-CA")
//!   overrides its country's, and a region without one falls back to the
//!   country. Taxing where the goods go is how VAT/GST (including EU
//!   distance sales under OSS) and US sales tax work. A destination with no
//!   rules is an error naming `ship_to.country_code` (or
//!   `ship_to.region_code` when only regions of the country have rules):
//!   charging nothing there would be a silent under-charge.
//! - **The product's [`TaxClass`] picks the rate.** Standard and reduced take
//!   the jurisdiction's percent; zero-rated lines are taxed at 0 % and
//!   exempt lines are not taxed at all — both still appear in the breakdown
//!   (as [`TaxTreatment::ZeroRated`] / [`TaxTreatment::ExemptSupply`]),
//!   because invoices must show untaxed amounts by reason.
//! - **Local taxes** (a district or regional surcharge) are extra percents of
//!   the same base, charged only on lines that are actually taxed (standard
//!   or reduced, buyer not exempt); a local-tax breakdown row appears only
//!   where it is charged.
//! - **Customs duty** applies to every line shipped across a border (origin
//!   country ≠ destination country), whatever its tax class: duty is owed on
//!   goods, not on a VAT class. It is one flat percent per destination
//!   jurisdiction, not per product: the catalog has no customs tariff codes
//!   yet, and a per-class duty would pretend a precision we do not have.
//!   Destinations in a customs union with the origin (the EU for a German
//!   seller) simply carry a duty of 0 %.
//! - **Import VAT is charged on value plus duty**, as the EU (and Swiss)
//!   import rules do: a line's taxable base is its net amount plus its
//!   (rounded) duty. The same base is used for local taxes, so one rule holds
//!   everywhere.
//! - **Tax-exempt accounts.** A buyer's [`TaxExemption`] that is valid on
//!   the tax date (both ends inclusive) removes VAT and local taxes from the
//!   taxable lines, shown as [`TaxTreatment::ExemptBuyer`]; duty still
//!   applies — a resale or VAT-id certificate does not waive customs. An
//!   expired or not-yet-valid certificate is ignored, and a [`TaxNote`] says
//!   so, so the buyer sees why they were charged. A reverse-charged intra-EU
//!   B2B supply is expressed the same way, the buyer's VAT id as certificate.
//!   The class decides first: a zero-rated or exempt product stays so for an
//!   exempt buyer too.
//! - **Rounding** to the currency's minor unit, half away from zero (see
//!   [`round_money`](crate::pricing::round_money)), as the
//!   jurisdiction is configured: [`Rounding::PerLine`] rounds each line's
//!   duty and taxes and sums them; [`Rounding::PerDocument`] sums each
//!   breakdown row's unrounded amounts and rounds once, then allocates the
//!   row total back to its lines by largest remainder (every line gets its
//!   amount rounded towards zero, and the minor units left over go one each
//!   to the lines that lost the most, the earlier line on a tie), so the
//!   lines always add up to the document exactly and each line is off by
//!   less than one minor unit.
//!
//! Amounts: `net_amount`s are non-negative and already in the currency's
//! minor units (an order's rounded line totals); rates are percents (19 for
//! 19 %).

mod engine;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

pub use crate::catalog::TaxClass;
use crate::{DomainError, FieldViolation};

/// The kind of a charge. VAT stands for the jurisdiction's main consumption
/// tax, whatever it is called there (VAT, GST, MWST, sales tax).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TaxKind {
    Vat,
    Local,
    Duty,
}

/// Why a line is taxed the way it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TaxTreatment {
    /// Taxed at the class's rate.
    Taxable,
    /// A zero-rated product: taxed, at 0 %.
    ZeroRated,
    /// An exempt product: outside the tax.
    ExemptSupply,
    /// A taxable product sold to an account with a valid exemption.
    ExemptBuyer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rounding {
    /// Round each line's duty and taxes, then sum.
    PerLine,
    /// Sum each breakdown row unrounded, round once, allocate to lines.
    PerDocument,
}

/// The percents of the taxable classes; zero-rated is 0 % and exempt is
/// untaxed everywhere, so they have no entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassRates {
    pub standard: Decimal,
    pub reduced: Decimal,
}

/// A tax levied on top of the main one, e.g. a district sales tax.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalTax {
    pub name: String,
    pub percent: Decimal,
}

/// The tax rules of one destination: a country, or a region of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jurisdiction {
    /// ISO 3166-1 alpha-2, upper case: "DE".
    pub country_code: String,
    /// ISO 3166-2, upper case, starting with the country: "US-CA".
    #[serde(default)]
    pub region_code: Option<String>,
    /// For people: "Germany", "California".
    pub name: String,
    /// What the main tax is called on an invoice: "VAT", "MWST", "Sales tax".
    pub tax_name: String,
    pub rates: ClassRates,
    #[serde(default)]
    pub local_taxes: Vec<LocalTax>,
    /// Customs duty on lines shipped here from another country, percent of
    /// the net amount.
    #[serde(default)]
    pub duty_percent: Decimal,
    pub rounding: Rounding,
}

impl Jurisdiction {
    /// The region code if it has one, else the country code.
    pub fn code(&self) -> &str {
        self.region_code.as_deref().unwrap_or(&self.country_code)
    }
}

/// The seller's tax rules: where it ships from, and every destination it
/// ships to. Stored as a whole and replaced as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRules {
    /// ISO 3166-1 alpha-2 of the country goods ship from.
    pub origin_country_code: String,
    pub jurisdictions: Vec<Jurisdiction>,
}

/// A buyer's tax-exemption certificate (resale certificate, VAT id for a
/// reverse charge, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxExemption {
    pub certificate: String,
    /// First day it is valid; none: valid until `valid_until`.
    #[serde(default)]
    pub valid_from: Option<Date>,
    /// Last day it is valid.
    pub valid_until: Date,
}

/// One line to tax.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    pub line_id: String,
    pub tax_class: TaxClass,
    /// Net of discounts, in the currency's minor units, not negative.
    pub net_amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxRequest<'a> {
    pub ship_to_country_code: String,
    pub ship_to_region_code: Option<String>,
    /// The tax date (order or delivery date): decides the exemption.
    pub date: Date,
    /// ISO 4217: decides the rounding.
    pub currency: String,
    pub exemption: Option<&'a TaxExemption>,
    pub lines: Vec<TaxLine>,
}

/// What one line owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineTax {
    pub line_id: String,
    pub tax_class: TaxClass,
    pub treatment: TaxTreatment,
    pub net_amount: Decimal,
    pub duty: Decimal,
    /// What VAT and local taxes are a percent of: net plus duty.
    pub taxable_base: Decimal,
    /// VAT plus local taxes, percent (8.25 for 7.25 % + 1 %); 0 when not
    /// taxed.
    pub rate: Decimal,
    pub vat: Decimal,
    pub local_tax: Decimal,
    /// VAT plus local taxes.
    pub tax: Decimal,
    /// Everything charged on top of the net: duty plus tax.
    pub total_tax: Decimal,
    pub gross_amount: Decimal,
}

/// One row of the invoice's tax summary: one kind of charge at one rate for
/// one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxBreakdown {
    pub kind: TaxKind,
    /// "VAT", "District tax", "Customs duty".
    pub name: String,
    /// Percent; 0 for zero-rated and exempt rows.
    pub rate: Decimal,
    pub treatment: TaxTreatment,
    pub taxable_base: Decimal,
    pub amount: Decimal,
}

/// Something the buyer should know about how they were taxed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaxNote {
    ExemptionApplied {
        certificate: String,
        valid_until: Date,
    },
    ExemptionExpired {
        certificate: String,
        valid_until: Date,
    },
    ExemptionNotYetValid {
        certificate: String,
        valid_from: Date,
    },
    ImportDuty {
        origin_country_code: String,
        destination_country_code: String,
        percent: Decimal,
    },
}

impl TaxNote {
    pub fn describe(&self) -> String {
        match self {
            Self::ExemptionApplied {
                certificate,
                valid_until,
            } => format!("tax-exempt under certificate {certificate} (valid until {valid_until})"),
            Self::ExemptionExpired {
                certificate,
                valid_until,
            } => format!(
                "exemption certificate {certificate} expired on {valid_until}; tax is charged"
            ),
            Self::ExemptionNotYetValid {
                certificate,
                valid_from,
            } => format!(
                "exemption certificate {certificate} is valid only from {valid_from}; tax is charged"
            ),
            Self::ImportDuty {
                origin_country_code,
                destination_country_code,
                percent,
            } => format!(
                "shipped from {origin_country_code} to {destination_country_code}: customs duty of {} %, and tax on the value plus duty",
                percent.normalize()
            ),
        }
    }
}

/// The tax of a whole request. Every line total adds up to the totals, and
/// every breakdown row's amount is the sum of its lines' shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxResult {
    /// "DE", "US-CA".
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub currency: String,
    pub rounding: Rounding,
    pub lines: Vec<LineTax>,
    /// Sorted by kind (VAT, local, duty), then rate highest first, then
    /// treatment (taxable, zero-rated, exempt supply, exempt buyer), then
    /// name.
    pub breakdown: Vec<TaxBreakdown>,
    pub total_net: Decimal,
    pub total_duty: Decimal,
    pub total_vat: Decimal,
    pub total_local_tax: Decimal,
    /// Duty, VAT and local taxes.
    pub total_tax: Decimal,
    pub total_gross: Decimal,
    pub notes: Vec<TaxNote>,
}

/// The name of the duty row in a breakdown.
pub const DUTY_NAME: &str = "Customs duty";

const MAX_DUTY_PERCENT: i64 = 1000;

impl TaxRules {
    /// The jurisdiction goods shipped to `country_code` (and `region_code`:
    /// "US-CA", or "CA" for short) are taxed by.
    pub fn jurisdiction(
        &self,
        country_code: &str,
        region_code: Option<&str>,
    ) -> Result<&Jurisdiction, DomainError> {
        let country = country_code.trim().to_ascii_uppercase();
        if !is_country_code(&country) {
            return Err(DomainError::invalid(
                "INVALID_TAX_REQUEST",
                "ship_to.country_code",
                format!("{country_code:?} is not an ISO 3166-1 country code like \"DE\""),
            ));
        }
        let region = match region_code.map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(raw) => {
                let upper = raw.to_ascii_uppercase();
                let full = if upper.contains('-') {
                    upper
                } else {
                    format!("{country}-{upper}")
                };
                if !full.starts_with(&format!("{country}-")) {
                    return Err(DomainError::invalid(
                        "INVALID_TAX_REQUEST",
                        "ship_to.region_code",
                        format!("{raw:?} is not a region of {country}"),
                    ));
                }
                Some(full)
            }
        };
        let in_country = || {
            self.jurisdictions
                .iter()
                .filter(|j| j.country_code == country)
        };
        if let Some(region) = &region
            && let Some(j) = in_country().find(|j| j.region_code.as_deref() == Some(region))
        {
            return Ok(j);
        }
        if let Some(j) = in_country().find(|j| j.region_code.is_none()) {
            return Ok(j);
        }
        let regions: Vec<&str> = in_country().map(Jurisdiction::code).collect();
        if regions.is_empty() {
            return Err(DomainError::invalid(
                "NO_TAX_RULES",
                "ship_to.country_code",
                format!("no tax rules for {country}"),
            ));
        }
        Err(DomainError::invalid(
            "NO_TAX_RULES",
            "ship_to.region_code",
            match region {
                Some(region) => format!(
                    "no tax rules for {region}; {country} is taxed by region: {}",
                    regions.join(", ")
                ),
                None => format!(
                    "{country} is taxed by region ({}): give the region",
                    regions.join(", ")
                ),
            },
        ))
    }

    /// Every problem with the rules, fields named `tax_rules.<field>`. An
    /// empty list means valid.
    pub fn validate(&self) -> Vec<FieldViolation> {
        let mut v = Vec::new();
        if !is_country_code(&self.origin_country_code) {
            v.push(FieldViolation::new(
                "tax_rules.origin_country_code",
                format!(
                    "{:?} is not an upper-case ISO 3166-1 code like \"DE\"",
                    self.origin_country_code
                ),
            ));
        }
        for (i, j) in self.jurisdictions.iter().enumerate() {
            let field = format!("tax_rules.jurisdictions[{i}]");
            check_jurisdiction(&field, j, &mut v);
            let twice = self.jurisdictions[..i]
                .iter()
                .any(|o| o.country_code == j.country_code && o.region_code == j.region_code);
            if twice {
                v.push(FieldViolation::new(
                    field,
                    format!("{} has rules twice", j.code()),
                ));
            }
        }
        v
    }

    /// Demo rules for a seller shipping from Germany: EU destinations at
    /// their own rates (no duty inside the customs union), Switzerland with
    /// import duty, the Canary Islands overriding Spain, and California with
    /// a district tax, rounded per document. Rates are realistic, the duty
    /// percents are illustrative (real duty depends on the tariff code).
    pub fn demo() -> Self {
        fn vat(
            country: &str,
            name: &str,
            tax_name: &str,
            standard: Decimal,
            reduced: Decimal,
        ) -> Jurisdiction {
            Jurisdiction {
                country_code: country.into(),
                region_code: None,
                name: name.into(),
                tax_name: tax_name.into(),
                rates: ClassRates { standard, reduced },
                local_taxes: Vec::new(),
                duty_percent: Decimal::ZERO,
                rounding: Rounding::PerLine,
            }
        }
        let pct = |units: i64, scale: u32| Decimal::new(units, scale);
        TaxRules {
            origin_country_code: "DE".into(),
            jurisdictions: vec![
                vat("DE", "Germany", "VAT", pct(19, 0), pct(7, 0)),
                vat("AT", "Austria", "VAT", pct(20, 0), pct(10, 0)),
                vat("FR", "France", "VAT", pct(20, 0), pct(55, 1)),
                vat("ES", "Spain", "VAT", pct(21, 0), pct(10, 0)),
                Jurisdiction {
                    region_code: Some("ES-CN".into()),
                    ..vat("ES", "Canary Islands", "IGIC", pct(7, 0), pct(3, 0))
                },
                Jurisdiction {
                    duty_percent: pct(2, 0),
                    ..vat("CH", "Switzerland", "MWST", pct(81, 1), pct(26, 1))
                },
                Jurisdiction {
                    region_code: Some("US-CA".into()),
                    local_taxes: vec![LocalTax {
                        name: "District tax".into(),
                        percent: pct(1, 0),
                    }],
                    rounding: Rounding::PerDocument,
                    ..vat("US", "California", "Sales tax", pct(725, 2), pct(725, 2))
                },
            ],
        }
    }
}

fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase())
}

fn is_percent(p: Decimal) -> bool {
    p >= Decimal::ZERO && p <= Decimal::ONE_HUNDRED
}

fn check_jurisdiction(field: &str, j: &Jurisdiction, v: &mut Vec<FieldViolation>) {
    if !is_country_code(&j.country_code) {
        v.push(FieldViolation::new(
            format!("{field}.country_code"),
            format!(
                "{:?} is not an upper-case ISO 3166-1 code like \"DE\"",
                j.country_code
            ),
        ));
    }
    if let Some(region) = &j.region_code {
        let ok = region
            .strip_prefix(&format!("{}-", j.country_code))
            .is_some_and(|sub| {
                (1..=3).contains(&sub.len())
                    && sub
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            });
        if !ok {
            v.push(FieldViolation::new(
                format!("{field}.region_code"),
                format!(
                    "{region:?} is not an upper-case ISO 3166-2 code of {} like \"{}-XX\"",
                    j.country_code, j.country_code
                ),
            ));
        }
    }
    for (name, value) in [("name", &j.name), ("tax_name", &j.tax_name)] {
        if value.trim().is_empty() {
            v.push(FieldViolation::new(
                format!("{field}.{name}"),
                "is required",
            ));
        }
    }
    for (name, rate) in [
        ("rates.standard", j.rates.standard),
        ("rates.reduced", j.rates.reduced),
    ] {
        if !is_percent(rate) {
            v.push(FieldViolation::new(
                format!("{field}.{name}"),
                "must be a percent from 0 to 100",
            ));
        }
    }
    for (i, local) in j.local_taxes.iter().enumerate() {
        if local.name.trim().is_empty() {
            v.push(FieldViolation::new(
                format!("{field}.local_taxes[{i}].name"),
                "is required",
            ));
        }
        if !is_percent(local.percent) {
            v.push(FieldViolation::new(
                format!("{field}.local_taxes[{i}].percent"),
                "must be a percent from 0 to 100",
            ));
        }
    }
    if j.duty_percent < Decimal::ZERO || j.duty_percent > Decimal::from(MAX_DUTY_PERCENT) {
        v.push(FieldViolation::new(
            format!("{field}.duty_percent"),
            format!("must be a percent from 0 to {MAX_DUTY_PERCENT}"),
        ));
    }
}

#[cfg(test)]
#[path = "tax_tests.rs"]
mod tests;
