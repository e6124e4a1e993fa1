import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { type ConfigInput, parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { updateCustomer } from "../../services/customers/customers.ts";
import { voidInvoice } from "../invoices/void-invoice.ts";
import { recordPayment } from "../payments/record-payment.ts";
import { createDunCustomer, issueInvoice } from "./dunning-fixtures.ts";
import { dunningEvaluateHandler, dunningScheduledHandler } from "./dunning-jobs.ts";
import { evaluateCustomerDunning } from "./evaluate-dunning.ts";
import { runDunning } from "./run-dunning.ts";

// What an episode restores and when it ends, when staff, payments or a run's as_of act between its rungs
// (billing-rules §8). Default ladder from an invoice due 2026-11-15: lock 11-22, suspension 11-29.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const DUE = "2026-11-15";
function ctxAt(iso: string, overrides: Partial<ConfigInput> = {}): ServiceContext {
  return {
    db: handle.db,
    config: parseConfig({ LOG_LEVEL: "silent", ...overrides }),
    logger: pino({ level: "silent" }),
    actor: actors.system("test"),
    now: () => new Date(iso),
  };
}
const at = (iso: string, id: bigint) => evaluateCustomerDunning(ctxAt(iso), id, new Date(iso));

async function customer(id: bigint) {
  return handle.db
    .selectFrom("customer")
    .select(["status", "status_source", "status_reason"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}
async function openEpisodes(id: bigint) {
  const rows = await handle.db
    .selectFrom("dunning_episode")
    .select("id")
    .where("customer_id", "=", id)
    .where("ended_at", "is", null)
    .execute();
  return rows.length;
}
async function pay(invoiceId: string, amount: bigint, iso: string) {
  return recordPayment({
    ctx: ctxAt(iso),
    input: { invoice_id: invoiceId, amount, method: "bank_transfer", reference: `ref-${invoiceId}` },
  });
}

describe("a status staff set during an episode", () => {
  it("a lock staff re-labelled after dunning's lock is escalated, and paying returns to staff's lock", async () => {
    const id = await createDunCustomer(handle.db, { email: "relock@example.com" });
    const inv = await issueInvoice(handle.db, { customerId: id, total: 800n, dueDate: DUE });
    await at("2026-11-22T00:00:00Z", id);
    expect(await customer(id)).toMatchObject({ status: "locked", status_source: "dunning" });
    // Staff take the lock over: from now on it is theirs, whatever dunning does after.
    await updateCustomer({
      ctx: ctxAt("2026-11-23T00:00:00Z"),
      input: { id, patch: { status: "locked", status_reason: "chargeback investigation" } },
    });
    const suspend = await at("2026-11-29T00:00:00Z", id);
    expect(suspend.find((a) => a.step === "final_notice")!.details["status_change"]).toMatchObject({
      from: "locked",
      to: "suspended",
      source_before: "staff",
    });
    await pay(inv, 800n, "2026-11-30T00:00:00Z");
    const closed = await at("2026-11-30T00:00:00Z", id);
    expect(closed.map((a) => [a.step, a.details["restored"]])).toEqual([
      ["closed", { from: "suspended", to: "locked", source: "staff" }],
    ]);
    expect(await customer(id)).toMatchObject({
      status: "locked",
      status_source: "staff",
      status_reason: "chargeback investigation",
    });
  });

  it("staff setting active and then locked mid-episode keep their lock after the payment", async () => {
    const id = await createDunCustomer(handle.db, { email: "activelock@example.com" });
    const inv = await issueInvoice(handle.db, { customerId: id, total: 900n, dueDate: DUE });
    await at("2026-11-22T00:00:00Z", id);
    const ctx = ctxAt("2026-11-23T00:00:00Z");
    await updateCustomer({ ctx, input: { id, patch: { status: "active" } } });
    await updateCustomer({ ctx, input: { id, patch: { status: "locked", status_reason: "fraud review" } } });
    await at("2026-11-29T00:00:00Z", id);
    expect(await customer(id)).toMatchObject({ status: "suspended", status_source: "dunning" });
    await pay(inv, 900n, "2026-11-30T00:00:00Z");
    await at("2026-11-30T00:00:00Z", id);
    expect(await customer(id)).toMatchObject({
      status: "locked",
      status_source: "staff",
      status_reason: "fraud review",
    });
  });
});

describe("a run as of an instant earlier than an episode's latest step", () => {
  it("neither closes the episode nor lifts the suspension of a customer who still owes", async () => {
    const id = await createDunCustomer(handle.db, { email: "pastrun@example.com" });
    await issueInvoice(handle.db, { customerId: id, total: 700n, dueDate: DUE });
    await at("2026-11-29T00:00:00Z", id);
    expect(await customer(id)).toMatchObject({ status: "suspended", status_source: "dunning" });
    const now = ctxAt("2026-12-01T00:00:00Z");
    for (const asOf of ["2026-11-10T12:00:00Z", "0001-01-01T00:00:00Z"]) {
      const run = await runDunning({ ctx: now, input: { as_of: asOf } });
      expect(run.steps.filter((s) => s.customer_id === id)).toEqual([]);
      expect(await customer(id)).toMatchObject({ status: "suspended", status_source: "dunning" });
    }
    // The next run as of now finds the same episode: no second final notice.
    const again = await runDunning({ ctx: now, input: {} });
    expect(again.steps.filter((s) => s.customer_id === id)).toEqual([]);
    const episodes = await handle.db
      .selectFrom("dunning_episode")
      .select("ended_at")
      .where("customer_id", "=", id)
      .execute();
    expect(episodes).toEqual([{ ended_at: null }]);
  });
});

describe("with DUNNING_ENABLED=false", () => {
  const off = (iso: string) => ctxAt(iso, { DUNNING_ENABLED: "false" });
  const job = <P>(payload: P) => ({ id: 1n, kind: "dunning", orderingKey: null, payload, attempts: 1 });

  it("a customer who pays is still lifted, by the payment's evaluation and by the hourly run", async () => {
    const byJob = await createDunCustomer(handle.db, { email: "off-job@example.com" });
    const byRound = await createDunCustomer(handle.db, { email: "off-round@example.com" });
    const owing = await createDunCustomer(handle.db, { email: "off-owing@example.com" });
    const fresh = await createDunCustomer(handle.db, { email: "off-fresh@example.com" });
    const invoices = new Map<bigint, string>();
    for (const id of [byJob, byRound, owing]) {
      invoices.set(id, await issueInvoice(handle.db, { customerId: id, total: 600n, dueDate: DUE }));
      await at("2026-11-29T00:00:00Z", id);
      expect(await customer(id)).toMatchObject({ status: "suspended", status_source: "dunning" });
    }
    await issueInvoice(handle.db, { customerId: fresh, total: 600n, dueDate: DUE });
    await pay(invoices.get(byJob)!, 600n, "2026-11-30T00:00:00Z");
    await pay(invoices.get(byRound)!, 600n, "2026-11-30T00:00:00Z");

    await dunningEvaluateHandler(off("2026-11-30T01:00:00Z"))(job({ customer_id: String(byJob) }));
    expect(await customer(byJob)).toMatchObject({ status: "active", status_source: null });
    expect(await openEpisodes(byJob)).toBe(0);

    await dunningScheduledHandler(off("2026-11-30T02:00:00Z"))(job({}));
    expect(await customer(byRound)).toMatchObject({ status: "active", status_source: null });
    expect(await openEpisodes(byRound)).toBe(0);
    // No new rung: the one who still owes keeps what was imposed, the one never dunned gets no episode.
    expect(await customer(owing)).toMatchObject({ status: "suspended", status_source: "dunning" });
    expect(await openEpisodes(owing)).toBe(1);
    await dunningEvaluateHandler(off("2026-11-30T03:00:00Z"))(job({ customer_id: String(fresh) }));
    expect(await customer(fresh)).toMatchObject({ status: "active" });
    const episodes = await handle.db
      .selectFrom("dunning_episode")
      .select("id")
      .where("customer_id", "=", fresh)
      .execute();
    expect(episodes).toEqual([]);
  });
});

describe("voiding an overdue invoice", () => {
  it("queues the evaluation that ends the episode and lifts the lock", async () => {
    const id = await createDunCustomer(handle.db, { email: "voided@example.com" });
    const inv = await issueInvoice(handle.db, { customerId: id, total: 400n, dueDate: DUE });
    await at("2026-11-22T00:00:00Z", id);
    expect(await customer(id)).toMatchObject({ status: "locked", status_source: "dunning" });
    await voidInvoice({ ctx: ctxAt("2026-11-23T00:00:00Z"), input: { id: inv, reason: "issued in error" } });
    const queued = await handle.db
      .selectFrom("job")
      .select(["payload", "ordering_key"])
      .where("kind", "=", "dunning.evaluate")
      .where("ordering_key", "=", `dunning:${id}`)
      .execute();
    expect(queued).toEqual([{ payload: { customer_id: String(id) }, ordering_key: `dunning:${id}` }]);
    await dunningEvaluateHandler(ctxAt("2026-11-23T00:00:05Z"))({
      id: 1n,
      kind: "dunning.evaluate",
      orderingKey: `dunning:${id}`,
      payload: { customer_id: String(id) },
      attempts: 1,
    });
    expect(await customer(id)).toMatchObject({ status: "active", status_source: null });
    expect(await openEpisodes(id)).toBe(0);
  });
});

describe("an episode of reminders only", () => {
  it("ends once the invoice it reminded of is paid, so the next invoice gets its own reminder", async () => {
    const id = await createDunCustomer(handle.db, { email: "reminders@example.com" });
    const first = await issueInvoice(handle.db, { customerId: id, total: 300n, dueDate: DUE });
    const reminded = await at("2026-11-12T00:00:00Z", id);
    expect(reminded.map((a) => [a.step, a.details["invoice_id"]])).toEqual([["reminder", first]]);
    const next = await issueInvoice(handle.db, { customerId: id, total: 300n, dueDate: "2026-11-25" });
    await pay(first, 300n, "2026-11-13T00:00:00Z");
    const later = await at("2026-11-22T00:00:00Z", id);
    expect(later.map((a) => [a.step, a.details["invoice_id"] ?? null])).toEqual([
      ["closed", null],
      ["reminder", next],
    ]);
  });

  it("stays open while the reminded invoice is unpaid: its reminder is not sent twice", async () => {
    const id = await createDunCustomer(handle.db, { email: "reminded-once@example.com" });
    await issueInvoice(handle.db, { customerId: id, total: 300n, dueDate: DUE });
    expect((await at("2026-11-12T00:00:00Z", id)).map((a) => a.step)).toEqual(["reminder"]);
    expect(await at("2026-11-14T00:00:00Z", id)).toEqual([]);
    expect(await openEpisodes(id)).toBe(1);
  });
});
