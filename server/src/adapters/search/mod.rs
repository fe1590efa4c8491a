//! Search engines behind the catalog's product search.
//!
//! [`text`] answers "which products match these words, and how well" over a
//! tantivy index kept in RAM; filters, facets, visibility and sorting stay
//! with the catalog.

pub mod text;

pub use text::{TextDoc, TextIndex, TextIndexError, TextMatch};
