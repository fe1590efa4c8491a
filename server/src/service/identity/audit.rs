//! Reading the audit trail: an account's events (or the brand's), newest
//! first, filtered, in pages. The page token is the last key returned, so
//! paging stays stable while new events are appended in front.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Identity, Result, keys};
use crate::store::versioned::scan;
use tradeport_domain::DomainError;
use tradeport_domain::identity::audit::{AuditEvent, AuditFilter};
use tradeport_domain::identity::{Action, Caller};

/// At most this many events are examined for one page, so a filter that
/// matches rarely cannot make one call read the whole trail.
const SCAN_BUDGET: usize = 20_000;

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next_page_token: String,
}

impl Identity {
    pub fn audit_events(
        &self,
        caller: &Caller,
        account_id: &str,
        filter: &AuditFilter,
        page_size: i32,
        page_token: &str,
    ) -> Result<AuditPage> {
        let account = self.scope_account(caller, Action::ReadAudit, account_id)?;
        let size = tradeport_domain::paging::PageLimits::new(50, 500).size(page_size)?;
        let scope = account.as_ref().map_or(keys::BRAND, |a| a.id.as_str());
        let prefix = keys::audits(scope);
        let mut after = if page_token.is_empty() {
            None
        } else {
            let raw = URL_SAFE_NO_PAD
                .decode(page_token)
                .ok()
                .filter(|k| k.starts_with(prefix.as_bytes()))
                .ok_or_else(|| {
                    DomainError::invalid(
                        "INVALID_PAGE_TOKEN",
                        "page_token",
                        "is not a token this server issued",
                    )
                })?;
            Some(raw)
        };
        let mut events = Vec::new();
        let mut examined = 0;
        loop {
            let batch = scan::<AuditEvent>(self.store(), &prefix, after.as_deref(), 500)?;
            let exhausted = batch.len() < 500;
            for (key, event) in batch {
                examined += 1;
                after = Some(key);
                if filter.matches(&event) {
                    events.push(event);
                    if events.len() == size {
                        break;
                    }
                }
            }
            if events.len() == size || exhausted || examined >= SCAN_BUDGET {
                let more = !exhausted || events.len() == size;
                let next_page_token = match (&after, more) {
                    (Some(key), true) => URL_SAFE_NO_PAD.encode(key),
                    _ => String::new(),
                };
                return Ok(AuditPage {
                    events,
                    next_page_token,
                });
            }
        }
    }
}
