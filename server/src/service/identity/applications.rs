//! Applications for an account: a company applies (open to anyone, rate
//! limited per address), brand staff list the applications and approve or
//! reject each once. Approving opens the account, invites its first admin
//! and assigns the sales rep, all in one commit.

use super::people::NewInvitation;
use super::{Identity, Origin, Result, keys, lists, now};
use crate::service::identity::secrets::new_id;
use crate::store::versioned::{Versioned, get, scan};
use crate::store::{Commit, idempotency};
use tradeport_domain::DomainError;
use tradeport_domain::identity::applications::{
    self, ApplicationDecision, NewApplication, approval_terms, ensure_pending, for_review,
    opened_account,
};
use tradeport_domain::identity::audit::AuditEvent;
use tradeport_domain::identity::people::with_account_assigned;
use tradeport_domain::identity::records::{Application, ApplicationState};
use tradeport_domain::identity::{Action, Caller, Role, input};
use tradeport_domain::paging::Page;

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
        let application = applications::submitted(new, new_id("app_")?, now())?;
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
            lists::PAGES,
        )?;
        let all = scan::<Application>(self.store(), "app/", None, 100_000)?
            .into_iter()
            .map(|(_, a)| a);
        let all = for_review(all, state);
        let window = page.window(all.len());
        let next = page.next_token(all.len());
        Ok((all[window].to_vec(), next))
    }

    fn pending_application(&self, caller: &Caller, id: &str) -> Result<Versioned<Application>> {
        caller.authorize(Action::ReviewApplications, None, "application", id)?;
        let application =
            get::<Application>(self.store(), &keys::application(id))?.ok_or_else(|| {
                DomainError::NotFound {
                    resource: "application",
                    id: id.to_string(),
                }
            })?;
        ensure_pending(&application.value)?;
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
        let rep = if decision.sales_rep_id.is_empty() {
            None
        } else {
            self.user(&decision.sales_rep_id)?
        };
        let terms = approval_terms(&decision, rep.as_ref().map(|r| &r.value))?;

        let now = now();
        let account_id = new_id("acc_")?;
        let ship_to_ids = application
            .value
            .shipping_addresses
            .iter()
            .map(|_| new_id("shp_"))
            .collect::<std::result::Result<_, _>>()?;
        let account = opened_account(&application.value, terms, account_id, ship_to_ids, now);
        let approved = applications::approved(&application.value, &account.id);
        let app_key = keys::application(application_id);
        let mut commit = Commit::new()
            .expect_version(&app_key, &application)
            .put_record(&app_key, &approved)?
            .expect_absent(&keys::account(&account.id))
            .put_record(&keys::account(&account.id), &account)?;
        // The terms passed: a rep named is one.
        if let Some(rep) = rep {
            let rep_key = keys::user(&rep.value.id);
            commit = commit
                .expect_version(&rep_key, &rep)
                .put_record(&rep_key, &with_account_assigned(&rep.value, &account.id))?;
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
        let rejected = applications::rejected(&application.value, &reason);
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
}
