//! Reading an account's (or the brand's) audit trail.

use tonic::{Request, Response};
use tradeport_proto::identity as pb;

use super::wire::{millis, ts};
use super::{Reply, caller};
use crate::service::identity::Identity;
use tradeport_domain::identity::audit::{AuditEvent, AuditFilter};

fn audit_to(e: AuditEvent) -> pb::AuditEvent {
    pb::AuditEvent {
        id: e.id,
        time: ts(e.time),
        action: e.action,
        actor_id: e.actor_id,
        account_id: e.account_id.unwrap_or_default(),
        on_behalf_of_account_id: e.on_behalf_of.unwrap_or_default(),
        target_id: e.target_id,
        success: e.success,
        details: e.details.into_iter().collect(),
        source: e.source,
    }
}

pub(super) async fn list(
    identity: &Identity,
    request: Request<pb::ListAuditEventsRequest>,
) -> Reply<pb::ListAuditEventsResponse> {
    let caller = caller(&request)?;
    let r = request.into_inner();
    let filter = AuditFilter {
        actions: r.actions,
        actor_id: r.actor_id,
        start: r.start_time.as_ref().map(millis),
        end: r.end_time.as_ref().map(millis),
    };
    let page =
        identity.audit_events(&caller, &r.account_id, &filter, r.page_size, &r.page_token)?;
    Ok(Response::new(pb::ListAuditEventsResponse {
        events: page.events.into_iter().map(audit_to).collect(),
        next_page_token: page.next_page_token,
    }))
}
