//! A draft becomes an order: exactly one, with the lines the server holds,
//! whichever device submits it and however often; and the SDK's devices
//! merging a draft and submitting it from the outbox despite a lost reply.

use tradeport_mobile::{Device, DeviceEvent};
use tradeport_proto::orders::{OrderLineInput, SubmitOrderRequest};
use tradeport_tests::clients::orders;
use tradeport_tests::error_reason;
use tradeport_tests::orders::OrderReply;

use crate::drafts::{device, fixture, line_id, lines};

fn submit_draft(id: &str, request_id: &str) -> SubmitOrderRequest {
    SubmitOrderRequest {
        request_id: request_id.into(),
        draft_id: id.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_draft_becomes_exactly_one_order_with_the_servers_lines() {
    let f = &fixture().await;
    let (phone, _p) = device("order-phone");
    let (tablet, _t) = device("order-tablet");
    let id = phone.create(&f.server.account(0)).unwrap();
    phone.edit(&id, |d| d.add_line("TP-EL-00007", "4")).unwrap();
    phone.sync(&f.buyer).await.unwrap();
    tablet.fetch(&id).unwrap();
    tablet.sync(&f.approver).await.unwrap();
    tablet
        .edit(&id, |d| d.add_line("TP-LI-01001", "2"))
        .unwrap();
    tablet.sync(&f.approver).await.unwrap();

    // The phone has not seen the tablet's line: what its person confirmed
    // is not what the draft holds now.
    let mut phone_orders = orders(&f.buyer);
    let stale = phone_orders
        .submit_order(SubmitOrderRequest {
            lines: vec![OrderLineInput {
                sku: "TP-EL-00007".into(),
                quantity: "4".into(),
                ..Default::default()
            }],
            ..submit_draft(&id, "draft-stale")
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), tonic::Code::FailedPrecondition);
    assert_eq!(error_reason(&stale), "DRAFT_CHANGED");

    // Submitted as the server holds it; the reply is lost and the same
    // request is sent again: one order.
    let first = phone_orders
        .submit_order(submit_draft(&id, "draft-order-1"))
        .order()
        .await;
    let skus: Vec<&str> = first.lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus.len(), 2, "{skus:?}");
    let replay = phone_orders
        .submit_order(submit_draft(&id, "draft-order-1"))
        .order()
        .await;
    assert_eq!(replay.id, first.id);
    // Another device submitting the same draft anew gets no second order.
    let twice = orders(&f.approver)
        .submit_order(submit_draft(&id, "draft-order-2"))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), tonic::Code::FailedPrecondition);
    assert_eq!(error_reason(&twice), "DRAFT_ALREADY_SUBMITTED");
    assert!(twice.message().contains(&first.id), "{}", twice.message());
    // And nobody outside the account can order from it.
    let foreign = orders(&f.foreign)
        .submit_order(submit_draft(&id, "draft-order-3"))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), tonic::Code::NotFound);
}

/// The whole path on two SDK devices: offline edits merged by `sync_now`,
/// then one device submits the draft from its outbox; the first reply is
/// lost, the outbox replays, and exactly one order exists.
#[tokio::test]
async fn devices_merge_a_draft_and_the_outbox_submits_it_once_despite_a_lost_reply() {
    let f = &fixture().await;
    let phone_dir = tempfile::tempdir().unwrap();
    let tablet_dir = tempfile::tempdir().unwrap();
    let phone = Device::open(phone_dir.path(), f.buyer.clone()).unwrap();
    let tablet = Device::open(tablet_dir.path(), f.approver.clone()).unwrap();
    let id = phone.drafts().create(&f.server.account(0)).unwrap();
    phone
        .drafts()
        .edit(&id, |d| d.add_line("TP-EL-00007", "1"))
        .unwrap();
    phone.sync_now().await.unwrap();
    tablet.sync_now().await.unwrap();
    assert_eq!(
        lines(tablet.drafts(), &id).len(),
        1,
        "the tablet discovered the draft"
    );

    // Offline on both, then back.
    let first = line_id(phone.drafts(), &id, "TP-EL-00007");
    phone
        .drafts()
        .edit(&id, |d| d.set_quantity(&first, "3"))
        .unwrap();
    tablet
        .drafts()
        .edit(&id, |d| d.add_line("TP-LI-01001", "2"))
        .unwrap();
    let status = phone.status().unwrap();
    assert_eq!(status.pending_draft_changes, 1);
    assert!(status.pending_draft_bytes > 0, "{status:?}");
    tablet.sync_now().await.unwrap();
    phone.sync_now().await.unwrap();
    let status = phone.status().unwrap();
    assert_eq!(
        (status.pending_draft_changes, status.pending_draft_bytes),
        (0, 0)
    );
    assert_eq!(lines(phone.drafts(), &id).len(), 2);

    let request_id = phone.queue_submit_draft(&id).unwrap();
    // The first attempt reached the server, its reply did not reach us.
    let queued = phone
        .outbox()
        .unwrap()
        .into_iter()
        .find(|e| e.request_id == request_id)
        .unwrap();
    let tradeport_mobile::Action::SubmitOrder(request) = queued.action else {
        panic!("a submission was queued");
    };
    let lost = orders(&f.buyer).submit_order(request).order().await;
    let mut events = phone.events();
    phone.flush_outbox().await.unwrap();
    match events.recv().await.unwrap() {
        DeviceEvent::ActionSucceeded {
            request_id: r,
            order,
        } => {
            assert_eq!(r, request_id);
            assert_eq!(
                order.id, lost.id,
                "the replay answered with the first order"
            );
            assert_eq!(order.lines.len(), 2, "both devices' lines are ordered");
        }
        other => panic!("{other:?}"),
    }
    // The tablet, up to date, submitting it too makes no second order.
    tablet.sync_now().await.unwrap();
    tablet.queue_submit_draft(&id).unwrap();
    let mut tablet_events = tablet.events();
    tablet.flush_outbox().await.unwrap();
    match tablet_events.recv().await.unwrap() {
        DeviceEvent::ActionFailed { failure, .. } => {
            assert_eq!(failure.reason, "DRAFT_ALREADY_SUBMITTED", "{failure:?}");
        }
        other => panic!("{other:?}"),
    }
}
