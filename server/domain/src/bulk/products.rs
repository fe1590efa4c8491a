//! The catalog as CSV: one product per row.
//!
//! Lists inside a cell are separated by `|`. Attributes are
//! `key:kind=value` with kind `text`, `option` or `number` (a number's value
//! is a decimal and its unit: `voltage:number=230 V`); order units are
//! `code:name:base units` (`BOX10:Box of 10:10`).

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;

use super::{Column, Row, RowError, column};
use crate::catalog::product::validate;
use crate::catalog::{
    Attribute, AttributeKind, AttributeValue, CatalogFacts, CatalogIndex, Money, Product,
    ProductStatus, QuantityRule, TaxClass, UnitOfMeasure,
};

pub const COLUMNS: &[Column] = &[
    column("id", true, "Stable product id", "prd-900001"),
    column("sku", true, "Stock keeping unit, unique", "TP-EL-90001"),
    column(
        "barcode",
        false,
        "GTIN/EAN, 8 to 14 digits",
        "4000009000017",
    ),
    column(
        "name",
        true,
        "Product name",
        "Installation cable 3x1.5 mm² 100 m",
    ),
    column(
        "description",
        false,
        "Free text",
        "PVC-sheathed, for dry rooms",
    ),
    column("category_id", true, "An existing category id", "cat-el-00"),
    column("status", true, "active, discontinued or hidden", "active"),
    column(
        "successor_id",
        false,
        "For a discontinued product: its replacement (existing, or earlier in the file)",
        "",
    ),
    column(
        "sales_unit_code",
        true,
        "Unit prices and quantities are in",
        "EA",
    ),
    column("sales_unit_name", false, "Its name", "Each"),
    column(
        "sales_unit_base_units",
        false,
        "Base units in one sales unit (default 1)",
        "1",
    ),
    column(
        "order_units",
        false,
        "Other units, code:name:base units, |-separated",
        "BOX10:Box of 10:10",
    ),
    column(
        "price_currency",
        true,
        "ISO 4217 code of the list price",
        "EUR",
    ),
    column(
        "price_amount",
        true,
        "List price per sales unit, decimal",
        "42.50",
    ),
    column("min_quantity", false, "Minimum order quantity", "20"),
    column("order_multiple", false, "Orders in multiples of", "10"),
    column("max_quantity", false, "Maximum per order line", "5000"),
    column(
        "tax_class",
        false,
        "standard (default), reduced, zero or exempt",
        "standard",
    ),
    column(
        "image_urls",
        false,
        "https URLs, |-separated",
        "https://images.tradeport.example/p/900001.jpg",
    ),
    column("family_id", false, "Variants of one article share it", ""),
    column(
        "variant_keys",
        false,
        "Attribute keys the family varies by, |-separated",
        "",
    ),
    column(
        "attributes",
        false,
        "key:kind=value, |-separated; kind is text, option or number",
        "voltage:number=230 V|material:option=copper",
    ),
];

fn status(row: &mut Row<'_>) -> ProductStatus {
    match row.text("status").to_ascii_lowercase().as_str() {
        "active" => ProductStatus::Active,
        "discontinued" => ProductStatus::Discontinued,
        "hidden" => ProductStatus::Hidden,
        other => {
            row.error(
                "status",
                format!("{other:?} is not active, discontinued or hidden"),
            );
            ProductStatus::Hidden
        }
    }
}

fn tax_class(row: &mut Row<'_>) -> TaxClass {
    match row.text("tax_class").to_ascii_lowercase().as_str() {
        "" | "standard" => TaxClass::Standard,
        "reduced" => TaxClass::Reduced,
        "zero" => TaxClass::Zero,
        "exempt" => TaxClass::Exempt,
        other => {
            row.error(
                "tax_class",
                format!("{other:?} is not standard, reduced, zero or exempt"),
            );
            TaxClass::Standard
        }
    }
}

fn order_units(row: &mut Row<'_>) -> Vec<UnitOfMeasure> {
    let mut units = Vec::new();
    for item in row.list("order_units") {
        let parts: Vec<&str> = item.split(':').map(str::trim).collect();
        let base = parts
            .get(2)
            .and_then(|b| crate::decimal::parse_decimal("", b).ok());
        match (parts.as_slice(), base) {
            ([code, name, _], Some(base_units)) => units.push(UnitOfMeasure {
                code: (*code).to_string(),
                name: (*name).to_string(),
                base_units,
            }),
            _ => row.error(
                "order_units",
                format!("{item:?} is not code:name:base units, e.g. BOX10:Box of 10:10"),
            ),
        }
    }
    units
}

fn attributes(row: &mut Row<'_>) -> Vec<Attribute> {
    let mut out = Vec::new();
    for item in row.list("attributes") {
        let parsed = item.split_once('=').and_then(|(head, value)| {
            let (key, kind) = head.split_once(':')?;
            let value = value.trim();
            let value = match kind.trim() {
                "text" => AttributeValue::Text(value.to_string()),
                "option" => AttributeValue::Option(value.to_string()),
                "number" => {
                    let (number, unit) = value.split_once(' ').unwrap_or((value, ""));
                    AttributeValue::Number {
                        value: crate::decimal::parse_decimal("", number).ok()?,
                        unit: unit.trim().to_string(),
                    }
                }
                _ => return None,
            };
            Some(Attribute {
                key: key.trim().to_string(),
                value,
            })
        });
        match parsed {
            Some(attribute) => out.push(attribute),
            None => row.error(
                "attributes",
                format!("{item:?} is not key:kind=value with kind text, option or number"),
            ),
        }
    }
    out
}

fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

/// Reads one product row; every problem is named by line and column.
pub fn parse_row(row: &mut Row<'_>) -> Option<Product> {
    let base_units = row.decimal("sales_unit_base_units").unwrap_or(Decimal::ONE);
    let product = Product {
        id: row.required("id"),
        sku: row.required("sku"),
        barcode: optional(row.text("barcode")),
        name: row.required("name"),
        description: row.text("description").to_string(),
        category_id: row.required("category_id"),
        status: status(row),
        successor_id: optional(row.text("successor_id")),
        sales_unit: UnitOfMeasure {
            code: row.required("sales_unit_code"),
            name: row.text("sales_unit_name").to_string(),
            base_units,
        },
        order_units: order_units(row),
        base_price: Money {
            currency: row.required("price_currency").to_uppercase(),
            amount: row.required_decimal("price_amount"),
        },
        quantity_rule: QuantityRule {
            minimum: row.decimal("min_quantity").unwrap_or_default(),
            multiple: row.decimal("order_multiple"),
            maximum: row.decimal("max_quantity"),
        },
        tax_class: tax_class(row),
        image_urls: row
            .list("image_urls")
            .into_iter()
            .map(String::from)
            .collect(),
        family_id: optional(row.text("family_id")),
        variant_keys: row
            .list("variant_keys")
            .into_iter()
            .map(String::from)
            .collect(),
        attributes: attributes(row),
    };
    row.errors.is_empty().then_some(product)
}

/// A product's CSV row, in [`COLUMNS`] order.
pub fn write_row(p: &Product) -> Vec<String> {
    let decimal = |d: Option<Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    vec![
        p.id.clone(),
        p.sku.clone(),
        p.barcode.clone().unwrap_or_default(),
        p.name.clone(),
        p.description.clone(),
        p.category_id.clone(),
        match p.status {
            ProductStatus::Active => "active",
            ProductStatus::Discontinued => "discontinued",
            ProductStatus::Hidden => "hidden",
        }
        .into(),
        p.successor_id.clone().unwrap_or_default(),
        p.sales_unit.code.clone(),
        p.sales_unit.name.clone(),
        p.sales_unit.base_units.normalize().to_string(),
        p.order_units
            .iter()
            .map(|u| format!("{}:{}:{}", u.code, u.name, u.base_units.normalize()))
            .collect::<Vec<_>>()
            .join("|"),
        p.base_price.currency.clone(),
        p.base_price.amount.to_string(),
        decimal(Some(p.quantity_rule.minimum).filter(|m| !m.is_zero())),
        decimal(p.quantity_rule.multiple),
        decimal(p.quantity_rule.maximum),
        match p.tax_class {
            TaxClass::Standard => "standard",
            TaxClass::Reduced => "reduced",
            TaxClass::Zero => "zero",
            TaxClass::Exempt => "exempt",
        }
        .into(),
        p.image_urls.join("|"),
        p.family_id.clone().unwrap_or_default(),
        p.variant_keys.join("|"),
        p.attributes
            .iter()
            .map(|a| {
                let (kind, value) = match &a.value {
                    AttributeValue::Text(t) => ("text", t.clone()),
                    AttributeValue::Option(o) => ("option", o.clone()),
                    AttributeValue::Number { .. } => ("number", a.value.label()),
                };
                format!("{}:{kind}={value}", a.key)
            })
            .collect::<Vec<_>>()
            .join("|"),
    ]
}

/// The catalog as it stands plus the rows accepted so far: a later row
/// cannot take a SKU an earlier row took, and may name an earlier row as
/// its successor.
pub struct Batch<'a> {
    base: &'a CatalogIndex,
    codes: HashMap<String, String>,
    ids: HashSet<String>,
    kinds: HashMap<String, AttributeKind>,
}

impl<'a> Batch<'a> {
    pub fn new(base: &'a CatalogIndex) -> Self {
        Self {
            base,
            codes: HashMap::new(),
            ids: HashSet::new(),
            kinds: HashMap::new(),
        }
    }

    /// Checks a parsed product against the catalog and the batch; on
    /// success the batch holds it.
    pub fn accept(&mut self, line: u64, product: &Product) -> Result<(), Vec<RowError>> {
        if self.ids.contains(&product.id) {
            return Err(vec![RowError {
                line,
                column: "id".into(),
                reason: format!("{:?} appears on an earlier line", product.id),
            }]);
        }
        let violations = validate(product, self);
        if !violations.is_empty() {
            return Err(violations
                .into_iter()
                .map(|v| RowError {
                    line,
                    column: column_of(&v.field).into(),
                    reason: v.description,
                })
                .collect());
        }
        self.ids.insert(product.id.clone());
        self.codes
            .insert(product.sku.to_lowercase(), product.id.clone());
        if let Some(barcode) = &product.barcode {
            self.codes
                .insert(barcode.to_lowercase(), product.id.clone());
        }
        for a in &product.attributes {
            self.kinds
                .entry(a.key.clone())
                .or_insert_with(|| a.value.kind());
        }
        Ok(())
    }
}

/// The CSV column a validation field path comes from.
fn column_of(field: &str) -> &'static str {
    let field = field.strip_prefix("product.").unwrap_or(field);
    let head = field.split(['.', '[']).next().unwrap_or(field);
    match head {
        "sales_unit" if field.ends_with("base_units") => "sales_unit_base_units",
        "sales_unit" => "sales_unit_code",
        "base_price" if field.ends_with("amount") => "price_amount",
        "base_price" => "price_currency",
        "quantity_rule" if field.ends_with("multiple") => "order_multiple",
        "quantity_rule" if field.ends_with("maximum") => "max_quantity",
        "quantity_rule" => "min_quantity",
        other => COLUMNS
            .iter()
            .map(|c| c.name)
            .find(|name| *name == other)
            .unwrap_or(""),
    }
}

impl CatalogFacts for Batch<'_> {
    fn category_exists(&self, id: &str) -> bool {
        self.base.category_exists(id)
    }

    fn code_owner(&self, code: &str) -> Option<&str> {
        self.codes
            .get(&code.to_lowercase())
            .map(String::as_str)
            .or_else(|| self.base.code_owner(code))
    }

    fn product_exists(&self, id: &str) -> bool {
        self.ids.contains(id) || self.base.product_exists(id)
    }

    fn attribute_kind(&self, key: &str) -> Option<AttributeKind> {
        self.kinds
            .get(key)
            .cloned()
            .or_else(|| self.base.attribute_kind(key))
    }
}
