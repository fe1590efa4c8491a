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

#[test]
fn an_empty_account_id_names_the_acting_account() {
    let buyer = caller(Some("acc-a"), &[Role::Buyer]);
    assert_eq!(buyer.named_account("").as_deref(), Some("acc-a"));
    assert_eq!(buyer.named_account("acc-b").as_deref(), Some("acc-b"));
    let mut rep = caller(None, &[Role::SalesRep]);
    assert_eq!(rep.named_account(""), None, "the brand");
    rep.on_behalf_of = Some("acc-assigned".into());
    assert_eq!(rep.named_account("").as_deref(), Some("acc-assigned"));
}

#[test]
fn only_brand_staff_who_see_an_account_act_for_it() {
    let rep = caller(None, &[Role::SalesRep]);
    let assigned = account("acc-assigned", "");
    assert!(rep.may_act_for(Some(&assigned), "acc-assigned").is_ok());
    let other = account("acc-other", "south");
    assert!(matches!(
        rep.may_act_for(Some(&other), "acc-other").unwrap_err(),
        DomainError::Hidden { .. }
    ));
    assert!(matches!(
        rep.may_act_for(None, "acc-nobody").unwrap_err(),
        DomainError::NotFound { .. }
    ));
    let customer = caller(Some("acc-assigned"), &[Role::AccountAdmin]);
    assert!(
        customer
            .may_act_for(Some(&assigned), "acc-assigned")
            .is_err(),
        "a customer acts as themselves only"
    );
}
