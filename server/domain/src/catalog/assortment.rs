//! Assortments: what a customer may see and buy. An assortment opens
//! category subtrees and single SKUs to one account or to every account of
//! a tier. A customer with no assortment sees the whole catalog; one with
//! any sees only the union of theirs — in search, in product pages, in
//! prices. Brand staff see everything. An invisible product answers like a
//! missing one.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssortmentScope {
    Account(String),
    Tier(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assortment {
    pub id: String,
    pub name: String,
    pub scope: AssortmentScope,
    /// Category ids whose whole subtree is open.
    pub categories: Vec<String>,
    pub skus: Vec<String>,
}

/// What one caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visible {
    /// Brand staff: every product, hidden ones too.
    Everything,
    /// A customer without an assortment: every listed product.
    AllListed,
    /// A customer's assortments: listed products in these categories (and
    /// below) or with these SKUs.
    Only {
        categories: HashSet<String>,
        skus: HashSet<String>,
    },
}

impl Visible {
    /// The union of the assortments that apply to a customer of `tier`.
    pub fn for_customer(assortments: &[Assortment], account_id: &str, tier: &str) -> Self {
        let mine: Vec<&Assortment> = assortments
            .iter()
            .filter(|a| match &a.scope {
                AssortmentScope::Account(id) => id == account_id,
                AssortmentScope::Tier(t) => t == tier,
            })
            .collect();
        if mine.is_empty() {
            return Visible::AllListed;
        }
        Visible::Only {
            categories: mine
                .iter()
                .flat_map(|a| a.categories.iter().cloned())
                .collect(),
            skus: mine.iter().flat_map(|a| a.skus.iter().cloned()).collect(),
        }
    }

    /// Whether a product with `sku` in the category path `path`, listed
    /// or hidden, is visible.
    pub fn allows(&self, sku: &str, path: &[String], listed: bool) -> bool {
        match self {
            Visible::Everything => true,
            _ if !listed => false,
            Visible::AllListed => true,
            Visible::Only { categories, skus } => {
                skus.contains(sku) || path.iter().any(|c| categories.contains(c))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assortment(scope: AssortmentScope, categories: &[&str], skus: &[&str]) -> Assortment {
        Assortment {
            id: "a".into(),
            name: "a".into(),
            scope,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            skus: skus.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn path(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn no_assortment_means_the_whole_catalog() {
        assert_eq!(
            Visible::for_customer(&[], "acc", "gold"),
            Visible::AllListed
        );
        let other = [assortment(
            AssortmentScope::Account("other".into()),
            &["x"],
            &[],
        )];
        assert_eq!(
            Visible::for_customer(&other, "acc", "gold"),
            Visible::AllListed
        );
    }

    #[test]
    fn tier_and_account_assortments_add_up() {
        let all = [
            assortment(AssortmentScope::Tier("standard".into()), &["cat-el"], &[]),
            assortment(AssortmentScope::Account("acc".into()), &[], &["TP-TO-1"]),
        ];
        let v = Visible::for_customer(&all, "acc", "standard");
        assert!(
            v.allows("TP-EL-1", &path(&["cat-el", "cat-el-0", "cat-el-00"]), true),
            "subtree"
        );
        assert!(
            v.allows("TP-TO-1", &path(&["cat-to", "cat-to-0"]), true),
            "single SKU"
        );
        assert!(!v.allows("TP-TO-2", &path(&["cat-to", "cat-to-0"]), true));
        let other_account = Visible::for_customer(&all, "acc-2", "standard");
        assert!(!other_account.allows("TP-TO-1", &path(&["cat-to"]), true));
    }

    #[test]
    fn hidden_products_are_for_brand_staff_only() {
        let staff = Visible::Everything;
        let customer = Visible::for_customer(&[], "acc", "gold");
        assert!(staff.allows("TP-1", &path(&["cat-to"]), false));
        assert!(!customer.allows("TP-1", &path(&["cat-to"]), false));
        assert!(customer.allows("TP-1", &path(&["cat-to"]), true));
    }
}
