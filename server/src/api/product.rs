//! Wire forms of products. Decoding collects every malformed field (a bad
//! decimal, an unknown enum value, a missing unit) by its path in the
//! request, so a catalog manager sees all mistakes at once.

use rust_decimal::Decimal;
use tradeport_proto::catalog as pb;
use tradeport_proto::common as common_pb;

use crate::service::catalog::PricedProduct;
use tradeport_domain::catalog::QuantityProblem;
use tradeport_domain::catalog::quick_order::{self, LineProblem, QuickOrderLine};
use tradeport_domain::catalog::{
    Attribute, AttributeValue, Money, Product, ProductStatus, QuantityRule, TaxClass, UnitOfMeasure,
};
use tradeport_domain::decimal::parse_decimal;
use tradeport_domain::pricing::{LineQuote, StepKind};
use tradeport_domain::{DomainError, FieldViolation};

/// Collects decoding problems while a message is read.
#[derive(Default)]
struct Decoder {
    violations: Vec<FieldViolation>,
}

impl Decoder {
    fn decimal(&mut self, field: &str, raw: &str) -> Decimal {
        match parse_decimal(field, raw) {
            Ok(d) => d,
            Err(DomainError::InvalidArgument { violations, .. }) => {
                self.violations.extend(violations);
                Decimal::ZERO
            }
            Err(other) => {
                self.violations
                    .push(FieldViolation::new(field, other.to_string()));
                Decimal::ZERO
            }
        }
    }

    fn optional_decimal(&mut self, field: &str, raw: &str) -> Option<Decimal> {
        (!raw.trim().is_empty()).then(|| self.decimal(field, raw))
    }

    fn unit(&mut self, field: &str, unit: Option<common_pb::UnitOfMeasure>) -> UnitOfMeasure {
        let Some(unit) = unit else {
            self.violations
                .push(FieldViolation::new(field, "is required"));
            return UnitOfMeasure {
                code: String::new(),
                name: String::new(),
                base_units: Decimal::ONE,
            };
        };
        UnitOfMeasure {
            base_units: self.decimal(&format!("{field}.base_units"), &unit.base_units),
            code: unit.code,
            name: unit.name,
        }
    }
}

fn none_if_empty(s: String) -> Option<String> {
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// A product as a catalog manager sent it, fields named `product.<field>`.
pub fn product_from(p: Option<pb::Product>) -> Result<Product, DomainError> {
    decode_product(p, |_| true)
}

/// The fields of a product an update mask names, as a catalog manager sent
/// them: a field the mask does not name is not read, so it cannot be
/// malformed (the stored product keeps its value). `update_mask: "name"`
/// needs no price, unit or status.
pub fn product_patch_from(
    p: Option<pb::Product>,
    paths: &[String],
) -> Result<Product, DomainError> {
    decode_product(p, |field| {
        let Some(path) = field.strip_prefix("product.") else {
            return true;
        };
        paths.iter().any(|named| {
            path.strip_prefix(named.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    })
}

/// Decodes a product, reporting the malformed fields `read` says were read.
fn decode_product(
    p: Option<pb::Product>,
    read: impl Fn(&str) -> bool,
) -> Result<Product, DomainError> {
    let Some(p) = p else {
        return Err(DomainError::invalid(
            "INVALID_PRODUCT",
            "product",
            "is required",
        ));
    };
    let mut d = Decoder::default();
    let attributes = p
        .attributes
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let field = format!("product.attributes[{i}]");
            let value = match a.value {
                Some(pb::attribute_value::Value::Text(t)) => AttributeValue::Text(t),
                Some(pb::attribute_value::Value::Option(o)) => AttributeValue::Option(o),
                Some(pb::attribute_value::Value::Number(n)) => AttributeValue::Number {
                    value: d.decimal(&format!("{field}.number.value"), &n.value),
                    unit: n.unit,
                },
                None => {
                    d.violations.push(FieldViolation::new(
                        format!("{field}.value"),
                        "give text, number or option",
                    ));
                    AttributeValue::Text(String::new())
                }
            };
            Attribute { key: a.key, value }
        })
        .collect();
    let sales_unit = d.unit("product.sales_unit", p.sales_unit);
    let order_units = p
        .order_units
        .into_iter()
        .enumerate()
        .map(|(i, u)| d.unit(&format!("product.order_units[{i}]"), Some(u)))
        .collect();
    let base_price = match p.base_price {
        Some(m) => Money {
            amount: d.decimal("product.base_price.amount", &m.amount),
            currency: m.currency_code.trim().to_uppercase(),
        },
        None => {
            d.violations
                .push(FieldViolation::new("product.base_price", "is required"));
            Money {
                currency: String::new(),
                amount: Decimal::ZERO,
            }
        }
    };
    let status = match pb::ProductStatus::try_from(p.status) {
        Ok(pb::ProductStatus::Active) => ProductStatus::Active,
        Ok(pb::ProductStatus::Discontinued) => ProductStatus::Discontinued,
        Ok(pb::ProductStatus::Hidden) => ProductStatus::Hidden,
        _ => {
            d.violations.push(FieldViolation::new(
                "product.status",
                "give ACTIVE, DISCONTINUED or HIDDEN",
            ));
            ProductStatus::Hidden
        }
    };
    let tax_class = match pb::TaxClass::try_from(p.tax_class) {
        Ok(pb::TaxClass::Unspecified | pb::TaxClass::Standard) => TaxClass::Standard,
        Ok(pb::TaxClass::Reduced) => TaxClass::Reduced,
        Ok(pb::TaxClass::Zero) => TaxClass::Zero,
        Ok(pb::TaxClass::Exempt) => TaxClass::Exempt,
        Err(_) => {
            d.violations.push(FieldViolation::new(
                "product.tax_class",
                format!("{} is not a tax class", p.tax_class),
            ));
            TaxClass::Standard
        }
    };
    let rule = p.quantity_rule.unwrap_or_default();
    let quantity_rule = QuantityRule {
        minimum: d
            .optional_decimal("product.quantity_rule.minimum", &rule.minimum)
            .unwrap_or_default(),
        multiple: d.optional_decimal("product.quantity_rule.multiple", &rule.multiple),
        maximum: d.optional_decimal("product.quantity_rule.maximum", &rule.maximum),
    };
    let product = Product {
        id: p.id.trim().to_string(),
        sku: p.sku.trim().to_string(),
        barcode: none_if_empty(p.barcode),
        name: p.name,
        description: p.description,
        category_id: p.category_id,
        attributes,
        sales_unit,
        order_units,
        base_price,
        status,
        successor_id: none_if_empty(p.successor_id),
        quantity_rule,
        tax_class,
        image_urls: p.image_urls,
        family_id: none_if_empty(p.family_id),
        variant_keys: p.variant_keys,
    };
    d.violations.retain(|v| read(&v.field));
    if d.violations.is_empty() {
        Ok(product)
    } else {
        Err(DomainError::InvalidArgument {
            reason: "INVALID_PRODUCT",
            violations: d.violations,
        })
    }
}

pub fn money_to(currency: &str, amount: Decimal) -> common_pb::Money {
    common_pb::Money {
        currency_code: currency.to_string(),
        amount: amount.to_string(),
    }
}

fn unit_to(u: &UnitOfMeasure) -> common_pb::UnitOfMeasure {
    common_pb::UnitOfMeasure {
        code: u.code.clone(),
        name: u.name.clone(),
        base_units: u.base_units.normalize().to_string(),
    }
}

fn attribute_to(a: &Attribute) -> pb::AttributeValue {
    pb::AttributeValue {
        key: a.key.clone(),
        value: Some(match &a.value {
            AttributeValue::Text(s) => pb::attribute_value::Value::Text(s.clone()),
            AttributeValue::Option(s) => pb::attribute_value::Value::Option(s.clone()),
            AttributeValue::Number { value, unit } => {
                pb::attribute_value::Value::Number(pb::NumberValue {
                    value: value.normalize().to_string(),
                    unit: unit.clone(),
                })
            }
        }),
    }
}

fn optional(d: Option<Decimal>) -> String {
    d.map(|d| d.normalize().to_string()).unwrap_or_default()
}

pub fn product_to(p: &Product, category_path: &[String]) -> pb::Product {
    pb::Product {
        id: p.id.clone(),
        sku: p.sku.clone(),
        barcode: p.barcode.clone().unwrap_or_default(),
        name: p.name.clone(),
        description: p.description.clone(),
        category_id: p.category_id.clone(),
        category_path: category_path.to_vec(),
        attributes: p.attributes.iter().map(attribute_to).collect(),
        sales_unit: Some(unit_to(&p.sales_unit)),
        base_price: Some(money_to(&p.base_price.currency, p.base_price.amount)),
        status: match p.status {
            ProductStatus::Active => pb::ProductStatus::Active,
            ProductStatus::Discontinued => pb::ProductStatus::Discontinued,
            ProductStatus::Hidden => pb::ProductStatus::Hidden,
        } as i32,
        order_units: p.order_units.iter().map(unit_to).collect(),
        quantity_rule: Some(pb::QuantityRule {
            minimum: optional(Some(p.quantity_rule.minimum).filter(|m| !m.is_zero())),
            multiple: optional(p.quantity_rule.multiple),
            maximum: optional(p.quantity_rule.maximum),
        }),
        successor_id: p.successor_id.clone().unwrap_or_default(),
        tax_class: match p.tax_class {
            TaxClass::Standard => pb::TaxClass::Standard,
            TaxClass::Reduced => pb::TaxClass::Reduced,
            TaxClass::Zero => pb::TaxClass::Zero,
            TaxClass::Exempt => pb::TaxClass::Exempt,
        } as i32,
        image_urls: p.image_urls.clone(),
        family_id: p.family_id.clone().unwrap_or_default(),
        variant_keys: p.variant_keys.clone(),
        your_price: None,
        variants: Vec::new(),
    }
}

/// A product as the caller is shown it, with their own price of one unit
/// (none for brand staff).
pub fn priced_product_to(priced: &PricedProduct) -> pb::Product {
    let mut wire = product_to(&priced.product, &priced.path);
    wire.your_price = priced
        .your_price
        .as_ref()
        .map(|(currency, amount)| money_to(currency, *amount));
    wire
}

/// A sibling variant: its identity and the values it differs by.
pub fn variant_to(p: &Product) -> pb::ProductVariant {
    pb::ProductVariant {
        id: p.id.clone(),
        sku: p.sku.clone(),
        name: p.name.clone(),
        attributes: p
            .attributes
            .iter()
            .filter(|a| p.variant_keys.contains(&a.key))
            .map(attribute_to)
            .collect(),
    }
}

pub fn priced_line_to(l: &LineQuote, currency: &str) -> pb::PricedLine {
    let money = |amount: Decimal| Some(money_to(currency, amount));
    pb::PricedLine {
        sku: l.sku.clone(),
        quantity: l.quantity.normalize().to_string(),
        list_unit_price: money(l.list_unit_price),
        unit_price: money(l.unit_price),
        line_total: money(l.line_total),
        discount_total: money(l.discount_total),
        explanation: l
            .steps
            .iter()
            .map(|step| pb::PricingStep {
                rule: match step.kind {
                    StepKind::PriceList => pb::PricingRule::PriceList,
                    StepKind::VolumeBreak => pb::PricingRule::VolumeBreak,
                    StepKind::Promotion => pb::PricingRule::Promotion,
                    StepKind::Rounding => pb::PricingRule::Rounding,
                } as i32,
                source_id: step.source_id.clone(),
                description: step.description.clone(),
                unit_price: money(step.unit_price),
            })
            .collect(),
    }
}

fn problem_to(problem: &LineProblem) -> pb::QuickOrderProblem {
    use pb::QuickOrderProblemKind as Kind;
    let (kind, quantity, successor_sku) = match problem {
        LineProblem::UnknownCode => (Kind::UnknownCode, None, None),
        LineProblem::BadQuantity { .. } => (Kind::BadQuantity, None, None),
        LineProblem::UnknownUnit { .. } => (Kind::UnknownUnit, None, None),
        LineProblem::NotInAssortment => (Kind::NotInAssortment, None, None),
        LineProblem::Discontinued { successor_sku } => {
            (Kind::Discontinued, None, successor_sku.clone())
        }
        LineProblem::Quantity(QuantityProblem::NotPositive) => (Kind::BadQuantity, None, None),
        LineProblem::Quantity(QuantityProblem::BelowMinimum { minimum }) => {
            (Kind::BelowMinimum, Some(*minimum), None)
        }
        LineProblem::Quantity(QuantityProblem::NotMultiple { nearest, .. }) => {
            (Kind::NotAMultiple, Some(*nearest), None)
        }
        LineProblem::Quantity(
            QuantityProblem::AboveMaximum { maximum } | QuantityProblem::AboveLineLimit { maximum },
        ) => (Kind::AboveMaximum, Some(*maximum), None),
        LineProblem::Quantity(
            QuantityProblem::TooPrecise { .. }
            | QuantityProblem::PricedAtNothing
            | QuantityProblem::TooLargeToPrice,
        ) => (Kind::BadQuantity, None, None),
        LineProblem::NoPrice { .. } => (Kind::NoPrice, None, None),
        LineProblem::ShortOnStock { available } => (Kind::ShortOnStock, Some(*available), None),
    };
    pb::QuickOrderProblem {
        kind: kind as i32,
        description: problem.describe(),
        blocking: problem.blocking(),
        quantity: optional(quantity),
        successor_sku: successor_sku.unwrap_or_default(),
    }
}

pub fn quick_order_line_to(l: &QuickOrderLine, currency: &str) -> pb::QuickOrderLine {
    pb::QuickOrderLine {
        line_number: l.input.line_number,
        code: l.input.code.clone(),
        product_id: l.product.as_ref().map(|p| p.id.clone()).unwrap_or_default(),
        sku: l
            .product
            .as_ref()
            .map(|p| p.sku.clone())
            .unwrap_or_default(),
        name: l
            .product
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        quantity: optional(l.quantity),
        priced: l.quote.as_ref().map(|q| priced_line_to(q, currency)),
        problems: l.problems.iter().map(problem_to).collect(),
        orderable: l.orderable(),
    }
}

/// A checked quick order, with what it comes to.
pub fn quick_order_to(lines: &[QuickOrderLine], currency: &str) -> pb::QuickOrderResponse {
    let totals = quick_order::totals(lines);
    pb::QuickOrderResponse {
        orderable_lines: u32::try_from(totals.orderable_lines).unwrap_or(u32::MAX),
        blocked_lines: u32::try_from(totals.blocked_lines).unwrap_or(u32::MAX),
        subtotal: Some(money_to(currency, totals.subtotal)),
        lines: lines
            .iter()
            .map(|l| quick_order_line_to(l, currency))
            .collect(),
    }
}
