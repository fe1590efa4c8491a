//! The outbox's tests: order and outcomes across a reopen, the reading of
//! a price refusal, which failures keep an action queued, and pruning.

#![allow(clippy::unwrap_used)]

use tonic_types::StatusExt;
use tradeport_proto::orders::SubmitOrderRequest;

use super::*;
use tonic_types::ErrorDetails;
use tradeport_proto::orders::OrderLineInput;

fn submit(id: &str) -> StoredRequest {
    StoredRequest::SubmitOrder(SubmitOrderRequest {
        request_id: id.into(),
        lines: vec![
            OrderLineInput {
                sku: "A".into(),
                quantity: "1".into(),
                expected_unit_price: "9.50".into(),
            },
            OrderLineInput {
                sku: "B".into(),
                quantity: "2".into(),
                expected_unit_price: "1.00".into(),
            },
        ],
        ..Default::default()
    })
}

#[test]
fn actions_keep_their_order_and_outcomes_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = LocalDb::open(dir.path()).unwrap();
        let outbox = Outbox::open(&db).unwrap();
        for id in ["r1", "r2", "r3"] {
            outbox.enqueue(&db, submit(id)).unwrap();
        }
        let (seq, mut first) = outbox.next_pending().unwrap().unwrap();
        assert_eq!(first.request.as_ref().unwrap().request_id(), "r1");
        outbox.count_attempt(seq, &mut first).unwrap();
        outbox
            .succeed(
                &db,
                seq,
                first,
                Order {
                    id: "o1".into(),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    let db = LocalDb::open(dir.path()).unwrap();
    let outbox = Outbox::open(&db).unwrap();
    assert_eq!(outbox.pending_count().unwrap(), 2);
    let entries = outbox.entries().unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e.request_id.as_str()).collect();
    assert_eq!(ids, ["r1", "r2", "r3"]);
    assert!(matches!(&entries[0].state, ActionState::Succeeded(o) if o.id == "o1"));
    assert!(entries[0].finished_at.is_some());
    assert_eq!(entries[1].state, ActionState::Pending { attempts: 0 });
    let (_, next) = outbox.next_pending().unwrap().unwrap();
    assert_eq!(next.request.unwrap().request_id(), "r2");
    // Sequence numbers continue after the reopen.
    let seq = outbox.enqueue(&db, submit("r4")).unwrap();
    assert_eq!(seq, 4);
}

#[test]
fn a_price_refusal_names_the_changed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = LocalDb::open(dir.path()).unwrap();
    let outbox = Outbox::open(&db).unwrap();
    outbox.enqueue(&db, submit("r1")).unwrap();
    let (seq, action) = outbox.next_pending().unwrap().unwrap();
    let mut details = ErrorDetails::new();
    details.set_error_info("PRICE_CHANGED", "tradeport", []);
    details.add_precondition_failure_violation(
        "PRICE_CHANGED",
        "lines[1]",
        "B: expected unit price 1, now 1.2",
    );
    let status = Status::with_error_details(Code::FailedPrecondition, "prices changed", details);
    assert!(!is_transient(&status));
    let shown = outbox.fail(&db, seq, action, &status).unwrap();
    assert_eq!(shown.reason, "PRICE_CHANGED");
    assert_eq!(shown.changed_lines.len(), 1);
    let line = &shown.changed_lines[0];
    assert_eq!((line.index, line.sku.as_str()), (1, "B"));
    assert_eq!(line.expected_unit_price, "1.00");
    assert_eq!(outbox.pending_count().unwrap(), 0);
    // The same failure is what a later listing shows.
    assert_eq!(
        outbox.entries().unwrap()[0].state,
        ActionState::Failed(shown)
    );
}

#[test]
fn only_failures_that_say_nothing_about_the_action_are_transient() {
    assert!(is_transient(&Status::unavailable("down")));
    assert!(is_transient(&Status::deadline_exceeded("slow")));
    assert!(is_transient(&Status::unauthenticated("expired")));
    assert!(!is_transient(&Status::invalid_argument("bad")));
    assert!(!is_transient(&Status::not_found("gone")));
    assert!(!is_transient(&Status::internal("from the server")));
    let local = Status::from_error(Box::new(std::io::Error::other("connection reset")));
    assert_eq!(local.code(), Code::Unknown);
    assert!(is_transient(&local));
}

#[test]
fn finished_actions_beyond_the_limit_are_forgotten_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = LocalDb::open(dir.path()).unwrap();
    let outbox = Outbox::open(&db).unwrap();
    for i in 0..FINISHED_KEPT + 3 {
        outbox.enqueue(&db, submit(&format!("r{i}"))).unwrap();
    }
    outbox.enqueue(&db, submit("last")).unwrap();
    for _ in 0..FINISHED_KEPT + 3 {
        let (seq, action) = outbox.next_pending().unwrap().unwrap();
        outbox.succeed(&db, seq, action, Order::default()).unwrap();
    }
    let entries = outbox.entries().unwrap();
    assert_eq!(entries.len(), FINISHED_KEPT + 1);
    assert_eq!(entries[0].request_id, "r3");
    assert_eq!(entries.last().unwrap().request_id, "last");
}
