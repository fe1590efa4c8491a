//! The profile centre: reading and updating an account's company details,
//! contacts, addresses and invoicing details under an update mask.

use super::{Identity, Origin, Result, keys};
use crate::service::identity::secrets::new_id;
use crate::store::Commit;
use tradeport_domain::DomainError;
use tradeport_domain::identity::profile::{ProfilePatch, apply, customer_account, parse_mask};
use tradeport_domain::identity::records::Account;
use tradeport_domain::identity::{Action, Caller};

impl Identity {
    pub fn profile(&self, caller: &Caller, account_id: &str) -> Result<Account> {
        Ok(customer_account(self.scope_account(
            caller,
            Action::ReadProfile,
            account_id,
        )?)?)
    }

    pub fn update_profile(
        &self,
        caller: &Caller,
        account_id: &str,
        mut patch: ProfilePatch,
        paths: &[String],
        origin: &Origin,
    ) -> Result<Account> {
        let fields = parse_mask(paths)?;
        let account =
            customer_account(self.scope_account(caller, Action::EditProfile, account_id)?)?;
        let key = keys::account(&account.id);
        let current = self
            .account(&account.id)?
            .ok_or_else(|| DomainError::NotFound {
                resource: "account",
                id: account.id.clone(),
            })?;
        // New delivery addresses get their ids here, existing ones keep theirs.
        for ship_to in &mut patch.ship_to {
            if ship_to.id.is_empty() {
                ship_to.id = new_id("shp_")?;
            }
        }
        let next = apply(&current.value, patch, &fields, &caller.roles)?;
        let event = self
            .caller_event("profile.updated", caller, Some(&account.id), origin)
            .target(&account.id)
            .detail("fields", paths.join(","));
        let commit = Commit::new()
            .expect_version(&key, &current)
            .put_record(&key, &next)?;
        self.store.commit(self.audit(commit, event)?)?;
        Ok(next)
    }
}
