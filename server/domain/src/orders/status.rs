//! An order's life, as one state machine: every change of status goes
//! through [`next`], which refuses an illegal one naming the current state,
//! so no caller can move an order where its rules do not allow.
//!
//! ```text
//! Submitted ─┬─> PendingApproval ─┬─> (credit check) ─> OnCreditHold ─┬─> Confirmed
//!            │                    └─> Rejected                        └─> Cancelled
//!            ├─> OnCreditHold
//!            └─> Confirmed ─> PartiallyShipped ─> Shipped ─> Delivered ─> Invoiced ─> Closed
//! ```
//! Cancelling is possible until the first shipment; a delivered order can
//! still have returns (RMAs), which do not change its status.

use serde::{Deserialize, Serialize};

use crate::DomainError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrderStatus {
    Submitted,
    PendingApproval,
    OnCreditHold,
    Confirmed,
    PartiallyShipped,
    Shipped,
    Delivered,
    Invoiced,
    Closed,
    Cancelled,
    Rejected,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 11] = [
        OrderStatus::Submitted,
        OrderStatus::PendingApproval,
        OrderStatus::OnCreditHold,
        OrderStatus::Confirmed,
        OrderStatus::PartiallyShipped,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Invoiced,
        OrderStatus::Closed,
        OrderStatus::Cancelled,
        OrderStatus::Rejected,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::PendingApproval => "pending approval",
            Self::OnCreditHold => "on credit hold",
            Self::Confirmed => "confirmed",
            Self::PartiallyShipped => "partially shipped",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Invoiced => "invoiced",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
        }
    }

    /// Whether stock is held for the order (reserved, not yet shipped).
    pub fn holds_stock(self) -> bool {
        matches!(self, Self::Confirmed | Self::PartiallyShipped)
    }

    /// Whether the order counts towards the account's credit exposure as
    /// confirmed but not yet invoiced.
    pub fn uninvoiced_exposure(self) -> bool {
        matches!(
            self,
            Self::Confirmed | Self::PartiallyShipped | Self::Shipped | Self::Delivered
        )
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Cancelled | Self::Rejected)
    }
}

/// What happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderEvent {
    /// The rules need an approver.
    RequireApproval,
    /// The last approval step approved (or none was needed) and credit holds.
    Confirm,
    /// Approved, but the account's credit does not cover it.
    HoldForCredit,
    /// An approver refused it.
    Reject,
    /// Brand finance released a held order.
    ReleaseCredit,
    Cancel,
    /// A shipment left with some of the lines' quantities still to come.
    ShipPart,
    /// A shipment left and nothing remains to ship.
    ShipAll,
    Deliver,
    Invoice,
    Close,
}

impl OrderEvent {
    pub fn name(self) -> &'static str {
        match self {
            Self::RequireApproval => "require approval",
            Self::Confirm => "confirm",
            Self::HoldForCredit => "hold for credit",
            Self::Reject => "reject",
            Self::ReleaseCredit => "release the credit hold",
            Self::Cancel => "cancel",
            Self::ShipPart => "ship in part",
            Self::ShipAll => "ship",
            Self::Deliver => "deliver",
            Self::Invoice => "invoice",
            Self::Close => "close",
        }
    }
}

/// The status `event` leads to from `status`, or why it cannot happen.
pub fn next(status: OrderStatus, event: OrderEvent) -> Result<OrderStatus, DomainError> {
    use OrderEvent as E;
    use OrderStatus as S;
    let to = match (status, event) {
        (S::Submitted, E::RequireApproval) => S::PendingApproval,
        (S::Submitted | S::PendingApproval, E::Confirm) => S::Confirmed,
        (S::Submitted | S::PendingApproval, E::HoldForCredit) => S::OnCreditHold,
        (S::PendingApproval, E::Reject) => S::Rejected,
        (S::OnCreditHold, E::ReleaseCredit) => S::Confirmed,
        (S::Submitted | S::PendingApproval | S::OnCreditHold | S::Confirmed, E::Cancel) => {
            S::Cancelled
        }
        (S::Confirmed | S::PartiallyShipped, E::ShipPart) => S::PartiallyShipped,
        (S::Confirmed | S::PartiallyShipped, E::ShipAll) => S::Shipped,
        (S::Shipped, E::Deliver) => S::Delivered,
        (S::Delivered, E::Invoice) => S::Invoiced,
        (S::Invoiced, E::Close) => S::Closed,
        _ => {
            return Err(DomainError::precondition(
                "ILLEGAL_TRANSITION",
                format!("an order that is {} cannot {}", status.name(), event.name()),
            ));
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderEvent as E;
    use OrderStatus as S;

    const EVENTS: [OrderEvent; 11] = [
        E::RequireApproval,
        E::Confirm,
        E::HoldForCredit,
        E::Reject,
        E::ReleaseCredit,
        E::Cancel,
        E::ShipPart,
        E::ShipAll,
        E::Deliver,
        E::Invoice,
        E::Close,
    ];

    /// Every legal transition, written out: anything not here is refused.
    const LEGAL: &[(OrderStatus, OrderEvent, OrderStatus)] = &[
        (S::Submitted, E::RequireApproval, S::PendingApproval),
        (S::Submitted, E::Confirm, S::Confirmed),
        (S::Submitted, E::HoldForCredit, S::OnCreditHold),
        (S::Submitted, E::Cancel, S::Cancelled),
        (S::PendingApproval, E::Confirm, S::Confirmed),
        (S::PendingApproval, E::HoldForCredit, S::OnCreditHold),
        (S::PendingApproval, E::Reject, S::Rejected),
        (S::PendingApproval, E::Cancel, S::Cancelled),
        (S::OnCreditHold, E::ReleaseCredit, S::Confirmed),
        (S::OnCreditHold, E::Cancel, S::Cancelled),
        (S::Confirmed, E::Cancel, S::Cancelled),
        (S::Confirmed, E::ShipPart, S::PartiallyShipped),
        (S::Confirmed, E::ShipAll, S::Shipped),
        (S::PartiallyShipped, E::ShipPart, S::PartiallyShipped),
        (S::PartiallyShipped, E::ShipAll, S::Shipped),
        (S::Shipped, E::Deliver, S::Delivered),
        (S::Delivered, E::Invoice, S::Invoiced),
        (S::Invoiced, E::Close, S::Closed),
    ];

    #[test]
    fn every_transition_is_legal_exactly_when_listed() {
        for status in S::ALL {
            for event in EVENTS {
                let listed = LEGAL
                    .iter()
                    .find(|(from, on, _)| *from == status && *on == event)
                    .map(|(_, _, to)| *to);
                match (next(status, event), listed) {
                    (Ok(to), Some(expected)) => assert_eq!(to, expected, "{status:?} {event:?}"),
                    (
                        Err(DomainError::FailedPrecondition {
                            reason,
                            description,
                        }),
                        None,
                    ) => {
                        assert_eq!(reason, "ILLEGAL_TRANSITION");
                        assert!(
                            description.contains(status.name()),
                            "names the current state: {description}"
                        );
                    }
                    (got, listed) => panic!("{status:?} {event:?}: {got:?} vs {listed:?}"),
                }
            }
        }
    }

    #[test]
    fn final_states_go_nowhere() {
        for status in [S::Closed, S::Cancelled, S::Rejected] {
            assert!(status.is_final());
            assert!(EVENTS.iter().all(|e| next(status, *e).is_err()));
        }
    }
}
