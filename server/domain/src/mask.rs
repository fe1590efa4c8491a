//! AIP-134 update masks: which fields of a resource an update names. One
//! parser serves every resource, so that an empty mask, a path no update
//! may change and a path that is no field at all are refused alike
//! everywhere, each violation named by its position in
//! `update_mask.paths`. Each resource only says which paths it has.

use crate::{DomainError, FieldViolation};

/// What the update mask of one resource may name.
#[derive(Debug, Clone, Copy)]
pub struct UpdateMask<'a, F> {
    /// Each path an update may name, with a field it stands for. A path
    /// listed more than once stands for each of its fields, in order (a
    /// whole message and its parts, say).
    pub paths: &'a [(&'a str, F)],
    /// Paths the resource has but no update changes.
    pub fixed: &'a [&'a str],
    /// Why a fixed path cannot change, completing "<path> …".
    pub fixed_because: &'a str,
    /// The resource, as in "\"colour\" is not a <resource> field".
    pub resource: &'a str,
}

impl<F: Copy> UpdateMask<'_, F> {
    /// The fields `paths` (the request's `update_mask.paths`) name, in the
    /// order named, or every path that names none.
    pub fn parse(&self, paths: &[String]) -> Result<Vec<F>, DomainError> {
        if paths.is_empty() {
            return Err(DomainError::invalid(
                "UPDATE_MASK_REQUIRED",
                "update_mask",
                "name the fields to change",
            ));
        }
        let mut fields = Vec::new();
        let mut violations = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let named = fields.len();
            fields.extend(
                self.paths
                    .iter()
                    .filter(|(name, _)| name == path)
                    .map(|(_, field)| *field),
            );
            if fields.len() > named {
                continue;
            }
            let description = if self.fixed.contains(&path.as_str()) {
                format!("{path} {}", self.fixed_because)
            } else {
                format!("{path:?} is not a {} field", self.resource)
            };
            violations.push(FieldViolation::new(
                format!("update_mask.paths[{i}]"),
                description,
            ));
        }
        if violations.is_empty() {
            Ok(fields)
        } else {
            Err(DomainError::InvalidArgument {
                reason: "INVALID_UPDATE_MASK",
                violations,
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MASK: UpdateMask<'static, u8> = UpdateMask {
        paths: &[("a", 1), ("b", 2), ("b", 3)],
        fixed: &["id"],
        fixed_because: "names the thing and cannot change",
        resource: "thing",
    };

    fn paths(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_path_stands_for_each_of_its_fields_in_the_order_named() {
        assert_eq!(MASK.parse(&paths(&["b", "a"])).unwrap(), vec![2, 3, 1]);
        assert_eq!(MASK.parse(&paths(&["a", "a"])).unwrap(), vec![1, 1]);
    }

    #[test]
    fn an_empty_mask_names_the_mask() {
        let err = MASK.parse(&[]).unwrap_err();
        assert_eq!(
            err,
            DomainError::invalid(
                "UPDATE_MASK_REQUIRED",
                "update_mask",
                "name the fields to change"
            )
        );
    }

    #[test]
    fn fixed_and_unknown_paths_are_refused_by_position_and_all_at_once() {
        let err = MASK.parse(&paths(&["a", "id", "colour"])).unwrap_err();
        assert_eq!(
            err,
            DomainError::InvalidArgument {
                reason: "INVALID_UPDATE_MASK",
                violations: vec![
                    FieldViolation::new(
                        "update_mask.paths[1]",
                        "id names the thing and cannot change"
                    ),
                    FieldViolation::new("update_mask.paths[2]", "\"colour\" is not a thing field"),
                ],
            }
        );
    }
}
