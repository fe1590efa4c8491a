//! The audit trail: append-only records of who did what. Records never hold
//! tokens, key secrets or passkey material — only ids and non-secret details
//! (`AuditEvent::detail` refuses values that look like Tradeport secrets).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::records::Millis;
use super::secrets::{ACCESS_PREFIX, API_KEY_PREFIX, INVITATION_PREFIX, REFRESH_PREFIX};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub time: Millis,
    pub action: String,
    pub actor_id: String,
    pub account_id: Option<String>,
    pub on_behalf_of: Option<String>,
    pub target_id: String,
    pub success: bool,
    pub details: BTreeMap<String, String>,
    pub source: String,
}

impl AuditEvent {
    pub fn new(action: &str, actor_id: &str, account_id: Option<&str>, time: Millis) -> Self {
        Self {
            id: String::new(),
            time,
            action: action.to_string(),
            actor_id: actor_id.to_string(),
            account_id: account_id.map(str::to_string),
            on_behalf_of: None,
            target_id: String::new(),
            success: true,
            details: BTreeMap::new(),
            source: String::new(),
        }
    }

    pub fn target(mut self, id: &str) -> Self {
        self.target_id = id.to_string();
        self
    }

    pub fn failed(mut self) -> Self {
        self.success = false;
        self
    }

    pub fn source(mut self, source: &str) -> Self {
        self.source = source.to_string();
        self
    }

    pub fn on_behalf_of(mut self, account: Option<&str>) -> Self {
        self.on_behalf_of = account.map(str::to_string);
        self
    }

    /// Adds a detail, redacting anything shaped like a Tradeport secret.
    pub fn detail(mut self, key: &str, value: impl Into<String>) -> Self {
        let value = value.into();
        let secret = [
            ACCESS_PREFIX,
            REFRESH_PREFIX,
            INVITATION_PREFIX,
            API_KEY_PREFIX,
        ]
        .iter()
        .any(|p| value.contains(p));
        self.details.insert(
            key.to_string(),
            if secret { "[redacted]".into() } else { value },
        );
        self
    }
}

/// A query over the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actions: Vec<String>,
    pub actor_id: String,
    pub start: Option<Millis>,
    pub end: Option<Millis>,
}

impl AuditFilter {
    pub fn matches(&self, e: &AuditEvent) -> bool {
        (self.actions.is_empty() || self.actions.contains(&e.action))
            && (self.actor_id.is_empty() || self.actor_id == e.actor_id)
            && self.start.is_none_or(|s| e.time >= s)
            && self.end.is_none_or(|end| e.time < end)
    }
}

/// The key suffix that sorts events newest first.
pub fn newest_first_key(time: Millis, id: &str) -> String {
    format!("{:016x}-{id}", u64::MAX - time.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_enter_details() {
        let e = AuditEvent::new("login.succeeded", "u", None, 0)
            .detail("token", "tpa_abcdef")
            .detail("device", "Pixel");
        assert_eq!(e.details["token"], "[redacted]");
        assert_eq!(e.details["device"], "Pixel");
    }

    #[test]
    fn newer_events_sort_first() {
        assert!(newest_first_key(2000, "a") < newest_first_key(1000, "b"));
    }

    #[test]
    fn filters_combine() {
        let e = AuditEvent::new("role.changed", "u1", Some("acc"), 50);
        let f = AuditFilter {
            actions: vec!["role.changed".into()],
            actor_id: "u1".into(),
            start: Some(50),
            end: Some(51),
        };
        assert!(f.matches(&e));
        assert!(
            !AuditFilter {
                actor_id: "u2".into(),
                ..Default::default()
            }
            .matches(&e)
        );
        assert!(
            !AuditFilter {
                end: Some(50),
                ..Default::default()
            }
            .matches(&e)
        );
    }
}
