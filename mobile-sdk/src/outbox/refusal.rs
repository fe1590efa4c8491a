//! The server's answer to an action it did not carry out: whether the
//! failure says anything about the action at all (offline, restarting,
//! an expired session: it stays queued) or is a refusal for good, and the
//! refusal's details — reason, violations, the lines whose price moved —
//! kept as the server gave them.

use tonic::{Code, Status};
use tonic_types::StatusExt;

use super::entry::{ActionFailure, ChangedLine, Violation};
use super::record::{StoredFailure, StoredRequest, StoredViolation};

/// Whether a failed send says nothing about the action itself, so it stays
/// queued and the replay stops here, keeping the order.
pub(crate) fn is_transient(status: &Status) -> bool {
    match status.code() {
        // No server acted: offline, restarting, overloaded, too slow, or a
        // commit that lost a race and did nothing.
        Code::Unavailable | Code::DeadlineExceeded | Code::Aborted => true,
        // The session expired while offline (and could not be refreshed):
        // the person signs in again, and the action is still wanted.
        Code::Unauthenticated => true,
        Code::ResourceExhausted => reason_of(status) == "RATE_LIMITED",
        // A status made on this side of the wire (the connection dropped
        // mid-call, a local timeout) carries its cause; one decoded from the
        // server's answer does not.
        Code::Unknown | Code::Cancelled | Code::Internal => {
            std::error::Error::source(status).is_some()
        }
        _ => false,
    }
}

fn reason_of(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

pub(super) fn stored_failure(status: &Status) -> StoredFailure {
    let details = status.get_error_details();
    let mut violations = Vec::new();
    if let Some(p) = details.precondition_failure() {
        violations.extend(p.violations.iter().map(|v| StoredViolation {
            subject: v.subject.clone(),
            description: v.description.clone(),
        }));
    }
    if let Some(b) = details.bad_request() {
        violations.extend(b.field_violations.iter().map(|v| StoredViolation {
            subject: v.field.clone(),
            description: v.description.clone(),
        }));
    }
    StoredFailure {
        code: status.code() as i32,
        message: status.message().to_string(),
        reason: reason_of(status),
        violations,
    }
}

/// "lines[3]" → 3.
fn line_index(subject: &str) -> Option<usize> {
    subject
        .strip_prefix("lines[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

pub(super) fn failure(stored: &StoredFailure, request: Option<&StoredRequest>) -> ActionFailure {
    let violations: Vec<Violation> = stored
        .violations
        .iter()
        .map(|v| Violation {
            subject: v.subject.clone(),
            description: v.description.clone(),
        })
        .collect();
    let changed_lines = match request {
        Some(StoredRequest::SubmitOrder(submit)) if stored.reason == "PRICE_CHANGED" => violations
            .iter()
            .filter_map(|v| {
                let index = line_index(&v.subject)?;
                let line = submit.lines.get(index)?;
                Some(ChangedLine {
                    index,
                    sku: line.sku.clone(),
                    quantity: line.quantity.clone(),
                    expected_unit_price: line.expected_unit_price.clone(),
                    description: v.description.clone(),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    ActionFailure {
        code: Code::from_i32(stored.code),
        message: stored.message.clone(),
        reason: stored.reason.clone(),
        violations,
        changed_lines,
    }
}
