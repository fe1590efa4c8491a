use super::*;
use crate::identity::records::Account;

fn account(id: &str, territory: &str) -> Account {
    Account::for_tests(id, territory)
}

fn caller(account: Option<&str>, roles: &[Role]) -> Caller {
    Caller {
        kind: CallerKind::User,
        id: "u".into(),
        account_id: account.map(Into::into),
        roles: roles.to_vec(),
        session_id: None,
        on_behalf_of: None,
        assigned_accounts: vec!["acc-assigned".into()],
        territories: vec!["north".into()],
    }
}

#[test]
fn customers_see_only_their_own_account() {
    let buyer = caller(Some("acc-a"), &[Role::Buyer]);
    assert!(buyer.sees(&account("acc-a", "")));
    let err = buyer
        .authorize(
            Action::CatalogRead,
            Some(&account("acc-b", "")),
            "account",
            "acc-b",
        )
        .unwrap_err();
    assert!(
        matches!(err, DomainError::Hidden { .. }),
        "another account looks missing, and is a denied attempt"
    );
}

#[test]
fn reps_see_assigned_and_territory_accounts_only() {
    let rep = caller(None, &[Role::SalesRep]);
    assert!(rep.sees(&account("acc-assigned", "")));
    assert!(rep.sees(&account("acc-x", "north")));
    assert!(!rep.sees(&account("acc-y", "south")));
    assert!(!rep.sees(&account("acc-z", "")));
    let admin = caller(None, &[Role::BrandAdmin]);
    assert!(admin.sees(&account("acc-y", "south")));
}

#[test]
fn visible_but_not_permitted_is_permission_denied() {
    let viewer = caller(Some("acc-a"), &[Role::Viewer]);
    let err = viewer
        .authorize(
            Action::ManageUsers,
            Some(&account("acc-a", "")),
            "account",
            "acc-a",
        )
        .unwrap_err();
    assert!(matches!(err, DomainError::PermissionDenied { .. }));
}

#[test]
fn brand_resources_are_invisible_to_customers() {
    let admin = caller(Some("acc-a"), &[Role::AccountAdmin]);
    assert!(matches!(
        admin.authorize(Action::ReviewApplications, None, "application", "app-1"),
        Err(DomainError::Hidden { .. })
    ));
}

#[test]
fn customer_admins_cannot_grant_brand_roles() {
    let admin = caller(Some("acc-a"), &[Role::AccountAdmin]);
    let a = account("acc-a", "");
    assert!(
        admin
            .may_grant(&[Role::Buyer, Role::Approver], Some(&a))
            .is_ok()
    );
    assert!(admin.may_grant(&[Role::BrandAdmin], Some(&a)).is_err());
    assert!(admin.may_grant(&[], Some(&a)).is_err());
    let brand = caller(None, &[Role::BrandAdmin]);
    assert!(
        brand.may_grant(&[Role::Buyer], None).is_err(),
        "customer role for a brand user"
    );
}
