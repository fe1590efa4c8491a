//! API keys for partner apps and integrations: created by an admin with a
//! scope (an account, or the brand) and roles, shown once, stored as a hash,
//! revocable; last use is recorded (at most once a minute).

use super::{Identity, Origin, Result, keys, lists, now};
use crate::service::identity::secrets::{API_KEY_PREFIX, hash, new_id, new_secret};
use crate::store::Commit;
use crate::store::versioned::get;
use tradeport_domain::DomainError;
use tradeport_domain::identity::input;
use tradeport_domain::identity::people::role_names;
use tradeport_domain::identity::records::ApiKeyRecord;
use tradeport_domain::identity::{Action, Caller, Role};

/// A new key with its secret, shown this once.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub key: ApiKeyRecord,
    pub secret: String,
}

impl Identity {
    pub fn create_api_key(
        &self,
        caller: &Caller,
        account_id: &str,
        name: &str,
        roles: Vec<Role>,
        origin: &Origin,
    ) -> Result<NewApiKey> {
        let account = self.scope_account(caller, Action::ManageApiKeys, account_id)?;
        caller.may_grant(&roles, account.as_ref())?;
        let name = input::label("name", name, true)?;
        let secret = new_secret(API_KEY_PREFIX)?;
        let key = ApiKeyRecord {
            id: new_id("key_")?,
            account_id: account.as_ref().map(|a| a.id.clone()),
            name,
            roles,
            secret_hash: hash(&secret),
            created: now(),
            created_by: caller.id.clone(),
            last_used: None,
            revoked: false,
        };
        let scope = key.account_id.as_deref().unwrap_or(keys::BRAND);
        let event = self
            .caller_event("api_key.created", caller, key.account_id.as_deref(), origin)
            .target(&key.id)
            .detail("roles", role_names(&key.roles));
        let commit = Commit::new()
            .expect_absent(&keys::api_key(&key.id))
            .put_record(&keys::api_key(&key.id), &key)?
            .put_record(&keys::api_key_hash(&key.secret_hash), &key.id)?
            .put(keys::api_key_of(scope, &key.id), Vec::new());
        self.store.commit(self.audit(commit, event)?)?;
        Ok(NewApiKey { key, secret })
    }

    /// A page of the API keys of an account (or of the brand).
    pub fn api_keys(
        &self,
        caller: &Caller,
        account_id: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<(Vec<ApiKeyRecord>, String)> {
        let account = self.scope_account(caller, Action::ManageApiKeys, account_id)?;
        let scope = account.as_ref().map_or(keys::BRAND, |a| a.id.as_str());
        let keys = self
            .indexed::<ApiKeyRecord>(&keys::api_keys_of(scope), 10_000, keys::api_key)?
            .into_iter()
            .map(|(_, key)| key)
            .collect();
        lists::paged(keys, page_size, page_token, lists::of_account(account_id))
    }

    pub fn revoke_api_key(
        &self,
        caller: &Caller,
        key_id: &str,
        origin: &Origin,
    ) -> Result<ApiKeyRecord> {
        let not_found = || DomainError::NotFound {
            resource: "api_key",
            id: key_id.to_string(),
        };
        let key =
            get::<ApiKeyRecord>(self.store(), &keys::api_key(key_id))?.ok_or_else(not_found)?;
        let account = match &key.value.account_id {
            Some(id) => Some(self.account(id)?.ok_or_else(not_found)?.value),
            None => None,
        };
        caller
            .authorize(Action::ManageApiKeys, account.as_ref(), "api_key", key_id)
            .map_err(|e| match e {
                DomainError::NotFound { .. } => not_found(),
                other => other,
            })?;
        let mut revoked = key.value.clone();
        revoked.revoked = true;
        let record_key = keys::api_key(key_id);
        let event = self
            .caller_event(
                "api_key.revoked",
                caller,
                revoked.account_id.as_deref(),
                origin,
            )
            .target(key_id);
        let commit = Commit::new()
            .expect_version(&record_key, &key)
            .put_record(&record_key, &revoked)?
            .delete(keys::api_key_hash(&revoked.secret_hash));
        self.store.commit(self.audit(commit, event)?)?;
        Ok(revoked)
    }
}
