//! Who must approve an order before it is confirmed: by its total and the
//! submitter's role (a buyer may place orders up to a limit, an approver
//! more), by the month's budget of the submitter's department, and in
//! steps where the account configures several (a second approver above a
//! higher amount). The rule that decided is recorded on the order.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Approval, Millis, Order, OrderEvent};
use crate::DomainError;
use crate::identity::{Caller, Role};

/// An account's approval rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPolicy {
    /// What each role may order without anyone's approval; a role not
    /// listed may order anything.
    pub limits: Vec<(Role, Decimal)>,
    /// Approvals an order needs above its limit, in order: each step above
    /// its `above` amount needs one approver with `role`.
    pub steps: Vec<ApprovalStep>,
    /// Monthly budgets per department (org unit id).
    pub budgets: Vec<(String, Decimal)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalStep {
    pub above: Decimal,
    pub role: Role,
}

/// What the rules say about one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalDecision {
    /// Roles whose approval is needed, in order; empty: none.
    pub steps: Vec<Role>,
    /// Which rule decided, for the order's record.
    pub rule: String,
    /// The order takes its department past the month's budget.
    pub over_budget: bool,
}

/// Decides for an order of `total` by someone with `roles`, whose
/// department has spent `spent` of `budget` this month (if it has one).
pub fn decide(
    policy: &ApprovalPolicy,
    roles: &[Role],
    total: Decimal,
    budget: Option<(Decimal, Decimal)>,
) -> ApprovalDecision {
    // The submitter's most generous limit applies; a role without a limit
    // is not limited.
    let limit = roles
        .iter()
        .map(|role| {
            policy
                .limits
                .iter()
                .find(|(r, _)| r == role)
                .map(|(_, limit)| *limit)
        })
        .try_fold(Decimal::ZERO, |best, limit| limit.map(|l| best.max(l)));
    let over_budget = budget.is_some_and(|(spent, budget)| spent + total > budget);
    let within_limit = limit.is_none_or(|limit| total <= limit);
    if within_limit && !over_budget {
        return ApprovalDecision {
            steps: Vec::new(),
            rule: match limit {
                Some(limit) => format!("within the submitter's limit of {}", limit.normalize()),
                None => "the submitter's role orders without approval".into(),
            },
            over_budget: false,
        };
    }
    let mut steps: Vec<Role> = policy
        .steps
        .iter()
        .filter(|s| total > s.above)
        .map(|s| s.role)
        .collect();
    if steps.is_empty() {
        // Over budget (or a limit with no step configured): someone must
        // still say yes; the account's approvers do.
        steps.push(Role::Approver);
    }
    let mut reasons = Vec::new();
    if let Some(limit) = limit.filter(|l| total > *l) {
        reasons.push(format!(
            "{} is above the submitter's limit of {}",
            total.normalize(),
            limit.normalize()
        ));
    }
    if let Some((spent, budget)) = budget.filter(|_| over_budget) {
        reasons.push(format!(
            "the department has {} of its monthly budget {} left",
            (budget - spent).max(Decimal::ZERO).normalize(),
            budget.normalize()
        ));
    }
    ApprovalDecision {
        rule: format!(
            "{}; needs approval by {}",
            reasons.join(" and "),
            steps
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(", then ")
        ),
        steps,
        over_budget,
    }
}

impl Order {
    /// Records `caller`'s approval of the step now pending, with their
    /// `comment`. Returns whether that was the last step, after which the
    /// order goes on to its budget, credit and stock. Only a holder of the
    /// pending step's role may approve it, and nobody approves two steps.
    pub fn approve_step(
        &mut self,
        caller: &Caller,
        comment: &str,
        at: Millis,
    ) -> Result<bool, DomainError> {
        let step = self.pending_step().ok_or_else(|| {
            DomainError::precondition(
                "NOT_PENDING_APPROVAL",
                format!(
                    "order {} is {}, not waiting for approval",
                    self.number,
                    self.status.name()
                ),
            )
        })?;
        if !caller.roles.contains(&step) {
            return Err(DomainError::PermissionDenied {
                action: format!("approve as {}", step.name()),
            });
        }
        if self.approvals.iter().any(|a| a.by == caller.id) {
            return Err(DomainError::precondition(
                "ALREADY_APPROVED",
                "each step needs another approver",
            ));
        }
        self.approvals.push(Approval {
            role: step,
            by: caller.id.clone(),
            at,
            approved: true,
            comment: comment.to_string(),
        });
        Ok(self.pending_step().is_none())
    }

    /// Records `caller`'s rejection of the step now pending and rejects
    /// the order. A rejection must say why; only a holder of the pending
    /// step's role may reject at that step.
    pub fn reject_step(
        &mut self,
        caller: &Caller,
        comment: &str,
        at: Millis,
    ) -> Result<(), DomainError> {
        if comment.trim().is_empty() {
            return Err(DomainError::invalid(
                "COMMENT_REQUIRED",
                "comment",
                "say why",
            ));
        }
        let step = self.pending_step();
        if step.is_some_and(|s| !caller.roles.contains(&s)) {
            return Err(DomainError::PermissionDenied {
                action: "reject at this step".into(),
            });
        }
        self.approvals.push(Approval {
            role: step.unwrap_or(Role::Approver),
            by: caller.id.clone(),
            at,
            approved: false,
            comment: comment.to_string(),
        });
        self.apply(OrderEvent::Reject, &caller.id, at, comment)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn policy() -> ApprovalPolicy {
        ApprovalPolicy {
            limits: vec![(Role::Buyer, dec!(10000)), (Role::Approver, dec!(50000))],
            steps: vec![
                ApprovalStep {
                    above: dec!(10000),
                    role: Role::Approver,
                },
                ApprovalStep {
                    above: dec!(50000),
                    role: Role::AccountAdmin,
                },
            ],
            budgets: vec![("unit-1".into(), dec!(20000))],
        }
    }

    #[test]
    fn a_buyer_orders_up_to_the_limit_alone() {
        let d = decide(&policy(), &[Role::Buyer], dec!(10000), None);
        assert!(d.steps.is_empty());
        assert!(d.rule.contains("10000"));
        let d = decide(&policy(), &[Role::Buyer], dec!(10000.01), None);
        assert_eq!(d.steps, [Role::Approver]);
    }

    #[test]
    fn large_orders_take_every_step_and_an_approvers_own_limit_counts() {
        let d = decide(&policy(), &[Role::Buyer], dec!(60000), None);
        assert_eq!(d.steps, [Role::Approver, Role::AccountAdmin]);
        let d = decide(&policy(), &[Role::Buyer, Role::Approver], dec!(40000), None);
        assert!(d.steps.is_empty(), "the higher limit of the two roles");
        let d = decide(&policy(), &[Role::AccountAdmin], dec!(1000000), None);
        assert!(d.steps.is_empty(), "no limit for the role");
    }

    #[test]
    fn the_last_of_a_budget_passes_and_beyond_it_needs_approval() {
        let within = decide(
            &policy(),
            &[Role::Buyer],
            dec!(500),
            Some((dec!(19500), dec!(20000))),
        );
        assert!(within.steps.is_empty() && !within.over_budget);
        let over = decide(
            &policy(),
            &[Role::Buyer],
            dec!(500.01),
            Some((dec!(19500), dec!(20000))),
        );
        assert!(over.over_budget);
        assert_eq!(over.steps, [Role::Approver]);
        assert!(over.rule.contains("budget 20000"), "{}", over.rule);
    }

    fn person(id: &str, role: Role) -> Caller {
        Caller {
            kind: crate::identity::CallerKind::User,
            id: id.into(),
            account_id: Some("acc-1".into()),
            roles: vec![role],
            session_id: None,
            on_behalf_of: None,
            assigned_accounts: vec![],
            territories: vec![],
        }
    }

    #[test]
    fn each_step_is_approved_by_its_role_and_by_someone_else_each_time() {
        use crate::fixtures::orders::order;
        use crate::orders::OrderStatus;

        let mut o = order(
            OrderStatus::PendingApproval,
            vec![Role::Approver, Role::AccountAdmin],
        );
        let buyer = person("u-buyer", Role::Buyer);
        assert!(matches!(
            o.approve_step(&buyer, "ok", 1),
            Err(DomainError::PermissionDenied { .. })
        ));
        let approver = person("u-approver", Role::Approver);
        assert!(!o.approve_step(&approver, "ok", 1).unwrap());
        let twice = Caller {
            roles: vec![Role::AccountAdmin],
            ..approver.clone()
        };
        match o.approve_step(&twice, "again", 2) {
            Err(DomainError::FailedPrecondition { reason, .. }) => {
                assert_eq!(reason, "ALREADY_APPROVED")
            }
            other => panic!("{other:?}"),
        }
        assert!(
            o.approve_step(&person("u-admin", Role::AccountAdmin), "ok", 3)
                .unwrap()
        );
        assert_eq!(o.approvals.len(), 2);
        match o.approve_step(&person("u-other", Role::AccountAdmin), "late", 4) {
            Err(DomainError::FailedPrecondition { reason, .. }) => {
                assert_eq!(reason, "NOT_PENDING_APPROVAL")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_rejection_says_why_comes_from_the_step_and_rejects_the_order() {
        use crate::fixtures::orders::order;
        use crate::orders::OrderStatus;

        let mut o = order(OrderStatus::PendingApproval, vec![Role::Approver]);
        let approver = person("u-approver", Role::Approver);
        match o.reject_step(&approver, "  ", 1) {
            Err(DomainError::InvalidArgument { reason, .. }) => {
                assert_eq!(reason, "COMMENT_REQUIRED")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            o.reject_step(&person("u-buyer", Role::Buyer), "no", 1),
            Err(DomainError::PermissionDenied { .. })
        ));
        assert!(o.approvals.is_empty());
        o.reject_step(&approver, "over budget", 2).unwrap();
        assert_eq!(o.status, OrderStatus::Rejected);
        assert!(!o.approvals[0].approved);
        assert_eq!(o.approvals[0].comment, "over budget");
    }
}
