//! Accounts and the people in them: applications and their review, the
//! organisation tree (company → units → users), invitations, roles, and
//! disabling a user.

use crate::service::ServiceError;
use rust_decimal::Decimal;

use super::{Identity, Origin, Result, keys, now};
use crate::service::identity::secrets::{INVITATION_PREFIX, hash, new_id, new_secret};
use crate::store::records::{get, get_value, scan};
use crate::store::{Commit, idempotency};
use tradeport_domain::DomainError;
use tradeport_domain::decimal::parse_decimal;
use tradeport_domain::identity::audit::AuditEvent;
use tradeport_domain::identity::input;
use tradeport_domain::identity::records::{
    Account, Address, Application, ApplicationState, Contact, Invitation, Invoicing, Millis,
    OrgUnit, ShipTo, User, UserState,
};
use tradeport_domain::identity::{Action, Caller, Role};
use tradeport_domain::paging::{Page, PageLimits};
use tradeport_domain::text::TextCheck;

const PAGES: PageLimits = PageLimits {
    default_size: 50,
    max_size: 500,
};

/// A company's application, as submitted.
#[derive(Debug, Clone, Default)]
pub struct NewApplication {
    pub legal_name: String,
    pub tax_id: String,
    pub contacts: Vec<Contact>,
    pub billing_address: Address,
    pub shipping_addresses: Vec<Address>,
    pub requested_payment_terms: String,
    pub admin_email: String,
    pub admin_name: String,
}

/// What brand staff decide when approving.
#[derive(Debug, Clone, Default)]
pub struct ApplicationDecision {
    pub tier: String,
    pub credit_limit: String,
    pub currency: String,
    pub sales_rep_id: String,
    pub territory: String,
}

/// Who to invite, and where.
#[derive(Debug, Clone, Default)]
pub struct Invitee {
    /// Empty: the caller's acting account, or the brand for brand staff.
    pub account_id: String,
    /// Empty: the company level.
    pub unit_id: String,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

/// A new user and the one-time code they enrol with.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub user: User,
    pub code: String,
    pub expires: Millis,
}

fn check(reason: &'static str, violations: Vec<tradeport_domain::FieldViolation>) -> Result<()> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(DomainError::InvalidArgument { reason, violations }.into())
    }
}

impl Identity {
    /// A company applies (open to anyone, rate limited per address).
    pub fn apply(
        &self,
        new: NewApplication,
        origin: &Origin,
        request_id: &str,
    ) -> Result<Application> {
        self.limits.application(&origin.source)?;
        self.once("public", "ApplyForAccount", request_id, |base| {
            self.apply_once(base, new, origin)
        })
    }

    fn apply_once(
        &self,
        base: Commit,
        new: NewApplication,
        origin: &Origin,
    ) -> Result<(Commit, Application)> {
        let application = input::application(&Application {
            id: new_id("app_")?,
            legal_name: new.legal_name,
            tax_id: new.tax_id,
            contacts: new.contacts,
            billing_address: new.billing_address,
            shipping_addresses: new.shipping_addresses,
            requested_payment_terms: new.requested_payment_terms,
            admin_email: new.admin_email,
            admin_name: new.admin_name,
            state: ApplicationState::Pending,
            rejection_reason: String::new(),
            account_id: None,
            created: now(),
        })?;
        let key = keys::application(&application.id);
        let event = AuditEvent::new("application.submitted", "", None, application.created)
            .target(&application.id)
            .detail("legal_name", &application.legal_name)
            .source(&origin.source);
        let commit = base.expect_absent(&key).put_record(&key, &application)?;
        Ok((self.audit(commit, event)?, application))
    }

    pub fn applications(
        &self,
        caller: &Caller,
        state: Option<ApplicationState>,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<Application>, String)> {
        // A list names no resource that could be hidden from a customer:
        // one who may not review applications is told so.
        caller.authorize_action(Action::ReviewApplications)?;
        let page = Page::parse(
            page_size,
            page_token,
            state.map_or(0, |s| s as u64 + 1),
            PAGES,
        )?;
        let mut all: Vec<Application> = scan::<Application>(self.store(), "app/", None, 100_000)?
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| state.is_none_or(|s| a.state == s))
            .collect();
        // Pending first, then newest first.
        all.sort_by_key(|a| {
            (
                a.state != ApplicationState::Pending,
                std::cmp::Reverse(a.created),
            )
        });
        let window = page.window(all.len());
        let next = page.next_token(all.len());
        Ok((all[window].to_vec(), next))
    }

    fn pending_application(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<crate::store::records::Versioned<Application>> {
        caller.authorize(Action::ReviewApplications, None, "application", id)?;
        let application =
            get::<Application>(self.store(), &keys::application(id))?.ok_or_else(|| {
                DomainError::NotFound {
                    resource: "application",
                    id: id.to_string(),
                }
            })?;
        if application.value.state != ApplicationState::Pending {
            return Err(DomainError::precondition(
                "APPLICATION_DECIDED",
                format!("the application is already {:?}", application.value.state).to_lowercase(),
            )
            .into());
        }
        Ok(application)
    }

    /// Approves an application: the account, its first admin (invited) and
    /// the rep's assignment are created together.
    pub fn approve(
        &self,
        caller: &Caller,
        application_id: &str,
        decision: ApplicationDecision,
        origin: &Origin,
    ) -> Result<(Application, NewInvitation)> {
        let application = self.pending_application(caller, application_id)?;
        let mut text = TextCheck::new();
        let tier = input::code(&mut text, "tier", &decision.tier, true);
        let territory = input::code(&mut text, "territory", &decision.territory, false);
        let mut v = text.into_violations();
        let credit_limit: Decimal =
            match parse_decimal("credit_limit.amount", &decision.credit_limit) {
                Ok(d) if d < Decimal::ZERO => {
                    v.push(tradeport_domain::FieldViolation::new(
                        "credit_limit.amount",
                        "must not be negative",
                    ));
                    Decimal::ZERO
                }
                Ok(d) => d,
                Err(DomainError::InvalidArgument { violations, .. }) => {
                    v.extend(violations);
                    Decimal::ZERO
                }
                Err(e) => return Err(e.into()),
            };
        let currency = decision.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
            v.push(tradeport_domain::FieldViolation::new(
                "credit_limit.currency_code",
                "must be an ISO 4217 code",
            ));
        }
        let rep = if decision.sales_rep_id.is_empty() {
            None
        } else {
            let rep = self.user(&decision.sales_rep_id)?.filter(|u| {
                u.value.account_id.is_none() && u.value.roles.contains(&Role::SalesRep)
            });
            if rep.is_none() {
                v.push(tradeport_domain::FieldViolation::new(
                    "sales_rep_id",
                    "is not a sales rep",
                ));
            }
            rep
        };
        check("INVALID_APPROVAL", v)?;

        let now = now();
        let account = Account {
            id: new_id("acc_")?,
            legal_name: application.value.legal_name.clone(),
            tax_id: application.value.tax_id.clone(),
            tier,
            credit_limit,
            currency,
            payment_terms: application.value.requested_payment_terms.clone(),
            territory,
            contacts: application.value.contacts.clone(),
            billing_address: application.value.billing_address.clone(),
            ship_to: application
                .value
                .shipping_addresses
                .iter()
                .map(|address| {
                    Ok(ShipTo {
                        id: new_id("shp_")?,
                        label: address.city.clone(),
                        address: address.clone(),
                    })
                })
                .collect::<Result<_>>()?,
            invoicing: Invoicing {
                tax_id: application.value.tax_id.clone(),
                invoice_title: application.value.legal_name.clone(),
                e_invoice_address: String::new(),
            },
            created: now,
        };
        let mut approved = application.value.clone();
        approved.state = ApplicationState::Approved;
        approved.account_id = Some(account.id.clone());
        let app_key = keys::application(application_id);
        let mut commit = Commit::new()
            .expect_version(&app_key, &application)
            .put_record(&app_key, &approved)?
            .expect_absent(&keys::account(&account.id))
            .put_record(&keys::account(&account.id), &account)?;
        if let Some(rep) = rep {
            let mut assigned = rep.value.clone();
            assigned.assigned_accounts.push(account.id.clone());
            let rep_key = keys::user(&assigned.id);
            commit = commit
                .expect_version(&rep_key, &rep)
                .put_record(&rep_key, &assigned)?;
        }
        let (commit, invitation) = self.invite_into(
            commit,
            Some(&account.id),
            None,
            &approved.admin_email,
            &approved.admin_name,
            vec![Role::AccountAdmin],
        )?;
        let event = AuditEvent::new("application.approved", &caller.id, Some(&account.id), now)
            .target(application_id)
            .detail("tier", &account.tier)
            .detail("credit_limit", account.credit_limit.to_string())
            .source(&origin.source);
        self.store.commit(self.audit(commit, event)?)?;
        Ok((approved, invitation))
    }

    pub fn reject(
        &self,
        caller: &Caller,
        application_id: &str,
        reason: &str,
        origin: &Origin,
        request_id: &str,
    ) -> Result<Application> {
        self.once(
            &idempotency::owner(caller),
            "RejectApplication",
            request_id,
            |base| self.reject_once(base, caller, application_id, reason, origin),
        )
    }

    fn reject_once(
        &self,
        base: Commit,
        caller: &Caller,
        application_id: &str,
        reason: &str,
        origin: &Origin,
    ) -> Result<(Commit, Application)> {
        let application = self.pending_application(caller, application_id)?;
        let reason = input::reason(reason)?;
        let mut rejected = application.value.clone();
        rejected.state = ApplicationState::Rejected;
        rejected.rejection_reason = reason.clone();
        let key = keys::application(application_id);
        let event = AuditEvent::new("application.rejected", &caller.id, None, now())
            .target(application_id)
            .detail("reason", reason)
            .source(&origin.source);
        let commit = base
            .expect_version(&key, &application)
            .put_record(&key, &rejected)?;
        Ok((self.audit(commit, event)?, rejected))
    }

    /// Adds an invited user and their invitation to `commit`.
    pub(super) fn invite_into(
        &self,
        commit: Commit,
        account_id: Option<&str>,
        unit_id: Option<&str>,
        email: &str,
        display_name: &str,
        roles: Vec<Role>,
    ) -> Result<(Commit, NewInvitation)> {
        let now = now();
        let user = User {
            id: webauthn_rs::prelude::Uuid::new_v4().to_string(),
            account_id: account_id.map(str::to_string),
            unit_id: unit_id.map(str::to_string),
            email: email.trim().to_lowercase(),
            display_name: display_name.trim().into(),
            roles,
            state: UserState::Invited,
            assigned_accounts: Vec::new(),
            territories: Vec::new(),
            created: now,
        };
        let code = new_secret(INVITATION_PREFIX)?;
        let expires = now + super::ms(self.lifetimes.invitation);
        let email_key = keys::email(&user.email);
        if self.store.get(email_key.as_bytes())?.is_some() {
            return Err(DomainError::precondition(
                "EMAIL_TAKEN",
                format!("{} already has a user", user.email),
            )
            .into());
        }
        let scope = account_id.unwrap_or(keys::BRAND);
        let commit = commit
            .expect_absent(&email_key)
            .put_record(&email_key, &user.id)?
            .put_record(&keys::user(&user.id), &user)?
            .put(keys::member(scope, &user.id), Vec::new())
            .put_record(
                &keys::invitation(&hash(&code)),
                &Invitation {
                    user_id: user.id.clone(),
                    expires,
                },
            )?;
        Ok((
            commit,
            NewInvitation {
                user,
                code,
                expires,
            },
        ))
    }

    /// Invites a user into an account (or, for brand admins, the brand).
    pub fn invite(
        &self,
        caller: &Caller,
        invitee: Invitee,
        origin: &Origin,
    ) -> Result<NewInvitation> {
        let Invitee {
            account_id,
            unit_id,
            email,
            display_name,
            roles,
        } = invitee;
        let (unit_id, email, display_name) =
            (unit_id.as_str(), email.as_str(), display_name.as_str());
        let account = self.scope_account(caller, Action::ManageUsers, &account_id)?;
        caller.may_grant(&roles, account.as_ref())?;
        let (email, display_name) = input::invitee(email, display_name)?;
        let unit = if unit_id.is_empty() {
            None
        } else {
            let exists = account
                .as_ref()
                .map(|a| self.store.get(keys::unit(&a.id, unit_id).as_bytes()))
                .transpose()?
                .flatten()
                .is_some();
            if !exists {
                return Err(DomainError::invalid(
                    "UNKNOWN_UNIT",
                    "unit_id",
                    "no such unit in this account",
                )
                .into());
            }
            Some(unit_id)
        };
        let (commit, invitation) = self.invite_into(
            Commit::new(),
            account.as_ref().map(|a| a.id.as_str()),
            unit,
            &email,
            &display_name,
            roles,
        )?;
        let event = self
            .caller_event(
                "user.invited",
                caller,
                account.as_ref().map(|a| a.id.as_str()),
                origin,
            )
            .target(&invitation.user.id)
            .detail("roles", role_names(&invitation.user.roles));
        self.store.commit(self.audit(commit, event)?)?;
        Ok(invitation)
    }

    /// The account a request names, authorised for `action`: empty means
    /// the caller's acting account, or the brand for brand staff.
    pub(super) fn scope_account(
        &self,
        caller: &Caller,
        action: Action,
        account_id: &str,
    ) -> Result<Option<Account>> {
        let id = if account_id.is_empty() {
            caller.acting_account().map(str::to_string)
        } else {
            Some(account_id.to_string())
        };
        match id {
            None => {
                caller.authorize(action, None, "account", keys::BRAND)?;
                Ok(None)
            }
            Some(id) => {
                let account = self.account(&id)?.map(|a| a.value);
                match &account {
                    Some(a) => caller.authorize(action, Some(a), "account", &id)?,
                    None => {
                        return Err(DomainError::NotFound {
                            resource: "account",
                            id,
                        }
                        .into());
                    }
                }
                Ok(account)
            }
        }
    }

    pub fn create_unit(
        &self,
        caller: &Caller,
        account_id: &str,
        parent_id: &str,
        name: &str,
        origin: &Origin,
        request_id: &str,
    ) -> Result<OrgUnit> {
        self.once(
            &idempotency::owner(caller),
            "CreateOrgUnit",
            request_id,
            |base| self.create_unit_once(base, caller, account_id, parent_id, name, origin),
        )
    }

    fn create_unit_once(
        &self,
        base: Commit,
        caller: &Caller,
        account_id: &str,
        parent_id: &str,
        name: &str,
        origin: &Origin,
    ) -> Result<(Commit, OrgUnit)> {
        let account = self
            .scope_account(caller, Action::ManageUsers, account_id)?
            .ok_or_else(|| {
                DomainError::invalid(
                    "ACCOUNT_REQUIRED",
                    "account_id",
                    "units belong to a customer account",
                )
            })?;
        let name = input::label("name", name, true)?;
        if !parent_id.is_empty()
            && self
                .store
                .get(keys::unit(&account.id, parent_id).as_bytes())?
                .is_none()
        {
            return Err(DomainError::invalid(
                "UNKNOWN_UNIT",
                "parent_id",
                "no such unit in this account",
            )
            .into());
        }
        let unit = OrgUnit {
            id: new_id("unit_")?,
            account_id: account.id.clone(),
            parent_id: (!parent_id.is_empty()).then(|| parent_id.to_string()),
            name,
        };
        let key = keys::unit(&account.id, &unit.id);
        let event = self
            .caller_event("unit.created", caller, Some(&account.id), origin)
            .target(&unit.id);
        let commit = base.expect_absent(&key).put_record(&key, &unit)?;
        Ok((self.audit(commit, event)?, unit))
    }

    pub fn units(&self, caller: &Caller, account_id: &str) -> Result<Vec<OrgUnit>> {
        let account = self
            .scope_account(caller, Action::ReadUsers, account_id)?
            .ok_or_else(|| {
                DomainError::invalid(
                    "ACCOUNT_REQUIRED",
                    "account_id",
                    "units belong to a customer account",
                )
            })?;
        Ok(
            scan::<OrgUnit>(self.store(), &keys::units(&account.id), None, 10_000)?
                .into_iter()
                .map(|(_, u)| u)
                .collect(),
        )
    }

    pub fn users(&self, caller: &Caller, account_id: &str) -> Result<Vec<User>> {
        let account = self.scope_account(caller, Action::ReadUsers, account_id)?;
        let scope = account.as_ref().map_or(keys::BRAND, |a| a.id.as_str());
        let prefix = keys::members(scope);
        let mut users = Vec::new();
        for (key, _) in self
            .store
            .scan(crate::store::KeyRange::prefix(prefix.as_bytes()), 100_000)?
        {
            let id = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
            if let Some(user) = get_value::<User>(self.store(), &keys::user(&id))? {
                users.push(user);
            }
        }
        Ok(users)
    }

    /// A user the caller may manage: NOT_FOUND when it is in an account the
    /// caller cannot see.
    pub(super) fn managed_user(
        &self,
        caller: &Caller,
        user_id: &str,
        action: Action,
    ) -> Result<(crate::store::records::Versioned<User>, Option<Account>)> {
        let not_found = || {
            ServiceError::from(DomainError::NotFound {
                resource: "user",
                id: user_id.to_string(),
            })
        };
        let user = self.user(user_id)?.ok_or_else(not_found)?;
        let account = match &user.value.account_id {
            Some(id) => Some(self.account(id)?.ok_or_else(not_found)?.value),
            None => None,
        };
        caller
            .authorize(action, account.as_ref(), "user", user_id)
            .map_err(|e| match e {
                DomainError::NotFound { .. } => not_found(),
                other => other.into(),
            })?;
        Ok((user, account))
    }

    pub fn set_roles(
        &self,
        caller: &Caller,
        user_id: &str,
        roles: Vec<Role>,
        origin: &Origin,
        request_id: &str,
    ) -> Result<User> {
        self.once(
            &idempotency::owner(caller),
            "SetUserRoles",
            request_id,
            |base| self.set_roles_once(base, caller, user_id, roles, origin),
        )
    }

    fn set_roles_once(
        &self,
        base: Commit,
        caller: &Caller,
        user_id: &str,
        roles: Vec<Role>,
        origin: &Origin,
    ) -> Result<(Commit, User)> {
        let (user, account) = self.managed_user(caller, user_id, Action::ManageUsers)?;
        caller.may_grant(&roles, account.as_ref())?;
        let mut updated = user.value.clone();
        updated.roles = roles;
        updated.roles.sort();
        updated.roles.dedup();
        let key = keys::user(user_id);
        let event = self
            .caller_event(
                "role.changed",
                caller,
                account.as_ref().map(|a| a.id.as_str()),
                origin,
            )
            .target(user_id)
            .detail("from", role_names(&user.value.roles))
            .detail("to", role_names(&updated.roles));
        let commit = base
            .expect_version(&key, &user)
            .put_record(&key, &updated)?;
        Ok((self.audit(commit, event)?, updated))
    }

    /// Disables a user: every session ends at once (the user's state is
    /// checked on every call) and is marked revoked.
    pub fn disable_user(
        &self,
        caller: &Caller,
        user_id: &str,
        origin: &Origin,
        request_id: &str,
    ) -> Result<User> {
        self.once(
            &idempotency::owner(caller),
            "DisableUser",
            request_id,
            |base| self.disable_user_once(base, caller, user_id, origin),
        )
    }

    fn disable_user_once(
        &self,
        base: Commit,
        caller: &Caller,
        user_id: &str,
        origin: &Origin,
    ) -> Result<(Commit, User)> {
        let (user, account) = self.managed_user(caller, user_id, Action::ManageUsers)?;
        if user_id == caller.id {
            return Err(DomainError::precondition(
                "CANNOT_DISABLE_SELF",
                "ask another admin to disable your user",
            )
            .into());
        }
        let mut disabled = user.value.clone();
        disabled.state = UserState::Disabled;
        let key = keys::user(user_id);
        let commit = base
            .expect_version(&key, &user)
            .put_record(&key, &disabled)?;
        let commit = self.revoke_all_sessions(commit, user_id)?;
        let event = self
            .caller_event(
                "user.disabled",
                caller,
                account.as_ref().map(|a| a.id.as_str()),
                origin,
            )
            .target(user_id);
        Ok((self.audit(commit, event)?, disabled))
    }
}

pub(super) fn role_names(roles: &[Role]) -> String {
    roles.iter().map(|r| r.name()).collect::<Vec<_>>().join(",")
}

impl Identity {
    /// Sets which accounts a sales rep covers: directly, and by territory.
    pub fn set_rep_assignments(
        &self,
        caller: &Caller,
        rep_id: &str,
        account_ids: Vec<String>,
        territories: Vec<String>,
        origin: &Origin,
        request_id: &str,
    ) -> Result<User> {
        self.once(
            &idempotency::owner(caller),
            "SetRepAssignments",
            request_id,
            |base| {
                let (rep, _) = self.managed_user(caller, rep_id, Action::ManageUsers)?;
                if !rep.value.roles.contains(&Role::SalesRep) {
                    return Err(
                        DomainError::invalid("NOT_A_REP", "user_id", "is not a sales rep").into(),
                    );
                }
                let mut text = TextCheck::new();
                let territories: Vec<String> = territories
                    .iter()
                    .enumerate()
                    .map(|(i, t)| input::code(&mut text, format!("territories[{i}]"), t, true))
                    .collect();
                let mut v = text.into_violations();
                for (i, id) in account_ids.iter().enumerate() {
                    if self.account(id)?.is_none() {
                        v.push(tradeport_domain::FieldViolation::new(
                            format!("account_ids[{i}]"),
                            "no such account",
                        ));
                    }
                }
                check("INVALID_ASSIGNMENT", v)?;
                let mut assigned = rep.value.clone();
                assigned.assigned_accounts = account_ids.clone();
                assigned.territories = territories.clone();
                let key = keys::user(rep_id);
                let event = self
                    .caller_event("rep.assigned", caller, None, origin)
                    .target(rep_id)
                    .detail("accounts", account_ids.join(","))
                    .detail("territories", territories.join(","));
                let commit = base
                    .expect_version(&key, &rep)
                    .put_record(&key, &assigned)?;
                Ok((self.audit(commit, event)?, assigned))
            },
        )
    }
}
