//! Which orders a caller reads when they name no account: the rule
//! ListOrders and WatchOrders share, so a list and a watch never disagree
//! about whose orders a caller follows.

use crate::identity::Caller;

/// Whose orders a caller reads by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderScope {
    /// The account they act within: their own, or the one a rep acts for.
    Account(String),
    /// Brand staff acting brand-wide (not sales reps): every account's.
    BrandWide,
    /// A sales rep acting for nobody: the accounts assigned to them by
    /// name (territory accounts are named one by one).
    Assigned(Vec<String>),
}

impl OrderScope {
    pub fn of(caller: &Caller) -> Self {
        if let Some(account) = caller.acting_account() {
            return Self::Account(account.to_string());
        }
        if caller.is_brand_wide() {
            Self::BrandWide
        } else {
            Self::Assigned(caller.assigned_accounts.clone())
        }
    }

    /// Whether an order of `account_id` is within the scope.
    pub fn covers(&self, account_id: &str) -> bool {
        match self {
            Self::Account(account) => account == account_id,
            Self::BrandWide => true,
            Self::Assigned(accounts) => accounts.iter().any(|a| a == account_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::CallerKind;
    use crate::identity::Role;

    fn caller(account: Option<&str>, on_behalf_of: Option<&str>, roles: Vec<Role>) -> Caller {
        Caller {
            kind: CallerKind::User,
            id: "usr-1".into(),
            account_id: account.map(Into::into),
            roles,
            session_id: None,
            on_behalf_of: on_behalf_of.map(Into::into),
            assigned_accounts: vec!["acc-7".into()],
            territories: vec![],
        }
    }

    #[test]
    fn customers_and_reps_acting_for_one_read_that_account() {
        let buyer = OrderScope::of(&caller(Some("acc-1"), None, vec![Role::Buyer]));
        assert_eq!(buyer, OrderScope::Account("acc-1".into()));
        assert!(buyer.covers("acc-1") && !buyer.covers("acc-2"));
        let acting = OrderScope::of(&caller(None, Some("acc-7"), vec![Role::SalesRep]));
        assert_eq!(acting, OrderScope::Account("acc-7".into()));
    }

    #[test]
    fn brand_staff_read_every_account_and_reps_their_assigned_ones() {
        let admin = OrderScope::of(&caller(None, None, vec![Role::BrandAdmin]));
        assert_eq!(admin, OrderScope::BrandWide);
        assert!(admin.covers("acc-1"));
        let rep = OrderScope::of(&caller(None, None, vec![Role::SalesRep]));
        assert_eq!(rep, OrderScope::Assigned(vec!["acc-7".into()]));
        assert!(rep.covers("acc-7") && !rep.covers("acc-1"));
    }
}
