//! The SDK's outbox against a real server: a submission replayed after a
//! lost reply makes exactly one order, a price that moved comes back as a
//! final ActionFailed naming the line, and actions queued while the server
//! is unreachable (and restarted) are replayed in queue order once it is
//! back.

use std::time::Duration;

use tokio::sync::broadcast;
use tonic::Code;
use tradeport_mobile::{ActionState, Device, DeviceEvent, ErrorCode};
use tradeport_proto::orders::{OrderLineInput, OrderStatus, SubmitOrderRequest};
use tradeport_tests::TestServer;
use tradeport_tests::clients::orders;
use tradeport_tests::network::Network;
use tradeport_tests::orders::{OrderReply, count, line};
use tradeport_tests::people::enrol;

async fn next_event(events: &mut broadcast::Receiver<DeviceEvent>) -> DeviceEvent {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event within 10 s")
            .unwrap()
        {
            // Only outbox outcomes matter here.
            DeviceEvent::ReferenceDataUpdated { .. } => continue,
            event => return event,
        }
    }
}

#[tokio::test]
async fn a_submission_replayed_after_a_lost_reply_makes_exactly_one_order() {
    let server = TestServer::start(|_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), server.client()).unwrap();
    let mut events = device.events();
    let before = count(device.client()).await;

    let request = SubmitOrderRequest {
        lines: vec![line("TP-EL-00007", "2")],
        po_number: "PO-LOST-REPLY".into(),
        ..Default::default()
    };
    let request_id = device.queue_submit_order(request.clone()).unwrap();
    // The first attempt reached the server, which acted; its reply never
    // came back to the device.
    let first = orders(device.client())
        .submit_order(SubmitOrderRequest {
            request_id: request_id.clone(),
            ..request
        })
        .order()
        .await;

    let report = device.flush_outbox().await.unwrap();
    assert_eq!((report.succeeded, report.failed), (1, 0));
    match next_event(&mut events).await {
        DeviceEvent::ActionSucceeded {
            request_id: id,
            order,
        } => {
            assert_eq!(id, request_id);
            assert_eq!(order.id, first.id, "the replay returns the first order");
        }
        other => panic!("expected success, got {other:?}"),
    }
    assert_eq!(count(device.client()).await, before + 1);
    // Nothing is left to send, and the outcome is kept.
    assert_eq!(device.flush_outbox().await.unwrap().succeeded, 0);
    assert_eq!(count(device.client()).await, before + 1);
    let entries = device.outbox().unwrap();
    assert!(
        matches!(&entries[0].state, ActionState::Succeeded(o) if o.id == first.id),
        "{entries:?}"
    );
    assert_eq!(device.status().unwrap().pending_actions, 0);
    assert!(device.order(&first.id).unwrap().is_some(), "kept locally");
}

#[tokio::test]
async fn a_price_that_moved_comes_back_as_a_final_failure_naming_the_line() {
    let server = TestServer::start(|_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let request_id;
    {
        let device = Device::open(dir.path(), server.client()).unwrap();
        let mut events = device.events();
        let before = count(device.client()).await;
        request_id = device
            .queue_submit_order(SubmitOrderRequest {
                lines: vec![
                    line("TP-EL-00007", "1"),
                    OrderLineInput {
                        expected_unit_price: "0.01".into(),
                        ..line("TP-LI-01001", "3")
                    },
                ],
                ..Default::default()
            })
            .unwrap();
        let ok_after = device
            .queue_submit_order(SubmitOrderRequest {
                lines: vec![line("TP-EL-00007", "1")],
                ..Default::default()
            })
            .unwrap();

        let report = device.flush_outbox().await.unwrap();
        assert_eq!(
            (report.succeeded, report.failed),
            (1, 1),
            "the next one still goes: {:#?}",
            device.outbox().unwrap()
        );
        match next_event(&mut events).await {
            DeviceEvent::ActionFailed {
                request_id: id,
                failure,
            } => {
                assert_eq!(id, request_id);
                assert_eq!(failure.code, Code::FailedPrecondition);
                assert_eq!(failure.reason, "PRICE_CHANGED");
                assert_eq!(failure.changed_lines.len(), 1, "{failure:?}");
                let changed = &failure.changed_lines[0];
                assert_eq!(changed.index, 1);
                assert_eq!(changed.sku, "TP-LI-01001");
                assert_eq!(changed.expected_unit_price, "0.01");
                assert!(changed.description.contains("TP-LI-01001"), "{changed:?}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        match next_event(&mut events).await {
            DeviceEvent::ActionSucceeded { request_id, .. } => assert_eq!(request_id, ok_after),
            other => panic!("expected success, got {other:?}"),
        }
        assert_eq!(count(device.client()).await, before + 1);
        // Final: it is not sent again.
        assert_eq!(device.flush_outbox().await.unwrap().failed, 0);
    }
    // The failure is still there for the app after a restart.
    let device = Device::open(dir.path(), server.client()).unwrap();
    let entries = device.outbox().unwrap();
    assert_eq!(entries[0].request_id, request_id);
    match &entries[0].state {
        ActionState::Failed(failure) => assert_eq!(failure.changed_lines[0].index, 1),
        other => panic!("expected a kept failure, got {other:?}"),
    }
}

#[tokio::test]
async fn actions_queued_while_offline_are_replayed_in_order_once_the_server_is_back() {
    let server = TestServer::start(|_| {}).unwrap();
    // Two orders over the buyer's limit wait for an approver.
    let buyer = server.client();
    let mut waiting = Vec::new();
    for po in ["PO-APPROVE", "PO-REJECT"] {
        let order = orders(&buyer)
            .submit_order(SubmitOrderRequest {
                lines: vec![line("TP-EL-00007", "600")],
                po_number: po.into(),
                ..Default::default()
            })
            .order()
            .await;
        assert_eq!(order.status, OrderStatus::PendingApproval as i32);
        waiting.push(order.id);
    }

    // The approver's phone, signed in with a passkey while online.
    let network = Network::to(server.addr).await;
    let client = network.client();
    enrol(&client, &server.invitation("approver@nordlicht.example"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let device = Device::open(dir.path(), client).unwrap();
    let mut events = device.events();

    network.cut();
    let queued = [
        device
            .queue_submit_order(SubmitOrderRequest {
                lines: vec![line("TP-EL-00007", "1")],
                po_number: "PO-OFFLINE-1".into(),
                ..Default::default()
            })
            .unwrap(),
        device.queue_approve_order(&waiting[0], "ok").unwrap(),
        device
            .queue_reject_order(&waiting[1], "not this quarter")
            .unwrap(),
        device
            .queue_submit_order(SubmitOrderRequest {
                lines: vec![line("TP-EL-00007", "3")],
                po_number: "PO-OFFLINE-2".into(),
                ..Default::default()
            })
            .unwrap(),
    ];
    let err = device.flush_outbox().await.unwrap_err();
    // However tonic words it (Unavailable, Unknown "transport error",
    // Cancelled "Timeout expired"), no answer came: offline.
    assert!(err.is_offline() && err.is_transient(), "{err:?}");
    assert_eq!(err.code(), ErrorCode::Offline);
    let status = device.status().unwrap();
    assert_eq!(status.pending_actions, 4, "nothing lost while offline");
    assert!(device.sync_now().await.is_err());
    assert_eq!(device.status().unwrap().pending_actions, 4);

    // The server restarts meanwhile; the network comes back to it.
    let server = server.restarted().await.unwrap();
    network.restore(server.addr);
    let report = device.flush_outbox().await.unwrap();
    assert_eq!(
        (report.succeeded, report.failed),
        (4, 0),
        "{:#?}",
        device.outbox().unwrap()
    );

    let mut answered = Vec::new();
    for _ in 0..4 {
        match next_event(&mut events).await {
            DeviceEvent::ActionSucceeded { request_id, order } => {
                answered.push((request_id, *order))
            }
            other => panic!("expected success, got {other:?}"),
        }
    }
    let ids: Vec<&String> = answered.iter().map(|(id, _)| id).collect();
    assert_eq!(ids, queued.iter().collect::<Vec<_>>(), "in queue order");
    let (first, approved, rejected, second) = (
        &answered[0].1,
        &answered[1].1,
        &answered[2].1,
        &answered[3].1,
    );
    assert_eq!(first.po_number, "PO-OFFLINE-1");
    assert_eq!(second.po_number, "PO-OFFLINE-2");
    assert!(
        first.number < second.number,
        "{} then {}",
        first.number,
        second.number
    );
    assert_eq!(approved.id, waiting[0]);
    assert_eq!(approved.status, OrderStatus::Confirmed as i32);
    assert_eq!(rejected.id, waiting[1]);
    assert_eq!(rejected.status, OrderStatus::Rejected as i32);
    assert_eq!(device.status().unwrap().pending_actions, 0);
}
