//! A product as the brand sells it: one SKU, its family of variants, the
//! units it can be ordered in, the quantities it may be ordered in, where it
//! is in its life, and how it is taxed. Also what makes a product record
//! valid, and how a catalog manager's masked update (AIP-134) applies.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use super::quantity::{QuantityProblem, QuantityRule};
use crate::{DomainError, FieldViolation};

pub const MAX_CODE_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_ATTRIBUTES: usize = 100;
pub const MAX_IMAGES: usize = 20;
pub const MAX_UNITS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttributeValue {
    Text(String),
    Number { value: Decimal, unit: String },
    Option(String),
}

/// The type of an attribute key. Within one catalog a key keeps one kind
/// (and a number keeps one unit), so a filter or facet on it means one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeKind {
    Text,
    Number { unit: String },
    Option,
}

impl AttributeValue {
    /// The value as shown in a facet and matched by a filter value.
    pub fn label(&self) -> String {
        match self {
            Self::Text(s) | Self::Option(s) => s.clone(),
            Self::Number { value, unit } if unit.is_empty() => value.normalize().to_string(),
            Self::Number { value, unit } => format!("{} {unit}", value.normalize()),
        }
    }

    pub fn kind(&self) -> AttributeKind {
        match self {
            Self::Text(_) => AttributeKind::Text,
            Self::Number { unit, .. } => AttributeKind::Number { unit: unit.clone() },
            Self::Option(_) => AttributeKind::Option,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub key: String,
    pub value: AttributeValue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitOfMeasure {
    pub code: String,
    pub name: String,
    /// Base units in one of this unit: 12 for a box of 12.
    pub base_units: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub currency: String,
    pub amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductStatus {
    /// Listed and orderable.
    Active,
    /// Still found (so a reorder can point at its successor) but no longer
    /// orderable.
    Discontinued,
    /// Seen by brand staff only: being prepared, or withdrawn.
    Hidden,
}

/// What rate of tax a product attracts; the tax engine maps a class to a
/// rate per country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TaxClass {
    #[default]
    Standard,
    Reduced,
    Zero,
    Exempt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub sku: String,
    #[serde(default)]
    pub barcode: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub category_id: String,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// The unit prices and quantities are given in.
    pub sales_unit: UnitOfMeasure,
    /// Other units the product can be ordered in (a box of 12), converted to
    /// the sales unit through their `base_units`.
    #[serde(default)]
    pub order_units: Vec<UnitOfMeasure>,
    pub base_price: Money,
    pub status: ProductStatus,
    /// For a discontinued product: what replaces it.
    #[serde(default)]
    pub successor_id: Option<String>,
    #[serde(default)]
    pub quantity_rule: QuantityRule,
    #[serde(default)]
    pub tax_class: TaxClass,
    #[serde(default)]
    pub image_urls: Vec<String>,
    /// Variants of one article (sizes, colours) share a family id.
    #[serde(default)]
    pub family_id: Option<String>,
    /// The attribute keys the variants of the family differ by.
    #[serde(default)]
    pub variant_keys: Vec<String>,
}

#[cfg(test)]
impl Product {
    /// An active product sold by the piece for `price` euros, named after
    /// its id, with no attributes: tests change what they need with
    /// struct update syntax.
    pub(crate) fn for_tests(id: &str, sku: &str, category_id: &str, price: Decimal) -> Self {
        Self {
            id: id.into(),
            sku: sku.into(),
            barcode: None,
            name: id.into(),
            description: String::new(),
            category_id: category_id.into(),
            attributes: Vec::new(),
            sales_unit: UnitOfMeasure {
                code: "EA".into(),
                name: "Each".into(),
                base_units: Decimal::ONE,
            },
            order_units: Vec::new(),
            base_price: Money {
                currency: "EUR".into(),
                amount: price,
            },
            status: ProductStatus::Active,
            successor_id: None,
            quantity_rule: Default::default(),
            tax_class: Default::default(),
            image_urls: Vec::new(),
            family_id: None,
            variant_keys: Vec::new(),
        }
    }
}

impl Product {
    pub fn attribute(&self, key: &str) -> Option<&AttributeValue> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| &a.value)
    }

    /// The unit with this code (empty: the sales unit).
    pub fn unit(&self, code: &str) -> Option<&UnitOfMeasure> {
        if code.is_empty() || code.eq_ignore_ascii_case(&self.sales_unit.code) {
            return Some(&self.sales_unit);
        }
        self.order_units
            .iter()
            .find(|u| u.code.eq_ignore_ascii_case(code))
    }

    /// `quantity` of unit `code` expressed in the sales unit: 2 boxes of 12
    /// are 24 pieces when the product is sold by the piece. `None` for a
    /// unit the product is not sold in, or a quantity too large to convert.
    pub fn to_sales_quantity(&self, quantity: Decimal, code: &str) -> Option<Decimal> {
        let unit = self.unit(code)?;
        quantity
            .checked_mul(unit.base_units)?
            .checked_div(self.sales_unit.base_units)
    }

    /// Whether a customer may order it at all.
    pub fn orderable(&self) -> bool {
        self.status == ProductStatus::Active
    }

    /// Whether customers may see it.
    pub fn listed(&self) -> bool {
        self.status != ProductStatus::Hidden
    }
}

/// What validation needs to know about the rest of the catalog.
pub trait CatalogFacts {
    fn category_exists(&self, id: &str) -> bool;
    /// The id of the product holding this SKU or barcode, if any.
    fn code_owner(&self, code: &str) -> Option<&str>;
    fn product_exists(&self, id: &str) -> bool;
    /// The kind other products give this attribute key, if any does.
    fn attribute_kind(&self, key: &str) -> Option<AttributeKind>;
}

fn check_code(field: &str, code: &str, v: &mut Vec<FieldViolation>) {
    if code.is_empty() {
        v.push(FieldViolation::new(field, "is required"));
    } else if code.chars().count() > MAX_CODE_CHARS
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        v.push(FieldViolation::new(
            field,
            format!("must be at most {MAX_CODE_CHARS} letters, digits or - _ . / (got {code:?})"),
        ));
    }
}

fn check_unit(field: &str, unit: &UnitOfMeasure, v: &mut Vec<FieldViolation>) {
    check_code(&format!("{field}.code"), &unit.code, v);
    if unit.base_units <= Decimal::ZERO {
        v.push(FieldViolation::new(
            format!("{field}.base_units"),
            "must be greater than zero",
        ));
    }
}

/// Every problem with `p` as a record of `facts`' catalog, fields named
/// `product.<field>`. An empty list means valid.
pub fn validate(p: &Product, facts: &dyn CatalogFacts) -> Vec<FieldViolation> {
    let mut v = Vec::new();
    check_code("product.id", &p.id, &mut v);
    check_code("product.sku", &p.sku, &mut v);
    let mut owned_elsewhere = |field: &str, code: &str| {
        if let Some(owner) = facts.code_owner(code)
            && owner != p.id
        {
            v.push(FieldViolation::new(
                field,
                format!("{code:?} already belongs to product {owner}"),
            ));
        }
    };
    owned_elsewhere("product.sku", &p.sku);
    if let Some(barcode) = &p.barcode {
        owned_elsewhere("product.barcode", barcode);
        if barcode.len() < 8 || barcode.len() > 14 || !barcode.chars().all(|c| c.is_ascii_digit()) {
            v.push(FieldViolation::new(
                "product.barcode",
                "must be a GTIN: 8 to 14 digits",
            ));
        }
    }
    let name_chars = p.name.trim().chars().count();
    if name_chars == 0 || name_chars > MAX_NAME_CHARS {
        v.push(FieldViolation::new(
            "product.name",
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    if p.description.chars().count() > MAX_DESCRIPTION_CHARS {
        v.push(FieldViolation::new(
            "product.description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    if !facts.category_exists(&p.category_id) {
        v.push(FieldViolation::new(
            "product.category_id",
            format!("no category {:?}", p.category_id),
        ));
    }
    check_attributes(p, facts, &mut v);
    check_unit("product.sales_unit", &p.sales_unit, &mut v);
    if p.order_units.len() > MAX_UNITS {
        v.push(FieldViolation::new(
            "product.order_units",
            format!("at most {MAX_UNITS} units"),
        ));
    }
    for (i, unit) in p.order_units.iter().enumerate() {
        let field = format!("product.order_units[{i}]");
        check_unit(&field, unit, &mut v);
        let clashes = unit.code.eq_ignore_ascii_case(&p.sales_unit.code)
            || p.order_units[..i]
                .iter()
                .any(|u| u.code.eq_ignore_ascii_case(&unit.code));
        if clashes {
            v.push(FieldViolation::new(
                format!("{field}.code"),
                format!("unit {:?} appears twice", unit.code),
            ));
        }
    }
    check_price(p, &mut v);
    check_quantity_rule(&p.quantity_rule, &mut v);
    match (&p.status, &p.successor_id) {
        (_, Some(successor)) if successor == &p.id => v.push(FieldViolation::new(
            "product.successor_id",
            "a product cannot succeed itself",
        )),
        (ProductStatus::Discontinued, Some(successor)) if !facts.product_exists(successor) => v
            .push(FieldViolation::new(
                "product.successor_id",
                format!("no product {successor:?}"),
            )),
        (ProductStatus::Active | ProductStatus::Hidden, Some(_)) => v.push(FieldViolation::new(
            "product.successor_id",
            "only a discontinued product has a successor",
        )),
        _ => {}
    }
    if p.image_urls.len() > MAX_IMAGES {
        v.push(FieldViolation::new(
            "product.image_urls",
            format!("at most {MAX_IMAGES} images"),
        ));
    }
    for (i, raw) in p.image_urls.iter().enumerate() {
        // Images are fetched by browsers and apps from a CDN: plain http
        // would be blocked as mixed content, so only https is accepted.
        let ok = url::Url::parse(raw).is_ok_and(|u| u.scheme() == "https" && u.host().is_some());
        if !ok {
            v.push(FieldViolation::new(
                format!("product.image_urls[{i}]"),
                format!("{raw:?} is not an https URL"),
            ));
        }
    }
    match &p.family_id {
        Some(family) => check_code("product.family_id", family, &mut v),
        None if !p.variant_keys.is_empty() => v.push(FieldViolation::new(
            "product.variant_keys",
            "only a product in a family has variant keys",
        )),
        None => {}
    }
    for (i, key) in p.variant_keys.iter().enumerate() {
        if p.attribute(key).is_none() {
            v.push(FieldViolation::new(
                format!("product.variant_keys[{i}]"),
                format!("the product has no attribute {key:?} to vary by"),
            ));
        }
    }
    v
}

fn check_attributes(p: &Product, facts: &dyn CatalogFacts, v: &mut Vec<FieldViolation>) {
    if p.attributes.len() > MAX_ATTRIBUTES {
        v.push(FieldViolation::new(
            "product.attributes",
            format!("at most {MAX_ATTRIBUTES} attributes"),
        ));
    }
    for (i, attribute) in p.attributes.iter().enumerate() {
        let field = format!("product.attributes[{i}]");
        let key = attribute.key.trim();
        if key.is_empty() || key != attribute.key || key.chars().count() > MAX_CODE_CHARS {
            v.push(FieldViolation::new(
                format!("{field}.key"),
                "must be a non-empty key without surrounding spaces",
            ));
        }
        if p.attributes[..i].iter().any(|a| a.key == attribute.key) {
            v.push(FieldViolation::new(
                format!("{field}.key"),
                format!("{key:?} appears twice"),
            ));
        }
        let kind = attribute.value.kind();
        if let Some(existing) = facts.attribute_kind(key)
            && existing != kind
        {
            v.push(FieldViolation::new(
                format!("{field}.value"),
                format!("{key:?} is {existing:?} elsewhere in the catalog, not {kind:?}"),
            ));
        }
    }
}

fn check_price(p: &Product, v: &mut Vec<FieldViolation>) {
    let currency = &p.base_price.currency;
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        v.push(FieldViolation::new(
            "product.base_price.currency_code",
            format!("{currency:?} is not an ISO 4217 code like \"EUR\""),
        ));
    }
    if p.base_price.amount < Decimal::ZERO {
        v.push(FieldViolation::new(
            "product.base_price.amount",
            "must not be negative",
        ));
    }
}

fn check_quantity_rule(rule: &QuantityRule, v: &mut Vec<FieldViolation>) {
    if rule.minimum < Decimal::ZERO {
        v.push(FieldViolation::new(
            "product.quantity_rule.minimum",
            "must not be negative",
        ));
    }
    if let Some(multiple) = rule.multiple {
        if multiple <= Decimal::ZERO {
            v.push(FieldViolation::new(
                "product.quantity_rule.multiple",
                "must be greater than zero",
            ));
        } else if !(rule.minimum % multiple).is_zero() {
            v.push(FieldViolation::new(
                "product.quantity_rule.minimum",
                format!(
                    "must itself be a multiple of {}, or nobody can order it",
                    multiple.normalize()
                ),
            ));
        }
    }
    if let Some(maximum) = rule.maximum
        && (maximum <= Decimal::ZERO || maximum < rule.minimum)
    {
        v.push(FieldViolation::new(
            "product.quantity_rule.maximum",
            "must be greater than zero and not below the minimum",
        ));
    }
}

/// A field a catalog manager's update may name in `update_mask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductField {
    Barcode,
    Name,
    Description,
    CategoryId,
    Attributes,
    SalesUnit,
    OrderUnits,
    BasePrice,
    Status,
    SuccessorId,
    QuantityRule,
    TaxClass,
    ImageUrls,
    FamilyId,
    VariantKeys,
}

const PRODUCT_FIELDS: &[(&str, ProductField)] = &[
    ("barcode", ProductField::Barcode),
    ("name", ProductField::Name),
    ("description", ProductField::Description),
    ("category_id", ProductField::CategoryId),
    ("attributes", ProductField::Attributes),
    ("sales_unit", ProductField::SalesUnit),
    ("order_units", ProductField::OrderUnits),
    ("base_price", ProductField::BasePrice),
    ("status", ProductField::Status),
    ("successor_id", ProductField::SuccessorId),
    ("quantity_rule", ProductField::QuantityRule),
    ("tax_class", ProductField::TaxClass),
    ("image_urls", ProductField::ImageUrls),
    ("family_id", ProductField::FamilyId),
    ("variant_keys", ProductField::VariantKeys),
];

/// Parses `update_mask.paths` for a product update.
pub fn parse_mask(paths: &[String]) -> Result<Vec<ProductField>, DomainError> {
    crate::mask::UpdateMask {
        paths: PRODUCT_FIELDS,
        fixed: &["id", "sku"],
        fixed_because: "identifies the product and cannot change",
        resource: "product",
    }
    .parse(paths)
}

/// `current` with the masked fields taken from `patch`; the result still
/// has to pass [`validate`].
pub fn apply_mask(current: &Product, patch: Product, fields: &[ProductField]) -> Product {
    let mut next = current.clone();
    for field in fields {
        match field {
            ProductField::Barcode => next.barcode = patch.barcode.clone(),
            ProductField::Name => next.name = patch.name.clone(),
            ProductField::Description => next.description = patch.description.clone(),
            ProductField::CategoryId => next.category_id = patch.category_id.clone(),
            ProductField::Attributes => next.attributes = patch.attributes.clone(),
            ProductField::SalesUnit => next.sales_unit = patch.sales_unit.clone(),
            ProductField::OrderUnits => next.order_units = patch.order_units.clone(),
            ProductField::BasePrice => next.base_price = patch.base_price.clone(),
            ProductField::Status => next.status = patch.status,
            ProductField::SuccessorId => next.successor_id = patch.successor_id.clone(),
            ProductField::QuantityRule => next.quantity_rule = patch.quantity_rule.clone(),
            ProductField::TaxClass => next.tax_class = patch.tax_class,
            ProductField::ImageUrls => next.image_urls = patch.image_urls.clone(),
            ProductField::FamilyId => next.family_id = patch.family_id.clone(),
            ProductField::VariantKeys => next.variant_keys = patch.variant_keys.clone(),
        }
    }
    next
}

#[cfg(test)]
#[path = "product_tests.rs"]
mod tests;
