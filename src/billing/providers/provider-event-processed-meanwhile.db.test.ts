import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendPid, untilLockWaiters } from "../../../test/helpers/lock-waiters.ts";
import { lockCustomerForMoney } from "../payments/invoice-settlement.ts";
import { failingRefundEvent } from "./testing/failing-events.ts";
import { type JsonAnswer, type StripeWorld, startStripeWorld } from "./testing/stripe-world.ts";

// A processing of a stored event that fails while another processes the same event (its cause mended between
// them): the failed one's transaction rolls back, the other takes the row and processes it, and only then does
// the failed one write its reason, guarded "while unprocessed". Until 2026-12-07 it then answered as failed
// (a staff retry 409 "stays stored failing", audited `failed`; a delivery 500) of an event processed.
// PostgreSQL only: the interleaving is made with row locks, and PGlite has one connection, so nothing waits.

let world: StripeWorld;
let made = 0;

const eventRow = (eventId: string) =>
  world.db
    .selectFrom("provider_event")
    .select(["processed_at", "error"])
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();

const auditOf = (eventId: string) =>
  world.db
    .selectFrom("audit_log")
    .select(["after"])
    .where("entity", "=", "provider_event")
    .where("entity_id", "=", `stripe/${eventId}`)
    .orderBy("id")
    .execute();

/**
 * Runs `process` (a retry or a delivery of a stored failing event) so that its processing fails and, between
 * its rollback and its guarded error write, the test's own transaction marks the event processed, as a
 * delivery whose cause was mended would. Each step waits on a lock PostgreSQL reports waited for.
 */
async function failWhileProcessedElsewhere(process: (event: { id: string }) => Promise<JsonAnswer>) {
  made += 1;
  const { customerId, event } = await failingRefundEvent(world, `meanwhile-${made}`);

  // The customer's money lock: the processing takes it after locking the event's row, and waits here.
  const customerHolder = await world.db.startTransaction().execute();
  await lockCustomerForMoney(customerHolder, customerId);
  const answer = process(event);
  answer.catch(() => {}); // awaited below; a rejection before then is not unhandled
  await untilLockWaiters(world.db, await backendPid(customerHolder), 1, "the processing to wait", answer);

  // The other processing queues for the event's row, which the failing one holds until it rolls back.
  const other = await world.db.startTransaction().execute();
  const otherPid = await backendPid(other);
  const otherHasRow = other
    .selectFrom("provider_event")
    .select("event_id")
    .where("provider", "=", "stripe")
    .where("event_id", "=", event.id)
    .forUpdate()
    .execute();
  await untilLockWaiters(world.db, await backendPid(customerHolder), 2, "the other to queue for the row");

  // The processing goes on, fails (its cause is not mended) and rolls back: the other has the row.
  await customerHolder.commit().execute();
  await otherHasRow;
  await other
    .updateTable("provider_event")
    .set({ processed_at: new Date(), error: null })
    .where("provider", "=", "stripe")
    .where("event_id", "=", event.id)
    .execute();
  await untilLockWaiters(world.db, otherPid, 1, "the failed processing's error write to wait", answer);
  await other.commit().execute();
  return { event, answer: await answer };
}

describe.runIf(process.env["DATABASE_URL"])(
  "a processing that fails while another processes the event",
  () => {
    beforeAll(async () => {
      world = await startStripeWorld();
    });
    afterAll(async () => {
      await world?.close();
    });

    it("a staff retry answers duplicate, audited so, and writes no reason over the processed row", async () => {
      const { event, answer } = await failWhileProcessedElsewhere((e) =>
        world.post(`/api/v1/payment-provider-events/stripe/${e.id}/retry`),
      );
      expect([answer.status, answer.body.data?.outcome], JSON.stringify(answer.body)).toEqual([
        200,
        "duplicate",
      ]);
      expect(await eventRow(event.id)).toEqual({ processed_at: expect.any(Date), error: null });
      expect(await auditOf(event.id)).toEqual([{ after: { retried: true, outcome: "duplicate" } }]);
    });

    it("a delivery answers the provider 200 duplicate, not 500, and writes no reason", async () => {
      const { event, answer } = await failWhileProcessedElsewhere((e) => world.deliver(e));
      expect([answer.status, answer.body.outcome], JSON.stringify(answer.body)).toEqual([200, "duplicate"]);
      expect(await eventRow(event.id)).toEqual({ processed_at: expect.any(Date), error: null });
    });
  },
);
