//! The organisation tree of a customer account: creating units (under the
//! company or another unit) and listing them.

use super::{Identity, Origin, Result, keys, lists};
use crate::service::identity::secrets::new_id;
use crate::store::versioned::scan;
use crate::store::{Commit, idempotency};
use tradeport_domain::identity::records::OrgUnit;
use tradeport_domain::identity::units::{customer_account, known_unit, new_unit};
use tradeport_domain::identity::{Action, Caller, input};

impl Identity {
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
        let account =
            customer_account(self.scope_account(caller, Action::ManageUsers, account_id)?)?;
        let name = input::label("name", name, true)?;
        if !parent_id.is_empty() {
            let parent = self
                .store
                .get(keys::unit(&account.id, parent_id).as_bytes())?;
            known_unit("parent_id", parent.is_some())?;
        }
        let unit = new_unit(new_id("unit_")?, &account.id, parent_id, name);
        let key = keys::unit(&account.id, &unit.id);
        let event = self
            .caller_event("unit.created", caller, Some(&account.id), origin)
            .target(&unit.id);
        let commit = base.expect_absent(&key).put_record(&key, &unit)?;
        Ok((self.audit(commit, event)?, unit))
    }

    /// A page of an account's units.
    pub fn units(
        &self,
        caller: &Caller,
        account_id: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<OrgUnit>, String)> {
        let account =
            customer_account(self.scope_account(caller, Action::ReadUsers, account_id)?)?;
        let units = scan::<OrgUnit>(self.store(), &keys::units(&account.id), None, 10_000)?
            .into_iter()
            .map(|(_, u)| u)
            .collect();
        lists::paged(units, page_size, page_token, lists::of_account(account_id))
    }
}
