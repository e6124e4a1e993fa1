import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actors } from "../../kernel/actor.ts";
import { encodeCursor } from "../../kernel/list-cursor.ts";
import { checkLedger } from "../payments/testing/ledger-invariants.ts";
import { listFailingProviderEvents } from "./failing-provider-events.ts";
import { retryProviderEvent } from "./retry-provider-event.ts";
import { failingRefundEvent as failingRefund } from "./testing/failing-events.ts";
import { type StripeWorld, startStripeWorld } from "./testing/stripe-world.ts";

// Staff retry a payment provider event stored failing once its cause is mended, instead of waiting for Stripe's
// next delivery (up to three days, then only the Dashboard's Resend): until 2026-12-07 tokenbill had no way.
// The failing event is a real one: a refund Stripe made for the whole charge while tokenbill still counts an
// earlier refund of 600 succeeded, whose failure Stripe has not told yet. It cannot be recorded until it does.

let world: StripeWorld;
beforeAll(async () => {
  world = await startStripeWorld();
});
afterAll(async () => {
  await world?.close();
});

let made = 0;

/** A refund event stored failing until the refund's earlier failure is delivered (failingRefundEvent). */
async function failingRefundEvent() {
  made += 1;
  const failing = await failingRefund(world, `retry-event-${made}`);
  return { ...failing, retryPath: `/api/v1/payment-provider-events/stripe/${failing.event.id}/retry` };
}

const eventRow = (eventId: string) =>
  world.db
    .selectFrom("provider_event")
    .select(["received_at", "processed_at", "error"])
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();

const refundsOf = async (paymentId: string) =>
  (
    await world.db
      .selectFrom("refund")
      .select(["amount", "status"])
      .where("payment_id", "=", paymentId)
      .orderBy("created_at")
      .orderBy("id")
      .execute()
  ).map((r) => [r.amount, r.status]);

/** The customer's books: amounts due, credit, and how many ledger entries (a change posted twice shows). */
async function booksOf(customerId: bigint) {
  const { dueTotal, credit } = await checkLedger(world.db, world.context(), customerId);
  const entries = await world.db
    .selectFrom("ledger_entry")
    .select("id")
    .where("customer_id", "=", customerId)
    .execute();
  return { dueTotal, credit, entries: entries.length };
}

const auditOf = (eventId: string) =>
  world.db
    .selectFrom("audit_log")
    .select(["action", "actor", "after"])
    .where("entity", "=", "provider_event")
    .where("entity_id", "=", `stripe/${eventId}`)
    .orderBy("id")
    .execute();

const listed = async (eventId: string) =>
  (await world.server.api("GET", "/api/v1/payment-provider-events?per_page=500")).body.data.filter(
    (e: { event_id: string }) => e.event_id === eventId,
  );

describe("retrying a payment provider event stored failing", () => {
  it("is listed with its reason; a retry before the cause is mended is refused 409 and it stays failing", async () => {
    const { event, retryPath, payment } = await failingRefundEvent();
    const [row] = await listed(event.id);
    expect(row).toEqual({
      provider: "stripe",
      event_id: event.id,
      type: "refund.created",
      received_at: expect.any(String),
      error: expect.stringContaining(`Stripe has refund re_retry_event_${made} of 1000`),
    });

    // A reason from an earlier attempt is replaced by the retry's own.
    await world.db
      .updateTable("provider_event")
      .set({ error: "an earlier reason" })
      .where("event_id", "=", event.id)
      .execute();
    const before = await eventRow(event.id);
    const refused = await world.post(retryPath);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("CONFLICT");
    expect(refused.body.error.message).toContain(
      `payment provider event stripe ${event.id} (refund.created) failed again and stays stored failing: Stripe has refund re_retry_event_${made} of 1000`,
    );
    const after = await eventRow(event.id);
    expect(after.processed_at).toBeNull();
    expect(after.received_at).toEqual(before.received_at);
    expect(after.error).toContain(`Stripe has refund re_retry_event_${made} of 1000`);
    expect(refused.body.error.message).toContain(after.error!.slice(0, 200));
    expect(await refundsOf(payment.id)).toEqual([[600n, "succeeded"]]);
    expect(await auditOf(event.id)).toEqual([
      {
        action: "provider_event.update",
        actor: "env-admin-key",
        after: { retried: true, outcome: "failed" },
      },
    ]);
  });

  it("once mended, a retry processes it: the books change once, and a retry again is a duplicate that changes nothing", async () => {
    const { customerId, payment, event, missing, retryPath } = await failingRefundEvent();
    // Mended: the refund.failed tokenbill missed arrives.
    const late = await world.deliver(missing);
    expect([late.status, late.body.outcome]).toEqual([200, "processed"]);
    const before = await booksOf(customerId);
    expect(before).toMatchObject({ dueTotal: 0n });

    const retried = await world.post(retryPath);
    expect([retried.status, retried.body.data]).toEqual([
      200,
      { provider: "stripe", event_id: event.id, type: "refund.created", outcome: "processed" },
    ]);
    expect(await eventRow(event.id)).toMatchObject({ processed_at: expect.any(Date), error: null });
    expect(await refundsOf(payment.id)).toEqual([
      [600n, "failed"],
      [1000n, "succeeded"],
    ]);
    const books = await booksOf(customerId);
    expect(books).toMatchObject({ credit: 0n, dueTotal: 1000n });
    expect(books.entries).toBeGreaterThan(before.entries);
    expect(await listed(event.id)).toEqual([]);

    const again = await world.post(retryPath);
    expect([again.status, again.body.data.outcome]).toEqual([200, "duplicate"]);
    const delivered = await world.deliver(event);
    expect([delivered.status, delivered.body.outcome]).toEqual([200, "duplicate"]);
    expect(await refundsOf(payment.id)).toHaveLength(2);
    expect(await booksOf(customerId)).toEqual(books);
    // The retry that processed it is audited; the duplicate changed nothing and is not.
    expect(await auditOf(event.id)).toEqual([
      {
        action: "provider_event.update",
        actor: "env-admin-key",
        after: { retried: true, outcome: "processed" },
      },
    ]);
  });

  it("a retry and a delivery of one event at once process it once", async () => {
    // How many ledger entries processing such an event posts, from a retry alone of another one like it.
    const alone = await failingRefundEvent();
    expect((await world.deliver(alone.missing)).status).toBe(200);
    const aloneBefore = await booksOf(alone.customerId);
    expect((await world.post(alone.retryPath)).body.data.outcome).toBe("processed");
    const entriesOneRetryPosts = (await booksOf(alone.customerId)).entries - aloneBefore.entries;
    expect(entriesOneRetryPosts).toBeGreaterThan(0);

    const { customerId, payment, event, missing, retryPath } = await failingRefundEvent();
    expect((await world.deliver(missing)).status).toBe(200);
    const before = await booksOf(customerId);
    const [retried, delivered] = await Promise.all([world.post(retryPath), world.deliver(event)]);
    expect([retried.status, delivered.status]).toEqual([200, 200]);
    expect([retried.body.data.outcome, delivered.body.outcome].sort()).toEqual(["duplicate", "processed"]);
    expect(await refundsOf(payment.id)).toEqual([
      [600n, "failed"],
      [1000n, "succeeded"],
    ]);
    const after = await booksOf(customerId);
    expect(after).toMatchObject({ dueTotal: 1000n });
    // Posted once: as many entries as a retry alone posts, not twice that.
    expect(after.entries - before.entries).toBe(entriesOneRetryPosts);
  });

  it("an event not stored is 404; a provider name that cannot be one is 400", async () => {
    const unknown = await world.post("/api/v1/payment-provider-events/stripe/evt_never_sent/retry");
    expect([unknown.status, unknown.body.error.message]).toEqual([
      404,
      "payment provider event stripe evt_never_sent not found",
    ]);
    expect((await world.post("/api/v1/payment-provider-events/paypal/evt_never_sent/retry")).status).toBe(
      404,
    );
    expect((await world.post("/api/v1/payment-provider-events/STRIPE!/evt_x/retry")).status).toBe(400);
  });
});

describe("the list's cursor", () => {
  it("a cursor naming an instant PostgreSQL has no date for (year 0000) is refused 400, never a 500", async () => {
    // The cursor's check is a digest anyone can make (it guards against a cut or changed cursor, not a forged
    // one), so its key's shape is the fence: year 0000 passed it and PostgreSQL refused the ::timestamptz.
    const forged = encodeCursor("failing_provider_events", {}, ["0000-01-01T00:00:00.000000Z", "evt_x"]);
    const answer = await world.server.api("GET", `/api/v1/payment-provider-events?cursor=${forged}`);
    expect([answer.status, answer.body.error?.message]).toEqual([
      400,
      "query.cursor: is not a cursor of this list: start again from the first page (without cursor)",
    ]);
    const first = encodeCursor("failing_provider_events", {}, ["0001-01-01T00:00:00.000000Z", "evt_x"]);
    expect((await world.server.api("GET", `/api/v1/payment-provider-events?cursor=${first}`)).status).toBe(
      200,
    );
  });
});

describe("who may list and retry", () => {
  it("every staff role lists (addresses hidden below admin); billing and above retry, support may not", async () => {
    const { event } = await failingRefundEvent();
    // A reason naming where a system is, as a failed connection's does.
    await world.db
      .updateTable("provider_event")
      .set({ error: "connect ECONNREFUSED 10.20.30.40:5432 while recording" })
      .where("event_id", "=", event.id)
      .execute();
    const as = (role: "support" | "billing" | "admin") =>
      world.context({ actor: actors.adminKey("k", role) });
    const errorFor = async (role: "support" | "billing" | "admin") =>
      (await listFailingProviderEvents({ ctx: as(role), input: { per_page: 500 } })).data.find(
        (e) => e.event_id === event.id,
      )?.error;
    expect(await errorFor("admin")).toBe("connect ECONNREFUSED 10.20.30.40:5432 while recording");
    expect(await errorFor("support")).toBe("connect ECONNREFUSED (address hidden) while recording");

    const input = { provider: "stripe", event_id: event.id };
    await expect(retryProviderEvent({ ctx: as("support"), input })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await auditOf(event.id)).toEqual([]);
    // Billing passes the role check, and meets the event's own refusal: its cause is not mended yet.
    await expect(retryProviderEvent({ ctx: as("billing"), input })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("failed again and stays stored failing: Stripe has refund"),
    });
  });
});
