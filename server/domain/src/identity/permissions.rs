//! Roles and what each may do: one table, checked in one place
//! ([`Caller::authorize`](super::Caller::authorize)). Customer roles act
//! within their own account; brand roles act for the brand, sales reps only
//! on the accounts assigned to them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    AccountAdmin,
    Buyer,
    Approver,
    Finance,
    Viewer,
    BrandAdmin,
    SalesRep,
    BrandFinance,
    CatalogManager,
    Integration,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::AccountAdmin,
        Role::Buyer,
        Role::Approver,
        Role::Finance,
        Role::Viewer,
        Role::BrandAdmin,
        Role::SalesRep,
        Role::BrandFinance,
        Role::CatalogManager,
        Role::Integration,
    ];

    /// Whether the role belongs to the brand's staff rather than a customer.
    pub fn is_brand(self) -> bool {
        matches!(
            self,
            Role::BrandAdmin
                | Role::SalesRep
                | Role::BrandFinance
                | Role::CatalogManager
                | Role::Integration
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::AccountAdmin => "account_admin",
            Role::Buyer => "buyer",
            Role::Approver => "approver",
            Role::Finance => "finance",
            Role::Viewer => "viewer",
            Role::BrandAdmin => "brand_admin",
            Role::SalesRep => "sales_rep",
            Role::BrandFinance => "brand_finance",
            Role::CatalogManager => "catalog_manager",
            Role::Integration => "integration",
        }
    }
}

/// Everything a principal can be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Browse and search the catalog.
    CatalogRead,
    /// See who the caller is, manage the caller's own devices and passkeys.
    SelfService,
    /// List, approve and reject applications for an account.
    ReviewApplications,
    /// See an account's users.
    ReadUsers,
    /// Invite users, change their roles, disable them.
    ManageUsers,
    /// Create, list and revoke API keys.
    ManageApiKeys,
    /// Read an account's audit log.
    ReadAudit,
    /// Read the account profile.
    ReadProfile,
    /// Change the account profile (which parts: see `profile`).
    EditProfile,
    /// Erase a user's personal data.
    EraseUsers,
    /// Send the ERP's stock levels.
    FeedStock,
    /// See every warehouse's low-stock alerts.
    ReadStockAlerts,
    /// Create and change products, import and export catalog data.
    ManageCatalog,
    /// Submit orders for the account.
    PlaceOrders,
    /// See the account's orders.
    ReadOrders,
    /// Approve or reject orders waiting for approval.
    ApproveOrders,
    /// Cancel an order not yet shipped.
    CancelOrders,
    /// Release or cancel orders held for credit.
    ManageCredit,
    /// Record shipments and tracking, decide returns.
    FulfilOrders,
    /// Mark orders invoiced and close them.
    InvoiceOrders,
}

impl Action {
    pub const ALL: [Action; 20] = [
        Action::CatalogRead,
        Action::SelfService,
        Action::ReviewApplications,
        Action::ReadUsers,
        Action::ManageUsers,
        Action::ManageApiKeys,
        Action::ReadAudit,
        Action::ReadProfile,
        Action::EditProfile,
        Action::EraseUsers,
        Action::FeedStock,
        Action::ReadStockAlerts,
        Action::ManageCatalog,
        Action::PlaceOrders,
        Action::ReadOrders,
        Action::ApproveOrders,
        Action::CancelOrders,
        Action::ManageCredit,
        Action::FulfilOrders,
        Action::InvoiceOrders,
    ];
}

/// The permission table.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        CatalogRead => true,
        SelfService => role != Integration,
        ReviewApplications => matches!(role, BrandAdmin),
        ReadUsers => matches!(role, AccountAdmin | BrandAdmin | SalesRep),
        ManageUsers => matches!(role, AccountAdmin | BrandAdmin),
        ManageApiKeys => matches!(role, AccountAdmin | BrandAdmin),
        ReadAudit => matches!(role, AccountAdmin | BrandAdmin),
        ReadProfile => true,
        EditProfile => matches!(role, AccountAdmin | Finance | BrandAdmin),
        EraseUsers => matches!(role, AccountAdmin | BrandAdmin),
        FeedStock => matches!(role, BrandAdmin | CatalogManager | Integration),
        ReadStockAlerts => matches!(role, BrandAdmin | CatalogManager | SalesRep | Integration),
        ManageCatalog => matches!(role, BrandAdmin | CatalogManager | Integration),
        PlaceOrders => matches!(
            role,
            AccountAdmin | Buyer | Approver | SalesRep | Integration
        ),
        ReadOrders => true,
        ApproveOrders => matches!(role, AccountAdmin | Approver),
        CancelOrders => matches!(
            role,
            AccountAdmin | Buyer | Approver | SalesRep | BrandAdmin | BrandFinance | Integration
        ),
        ManageCredit => matches!(role, BrandAdmin | BrandFinance),
        FulfilOrders => matches!(role, BrandAdmin | Integration),
        InvoiceOrders => matches!(role, BrandAdmin | BrandFinance | Integration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_brand_admins_review_applications() {
        for role in Role::ALL {
            assert_eq!(
                allows(role, Action::ReviewApplications),
                role == Role::BrandAdmin,
                "{role:?}"
            );
        }
    }

    #[test]
    fn orders_are_placed_by_buyers_approved_by_approvers_and_released_by_finance() {
        let who = |action: Action| -> Vec<Role> {
            Role::ALL
                .into_iter()
                .filter(|r| allows(*r, action))
                .collect()
        };
        assert_eq!(
            who(Action::PlaceOrders),
            [
                Role::AccountAdmin,
                Role::Buyer,
                Role::Approver,
                Role::SalesRep,
                Role::Integration
            ]
        );
        assert_eq!(
            who(Action::ApproveOrders),
            [Role::AccountAdmin, Role::Approver]
        );
        assert_eq!(
            who(Action::ManageCredit),
            [Role::BrandAdmin, Role::BrandFinance]
        );
        assert_eq!(
            who(Action::FulfilOrders),
            [Role::BrandAdmin, Role::Integration]
        );
        assert!(!allows(Role::Viewer, Action::CancelOrders));
        assert!(Role::ALL.into_iter().all(|r| allows(r, Action::ReadOrders)));
    }

    #[test]
    fn buyers_and_viewers_manage_nobody() {
        for role in [Role::Buyer, Role::Viewer, Role::Approver, Role::Finance] {
            assert!(!allows(role, Action::ManageUsers));
            assert!(!allows(role, Action::ManageApiKeys));
            assert!(allows(role, Action::CatalogRead));
        }
    }
}
