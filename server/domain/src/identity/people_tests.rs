use super::*;
use crate::identity::CallerKind;

fn user(roles: &[Role]) -> User {
    invited_user(
        "u1".into(),
        None,
        None,
        " Rep@Tradeport.Example ",
        " Rita Rep ",
        roles.to_vec(),
        7,
    )
}

#[test]
fn an_invited_user_signs_in_by_a_lower_case_email() {
    let u = invited_user(
        "u1".into(),
        Some("acc"),
        Some("unit"),
        " Ada@Nordlicht.Example ",
        " Ada ",
        vec![Role::Buyer],
        7,
    );
    assert_eq!(u.email, "ada@nordlicht.example");
    assert_eq!(u.display_name, "Ada");
    assert_eq!(u.state, UserState::Invited);
    assert_eq!(
        (u.account_id.as_deref(), u.unit_id.as_deref()),
        (Some("acc"), Some("unit"))
    );
}

#[test]
fn an_email_has_one_user() {
    assert!(email_free("a@x.example", false).is_ok());
    assert_eq!(
        email_free("a@x.example", true).unwrap_err(),
        DomainError::precondition("EMAIL_TAKEN", "a@x.example already has a user")
    );
}

#[test]
fn roles_are_kept_once_each_in_order() {
    let u = with_roles(
        &user(&[]),
        vec![Role::Approver, Role::Buyer, Role::Approver],
    );
    assert_eq!(u.roles, vec![Role::Buyer, Role::Approver]);
    assert_eq!(role_names(&u.roles), "buyer,approver");
}

#[test]
fn nobody_disables_themselves() {
    let caller = Caller {
        kind: CallerKind::User,
        id: "admin".into(),
        account_id: Some("acc".into()),
        roles: vec![Role::AccountAdmin],
        session_id: None,
        on_behalf_of: None,
        assigned_accounts: vec![],
        territories: vec![],
    };
    assert!(may_disable(&caller, "someone").is_ok());
    assert!(matches!(
        may_disable(&caller, "admin").unwrap_err(),
        DomainError::FailedPrecondition {
            reason: "CANNOT_DISABLE_SELF",
            ..
        }
    ));
    assert_eq!(disabled(&user(&[])).state, UserState::Disabled);
}

#[test]
fn a_brand_sales_rep_covers_known_accounts_and_territories() {
    let rep = user(&[Role::SalesRep]);
    assert!(is_brand_sales_rep(&rep));
    assert!(ensure_sales_rep(&rep).is_ok());
    let buyer = user(&[Role::Buyer]);
    assert!(!is_brand_sales_rep(&buyer));
    assert!(matches!(
        ensure_sales_rep(&buyer).unwrap_err(),
        DomainError::InvalidArgument {
            reason: "NOT_A_REP",
            ..
        }
    ));

    let covering = assigned(&rep, vec!["acc-a".into()], &[" north ".into()], &[true]).unwrap();
    assert_eq!(covering.assigned_accounts, ["acc-a"]);
    assert_eq!(covering.territories, ["north"]);
    assert_eq!(
        with_account_assigned(&covering, "acc-b").assigned_accounts,
        ["acc-a", "acc-b"]
    );

    let err = assigned(
        &rep,
        vec!["acc-a".into(), "acc-x".into()],
        &[String::new()],
        &[true, false],
    )
    .unwrap_err();
    let DomainError::InvalidArgument { reason, violations } = err else {
        panic!("not an invalid argument");
    };
    assert_eq!(reason, "INVALID_ASSIGNMENT");
    let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["territories[0]", "account_ids[1]"]);
}
