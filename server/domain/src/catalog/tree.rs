//! The category tree: built once from the flat records, it answers "is this
//! category within that subtree" in O(depth) and lists the tree depth first.
//! A record whose parent is missing, or a cycle, is a data error reported at
//! build time rather than a category that silently vanishes.

use std::collections::HashMap;

use super::Category;

#[derive(Debug, Clone)]
struct Node {
    category: Category,
    depth: u32,
    /// Ids from the root down to and including this category.
    path: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    /// Depth-first, siblings by position then name.
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
}

impl CategoryTree {
    pub fn build(categories: Vec<Category>) -> Result<Self, String> {
        let mut children: HashMap<Option<String>, Vec<Category>> = HashMap::new();
        let known: HashMap<String, ()> = categories.iter().map(|c| (c.id.clone(), ())).collect();
        for c in categories {
            if let Some(parent) = &c.parent_id
                && !known.contains_key(parent)
            {
                return Err(format!("category {} has unknown parent {parent}", c.id));
            }
            children.entry(c.parent_id.clone()).or_default().push(c);
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| (a.position, &a.name, &a.id).cmp(&(b.position, &b.name, &b.id)));
        }
        let mut tree = Self::default();
        // Explicit stack: a deep tree from bad data must not overflow ours.
        let mut stack: Vec<(Category, u32, Vec<String>)> = children
            .remove(&None)
            .unwrap_or_default()
            .into_iter()
            .rev()
            .map(|c| (c, 0, Vec::new()))
            .collect();
        while let Some((category, depth, mut path)) = stack.pop() {
            path.push(category.id.clone());
            if let Some(kids) = children.remove(&Some(category.id.clone())) {
                for kid in kids.into_iter().rev() {
                    stack.push((kid, depth + 1, path.clone()));
                }
            }
            tree.index.insert(category.id.clone(), tree.nodes.len());
            tree.nodes.push(Node {
                category,
                depth,
                path,
            });
        }
        if tree.nodes.len() != known.len() {
            return Err(
                "the category tree has a cycle: some categories are not under any root".into(),
            );
        }
        Ok(tree)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    pub fn get(&self, id: &str) -> Option<&Category> {
        self.index.get(id).map(|&i| &self.nodes[i].category)
    }

    /// Ids from the root down to `id`, or empty if `id` is unknown.
    pub fn path(&self, id: &str) -> &[String] {
        self.index
            .get(id)
            .map(|&i| self.nodes[i].path.as_slice())
            .unwrap_or(&[])
    }

    /// Where `id` sits in [`CategoryTree::depth_first`] order.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The path of the category at `position`, root first.
    pub fn path_at(&self, position: usize) -> &[String] {
        self.nodes
            .get(position)
            .map(|n| n.path.as_slice())
            .unwrap_or(&[])
    }

    /// Whether `id` is `ancestor` or below it.
    pub fn is_within(&self, id: &str, ancestor: &str) -> bool {
        self.path(id).iter().any(|p| p == ancestor)
    }

    /// Every category depth first, with its depth.
    pub fn depth_first(&self) -> impl Iterator<Item = (&Category, u32)> {
        self.nodes.iter().map(|n| (&n.category, n.depth))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cat(id: &str, parent: Option<&str>, position: u32) -> Category {
        Category {
            id: id.into(),
            parent_id: parent.map(Into::into),
            name: id.to_uppercase(),
            position,
        }
    }

    #[test]
    fn depth_first_order_paths_and_subtrees() {
        let tree = CategoryTree::build(vec![
            cat("b", None, 1),
            cat("a1", Some("a"), 0),
            cat("a", None, 0),
            cat("a1x", Some("a1"), 0),
            cat("a2", Some("a"), 1),
        ])
        .unwrap();
        let order: Vec<_> = tree
            .depth_first()
            .map(|(c, d)| (c.id.as_str(), d))
            .collect();
        assert_eq!(
            order,
            [("a", 0), ("a1", 1), ("a1x", 2), ("a2", 1), ("b", 0)]
        );
        assert_eq!(tree.path("a1x"), ["a", "a1", "a1x"]);
        assert!(tree.is_within("a1x", "a"));
        assert!(!tree.is_within("a2", "a1"));
        assert!(!tree.is_within("nope", "a"));
    }

    #[test]
    fn orphans_and_cycles_are_refused() {
        assert!(CategoryTree::build(vec![cat("x", Some("missing"), 0)]).is_err());
        assert!(CategoryTree::build(vec![cat("x", Some("y"), 0), cat("y", Some("x"), 0)]).is_err());
    }
}
