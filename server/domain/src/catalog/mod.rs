//! The catalog: categories, products and what a product is described by.
//! These are the records the store keeps (serde, evolvable by field name)
//! and the values the search index answers with. A product carries its
//! list price; customer prices are the pricing engine's.

mod assortment;
mod attributes;
mod index;
mod name_order;
pub mod product;
pub mod quantity;
pub mod quick_order;
mod search;
mod tree;

pub use assortment::{Assortment, AssortmentScope, Visible};
pub use index::CatalogIndex;
pub use product::{
    Attribute, AttributeKind, AttributeValue, CatalogFacts, Money, Product, ProductStatus,
    QuantityProblem, QuantityRule, TaxClass, UnitOfMeasure,
};
pub use search::{
    Facet, FacetCount, RawFilter, SearchContext, SearchRequest, SearchResults, TextHit,
};
pub use tree::CategoryTree;

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
