// A partner web app's path, written from docs/partners.md alone: an order
// draft built with automerge-js, synced with SyncRound over gRPC-web
// (connect-web, binary protobuf), then submitted with SubmitOrder; and a
// cart priced for a day given as a google.type.Date.
//
// Needs a running server with the demo data: TRADEPORT_URL (e.g.
// http://127.0.0.1:50051) and TRADEPORT_API_KEY (the demo partner app's
// key, a buyer of the first demo account). .ci/run provides both.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import * as A from "@automerge/automerge";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import { CatalogService } from "../gen/tradeport/catalog/v1/catalog_pb.js";
import { IdentityService } from "../gen/tradeport/identity/v1/identity_pb.js";
import { OrderService } from "../gen/tradeport/orders/v1/orders_pb.js";
import { SyncService } from "../gen/tradeport/sync/v1/sync_pb.js";

const baseUrl = process.env.TRADEPORT_URL;
const apiKey = process.env.TRADEPORT_API_KEY;
if (!baseUrl || !apiKey) {
  throw new Error("set TRADEPORT_URL and TRADEPORT_API_KEY (see .ci/run)");
}

const authorization = (next) => async (req) => {
  req.header.set("authorization", `Bearer ${apiKey}`);
  return next(req);
};

// gRPC-web in binary protobuf: Tradeport refuses JSON (see the last test).
const transport = createGrpcWebTransport({
  baseUrl,
  useBinaryFormat: true,
  interceptors: [authorization],
});

const identity = createClient(IdentityService, transport);
const sync = createClient(SyncService, transport);
const orders = createClient(OrderService, transport);
const catalog = createClient(CatalogService, transport);

// Every string in a Tradeport document is an automerge scalar string.
const s = (value) => new A.ImmutableString(value);

/** A new order draft for `accountId`, laid out as docs/partners.md says. */
function newDraft(accountId, lines) {
  let doc = A.change(A.init(), "create draft", (d) => {
    d.schema = s("tradeport.order_draft/1");
    d.account_id = s(accountId);
    d.ship_to_id = s("");
    d.po_reference = s("");
    d.requested_date = s("");
    d.notes = s("");
    d.lines = [];
    // Ids: the automerge object id of the lines list, as Tradeport's own
    // clients do; any unique string of at most 128 characters would do.
    d.draft_id = s(A.getObjectId(d.lines));
  });
  doc = A.change(doc, "add lines", (d) => {
    for (const [sku, quantity] of lines) {
      d.lines.push({ sku: s(sku), quantity: s(quantity), note: s("") });
      const index = d.lines.length - 1;
      d.lines[index].id = s(A.getObjectId(d.lines[index]));
    }
  });
  return doc;
}

/**
 * Syncs `doc` with the server in unary rounds until neither side has
 * anything to send; the first round carries the whole document, which the
 * server does not hold yet. Returns the synced document.
 */
async function syncDraft(doc, peerId) {
  const documentId = doc.draft_id.toString();
  let state = A.initSyncState();
  for (let round = 0; round < 20; round += 1) {
    const [next, message] = A.generateSyncMessage(doc, state);
    state = next;
    if (round > 0 && message === null) {
      return doc;
    }
    const reply = await sync.syncRound({
      peerId,
      messages: [
        {
          documentId,
          syncMessage: message ?? new Uint8Array(),
          document: round === 0 ? A.save(doc) : new Uint8Array(),
        },
      ],
    });
    assert.equal(reply.messages.length, 1);
    const answer = reply.messages[0];
    assert.equal(answer.documentId, documentId);
    assert.equal(answer.problem, undefined, `refused: ${JSON.stringify(answer.problem)}`);
    if (answer.syncMessage.length > 0) {
      [doc, state] = A.receiveSyncMessage(doc, state, answer.syncMessage);
    }
  }
  throw new Error("sync did not settle in 20 rounds");
}

test("a draft built with automerge-js syncs over gRPC-web and becomes an order", async () => {
  const caller = await identity.getCaller({});
  assert.ok(caller.accountId, "the demo partner app acts for an account");

  const draft = newDraft(caller.accountId, [
    ["TP-EL-00007", "4"],
    ["TP-LI-01001", "2"],
  ]);
  const draftId = draft.draft_id.toString();
  const synced = await syncDraft(draft, `js-test-${randomUUID()}`);
  assert.deepEqual(A.getHeads(synced).sort(), A.getHeads(draft).sort());

  const listed = await sync.listDocuments({ pageSize: 100 });
  assert.ok(
    listed.documents.some((d) => d.documentId === draftId),
    "the server holds the draft",
  );

  const { order } = await orders.submitOrder({
    requestId: `js-test-${randomUUID()}`,
    draftId,
  });
  assert.ok(order.number, "the order has a number");
  assert.deepEqual(
    order.lines.map((l) => [l.sku, l.quantity]).sort(),
    [
      ["TP-EL-00007", "4"],
      ["TP-LI-01001", "2"],
    ],
  );
});

test("a day is a google.type.Date: PriceCart prices for it, and one that does not exist is refused", async () => {
  const lines = [{ sku: "TP-EL-00007", quantity: "1" }];
  const quote = await catalog.priceCart({ lines, priceDate: { year: 2026, month: 6, day: 30 } });
  const { year, month, day } = quote.priceDate;
  assert.deepEqual({ year, month, day }, { year: 2026, month: 6, day: 30 });
  await assert.rejects(
    catalog.priceCart({ lines, priceDate: { year: 2026, month: 2, day: 30 } }),
    (error) => {
      assert.ok(error instanceof ConnectError, String(error));
      assert.equal(error.code, Code.InvalidArgument, error.message);
      // The BadRequest detail names the field too, but its proto is
      // google.rpc's, not generated here.
      assert.match(error.rawMessage, /price_date/);
      return true;
    },
  );
});

test("a draft with a plain JS string (automerge text) is refused, naming the field", async () => {
  const caller = await identity.getCaller({});
  let doc = newDraft(caller.accountId, [["TP-EL-00007", "1"]]);
  // A plain JS string becomes collaborative text, not a scalar string.
  doc = A.change(doc, (d) => {
    d.notes = "typed as text";
  });
  const reply = await sync.syncRound({
    peerId: `js-test-${randomUUID()}`,
    messages: [
      {
        documentId: doc.draft_id.toString(),
        document: A.save(doc),
      },
    ],
  });
  const { problem } = reply.messages[0];
  assert.ok(problem, "the document is refused");
  assert.equal(problem.code, Code.InvalidArgument);
  assert.equal(problem.field, "document.notes");
});

test("JSON over gRPC-web is refused with a gRPC status, not a bare HTTP error", async () => {
  const json = createGrpcWebTransport({
    baseUrl,
    useBinaryFormat: false,
    interceptors: [authorization],
  });
  await assert.rejects(createClient(IdentityService, json).getCaller({}), (error) => {
    assert.ok(error instanceof ConnectError, String(error));
    assert.equal(error.code, Code.Unimplemented, error.message);
    assert.match(error.rawMessage, /application\/grpc-web\+proto/);
    return true;
  });
});
