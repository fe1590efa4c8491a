//! The catalog: categories, products and what a product is described by.
//! These are the records the store keeps (serde, evolvable by field name)
//! and the values the search index answers with. No pricing rules yet: a
//! product carries its list price only.

mod assortment;
mod search;
mod tree;

pub use assortment::{Assortment, AssortmentScope, Visible};
pub use search::{CatalogIndex, Facet, FacetCount, RawFilter, SearchRequest, SearchResults};
pub use tree::CategoryTree;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    /// `None` for a root.
    pub parent_id: Option<String>,
    pub name: String,
    /// Order among siblings.
    pub position: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttributeValue {
    Text(String),
    Number { value: Decimal, unit: String },
    Option(String),
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
    Active,
    Discontinued,
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
    pub sales_unit: UnitOfMeasure,
    pub base_price: Money,
    pub status: ProductStatus,
}

impl Product {
    pub fn attribute(&self, key: &str) -> Option<&AttributeValue> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| &a.value)
    }
}
