//! Who hears about what happens to an order: approvers when one waits for
//! them, brand finance when one is held for credit, the person who placed
//! it when it ships or is late (brand admins hear of lateness too).
//! A notification is addressed to a person or to a role within an account
//! (or the brand), so a user who gains the role later sees what is pending.

use serde::{Deserialize, Serialize};

use super::{Millis, Order};
use crate::identity::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotificationKind {
    ApprovalNeeded,
    CreditHold,
    Shipped,
    Delayed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub at: Millis,
    pub kind: NotificationKind,
    pub order_id: String,
    pub order_number: String,
    pub text: String,
}

/// Whom a notification is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    User(String),
    AccountRole(String, Role),
    BrandRole(Role),
}

/// Who hears of `kind` happening to `order`, and what they read.
pub fn audience(kind: NotificationKind, order: &Order) -> (Vec<Audience>, String) {
    match kind {
        NotificationKind::ApprovalNeeded => {
            let role = order.pending_step().unwrap_or(Role::Approver);
            (
                vec![Audience::AccountRole(order.account_id.clone(), role)],
                format!(
                    "order {} ({} {}) waits for your approval: {}",
                    order.number,
                    order.total.normalize(),
                    order.currency,
                    order.approval.rule
                ),
            )
        }
        NotificationKind::CreditHold => (
            vec![
                Audience::BrandRole(Role::BrandFinance),
                Audience::User(order.placed_by.clone()),
            ],
            format!(
                "order {} of account {} is on credit hold",
                order.number, order.account_id
            ),
        ),
        NotificationKind::Shipped => (
            vec![Audience::User(order.placed_by.clone())],
            format!("order {} has shipped", order.number),
        ),
        NotificationKind::Delayed => (
            vec![
                Audience::User(order.placed_by.clone()),
                Audience::BrandRole(Role::BrandAdmin),
            ],
            format!(
                "a shipment of order {} is late against its promised date",
                order.number
            ),
        ),
    }
}

/// What a change of an order (`before` → `after`; no `before` for a new
/// order) is worth telling someone about.
pub fn notices(before: Option<&Order>, after: &Order) -> Vec<NotificationKind> {
    use super::OrderStatus;
    let mut kinds = Vec::new();
    let step_before = before.and_then(Order::pending_step);
    if after.status == OrderStatus::PendingApproval && after.pending_step() != step_before {
        kinds.push(NotificationKind::ApprovalNeeded);
    }
    if after.status == OrderStatus::OnCreditHold
        && before.is_none_or(|b| b.status != OrderStatus::OnCreditHold)
    {
        kinds.push(NotificationKind::CreditHold);
    }
    let shipments_before = before.map_or(0, |b| b.shipments.len());
    if after.shipments.len() > shipments_before {
        kinds.push(NotificationKind::Shipped);
    }
    let late_before = before.map_or(0, |b| b.shipments.iter().filter(|s| s.late_alerted).count());
    if after.shipments.iter().filter(|s| s.late_alerted).count() > late_before {
        kinds.push(NotificationKind::Delayed);
    }
    kinds
}

/// The audiences a caller belongs to: themselves, and each of their roles
/// within their account (or the brand).
pub fn audiences_of(user_id: &str, account_id: Option<&str>, roles: &[Role]) -> Vec<Audience> {
    let mut all = vec![Audience::User(user_id.to_string())];
    for role in roles {
        all.push(match account_id {
            Some(account) => Audience::AccountRole(account.to_string(), *role),
            None => Audience::BrandRole(*role),
        });
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::orders::order;
    use crate::orders::OrderStatus;

    #[test]
    fn each_kind_reaches_its_people() {
        let waiting = order(OrderStatus::PendingApproval, vec![Role::AccountAdmin]);
        let (who, text) = audience(NotificationKind::ApprovalNeeded, &waiting);
        assert_eq!(
            who,
            [Audience::AccountRole("acc-1".into(), Role::AccountAdmin)]
        );
        assert!(text.contains("SO-2026-000123"));
        let (who, _) = audience(NotificationKind::CreditHold, &waiting);
        assert!(who.contains(&Audience::BrandRole(Role::BrandFinance)));
        let (who, _) = audience(NotificationKind::Delayed, &waiting);
        assert!(who.contains(&Audience::User("u-1".into())));
    }

    #[test]
    fn only_changes_worth_telling_are_told() {
        let submitted = order(OrderStatus::Submitted, vec![]);
        let mut waiting = order(OrderStatus::PendingApproval, vec![Role::Approver]);
        assert_eq!(notices(None, &waiting), [NotificationKind::ApprovalNeeded]);
        assert_eq!(notices(Some(&waiting), &waiting), []);
        assert_eq!(notices(None, &submitted), []);
        let before = waiting.clone();
        waiting.status = OrderStatus::OnCreditHold;
        assert_eq!(
            notices(Some(&before), &waiting),
            [NotificationKind::CreditHold]
        );
    }

    #[test]
    fn a_customer_hears_as_themselves_and_as_their_roles_in_their_account() {
        let mine = audiences_of("u-1", Some("acc-1"), &[Role::Approver]);
        assert_eq!(
            mine,
            [
                Audience::User("u-1".into()),
                Audience::AccountRole("acc-1".into(), Role::Approver)
            ]
        );
        let brand = audiences_of("u-9", None, &[Role::BrandFinance]);
        assert_eq!(brand[1], Audience::BrandRole(Role::BrandFinance));
    }
}
