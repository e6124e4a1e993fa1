import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { type ConfigInput, parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import type { SolusioIntegration } from "../../solusio/integration.ts";
import { recordPayment } from "../payments/record-payment.ts";
import { extendDueDate } from "./due-date-extension.ts";
import { setDunningExemption } from "./dunning-exemption.ts";
import { createDunCustomer, issueInvoice } from "./dunning-fixtures.ts";
import { evaluateCustomerDunning } from "./evaluate-dunning.ts";
import { evaluateAllDunning, runDunning } from "./run-dunning.ts";

// billing-rules §8 on a real database (PGlite, or PostgreSQL with DATABASE_URL): the default ladder from an
// invoice due 2026-11-15 (UTC): reminder 11-12, first overdue 11-16, lock 11-22, suspension 11-29.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const DUE = "2026-11-15";
function ctxAt(
  iso: string,
  overrides: Partial<ConfigInput> = {},
  solusio?: SolusioIntegration,
): ServiceContext {
  return {
    db: handle.db,
    config: parseConfig({ LOG_LEVEL: "silent", ...overrides }),
    logger: pino({ level: "silent" }),
    actor: actors.system("test"),
    now: () => new Date(iso),
    solusio,
  };
}
const at = (iso: string, id: bigint) => evaluateCustomerDunning(ctxAt(iso), id, new Date(iso));

async function customer(id: bigint) {
  return handle.db
    .selectFrom("customer")
    .select(["status", "status_source", "status_reason", "sync_state"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}
async function steps(id: bigint) {
  return handle.db
    .selectFrom("dunning_step as s")
    .innerJoin("dunning_episode as e", "e.id", "s.episode_id")
    .select(["e.id", "s.step", "s.details"])
    .where("e.customer_id", "=", id)
    .orderBy("s.done_at")
    .orderBy("s.step")
    .execute();
}
async function syncJobs(id: bigint) {
  const rows = await handle.db
    .selectFrom("job")
    .select("id")
    .where("kind", "=", "solusio.sync_customer")
    .where("ordering_key", "=", `customer:${id}`)
    .execute();
  return rows.length;
}
async function pay(invoiceId: string, amount: bigint, iso: string) {
  return recordPayment({
    ctx: ctxAt(iso),
    input: { invoice_id: invoiceId, amount, method: "bank_transfer", reference: `ref-${invoiceId}` },
  });
}

describe("the default ladder (billing-rules §8)", () => {
  it("takes each rung on its day, once, locks at +7, suspends at +14, and a payment restores active", async () => {
    const id = await createDunCustomer(handle.db, { email: "ladder@example.com" });
    const inv = await issueInvoice(handle.db, { customerId: id, total: 12_345n, dueDate: DUE });

    expect(await at("2026-11-11T23:59:59Z", id)).toEqual([]);
    const reminder = await at("2026-11-12T00:00:00Z", id);
    expect(reminder.map((a) => [a.step, a.days])).toEqual([["reminder", -3]]);
    // No SMTP server configured: the step is recorded and says so.
    expect(reminder[0]!.details).toMatchObject({
      email: "reminder",
      mail: "not sent: no SMTP server is configured (SMTP_HOST)",
      amount_due: "12345",
      due_date: DUE,
    });
    expect(await at("2026-11-12T08:00:00Z", id)).toEqual([]); // a re-run takes nothing again
    expect(await at("2026-11-15T23:00:00Z", id)).toEqual([]); // due today: not yet overdue
    expect((await at("2026-11-16T00:00:00Z", id)).map((a) => a.step)).toEqual(["first_overdue"]);
    expect((await customer(id)).status).toBe("active");

    const lock = await at("2026-11-22T00:00:00Z", id);
    expect(lock.map((a) => a.step)).toEqual(["second_overdue"]);
    expect(lock[0]!.details).toMatchObject({
      status_change: { from: "active", to: "locked", source_before: null, reason_before: null },
    });
    expect(await customer(id)).toMatchObject({
      status: "locked",
      status_source: "dunning",
      status_reason: `dunning: invoice DUN-${inv} overdue since ${DUE}`,
      sync_state: "pending",
    });
    expect(await syncJobs(id)).toBe(1);

    const suspend = await at("2026-11-29T00:00:00Z", id);
    expect(suspend.map((a) => a.step)).toEqual(["final_notice", "termination_candidate"]);
    expect(suspend[1]!.details).toMatchObject({ note: "recorded for staff; the ladder takes no action" });
    expect(await customer(id)).toMatchObject({ status: "suspended", status_source: "dunning" });
    expect(await syncJobs(id)).toBe(2);
    expect(await at("2026-12-20T00:00:00Z", id)).toEqual([]);

    // Paying part of it leaves the invoice overdue: nothing is lifted.
    await recordPayment({
      ctx: ctxAt("2026-11-30T10:00:00Z"),
      input: { invoice_id: inv, amount: 345n, method: "bank_transfer", reference: `part-${inv}` },
    });
    expect(await at("2026-11-30T10:00:00Z", id)).toEqual([]);
    expect((await customer(id)).status).toBe("suspended");

    await pay(inv, 12_000n, "2026-11-30T11:00:00Z");
    const closed = await at("2026-11-30T11:00:00Z", id);
    expect(closed.map((a) => [a.step, a.details["restored"]])).toEqual([
      ["closed", { from: "suspended", to: "active", source: null }],
    ]);
    expect(await customer(id)).toMatchObject({ status: "active", status_source: null, status_reason: null });
    expect(await syncJobs(id)).toBe(3);
    const episodes = await handle.db
      .selectFrom("dunning_episode")
      .selectAll()
      .where("customer_id", "=", id)
      .execute();
    expect(episodes).toHaveLength(1);
    expect(episodes[0]).toMatchObject({ status_before: "active", source_before: null });
    expect(episodes[0]!.ended_at).toEqual(new Date("2026-11-30T11:00:00Z"));
    expect(await at("2026-12-01T00:00:00Z", id)).toEqual([]);
  });

  it("first seen at +14: records every rung, e-mails only the final notice and suspends once", async () => {
    const id = await createDunCustomer(handle.db, { email: "late@example.com" });
    await issueInvoice(handle.db, { customerId: id, total: 500n, dueDate: DUE });
    const all = await at("2026-11-29T06:00:00Z", id);
    expect(all.map((a) => [a.step, a.details["mail"] ?? a.details["status"] ?? null])).toEqual([
      ["reminder", "not sent: superseded by final_notice"],
      ["first_overdue", "not sent: superseded by final_notice"],
      ["second_overdue", "not sent: superseded by final_notice"],
      ["final_notice", "not sent: no SMTP server is configured (SMTP_HOST)"],
      ["termination_candidate", null],
    ]);
    expect(all[2]!.details["status"]).toBe("superseded by final_notice");
    expect(await customer(id)).toMatchObject({ status: "suspended", status_source: "dunning" });
    expect(await syncJobs(id)).toBe(1);
  });

  it("measures from the earliest overdue invoice", async () => {
    const id = await createDunCustomer(handle.db, { email: "two@example.com" });
    await issueInvoice(handle.db, { customerId: id, total: 100n, dueDate: "2026-11-20" });
    const older = await issueInvoice(handle.db, { customerId: id, total: 200n, dueDate: "2026-11-08" });
    const r = await at("2026-11-15T00:00:00Z", id); // +7 from 11-08
    expect(r.map((a) => a.step)).toEqual(["reminder", "first_overdue", "second_overdue"]);
    expect(r[2]!.details).toMatchObject({ invoice_id: older, due_date: "2026-11-08", overdue_invoices: 1 });
  });
});

describe("once per episode under concurrency and re-runs", () => {
  it("two evaluations at once take each rung once and queue one sync", async () => {
    const id = await createDunCustomer(handle.db, { email: "race@example.com" });
    await issueInvoice(handle.db, { customerId: id, total: 900n, dueDate: DUE });
    const runs = await Promise.all([
      at("2026-11-22T01:00:00Z", id),
      at("2026-11-22T01:00:00Z", id),
      at("2026-11-22T01:00:00Z", id),
    ]);
    expect(
      runs
        .flat()
        .map((a) => a.step)
        .sort(),
    ).toEqual(["first_overdue", "reminder", "second_overdue"]);
    expect((await steps(id)).map((s) => s.step)).toEqual(["first_overdue", "reminder", "second_overdue"]);
    expect(await syncJobs(id)).toBe(1);
  });

  it("a scheduled run evaluated twice (two instances) takes nothing the second time", async () => {
    const id = await createDunCustomer(handle.db, { email: "sched@example.com" });
    await issueInvoice(handle.db, { customerId: id, total: 900n, dueDate: "2026-11-20" });
    const asOf = new Date("2026-11-21T00:00:00Z");
    const ctx = ctxAt("2026-11-21T00:00:00Z");
    const seen: string[] = [];
    await Promise.all([
      evaluateAllDunning(ctx, asOf, (a) =>
        seen.push(...a.filter((x) => x.customer_id === id).map((x) => x.step)),
      ),
      evaluateAllDunning(ctx, asOf, (a) =>
        seen.push(...a.filter((x) => x.customer_id === id).map((x) => x.step)),
      ),
    ]);
    expect(seen.sort()).toEqual(["first_overdue", "reminder"]);
    await evaluateAllDunning(ctx, asOf, (a) =>
      seen.push(...a.filter((x) => x.customer_id === id).map((x) => x.step)),
    );
    expect(seen).toHaveLength(2);
  });
});

describe("manual states are never undone by a payment", () => {
  it("a staff suspension (abuse) stays suspended through the ladder and the payment", async () => {
    const id = await createDunCustomer(handle.db, {
      email: "abuse@example.com",
      status: "suspended",
      source: "staff",
      reason: "abuse: spam from server 12",
    });
    const inv = await issueInvoice(handle.db, { customerId: id, total: 700n, dueDate: DUE });
    const taken = await at("2026-11-29T00:00:00Z", id);
    expect(taken.find((a) => a.step === "final_notice")!.details["status"]).toBe(
      "kept suspended (set by staff): dunning never weakens a manual status",
    );
    expect(await syncJobs(id)).toBe(0);
    await pay(inv, 700n, "2026-11-30T00:00:00Z");
    const closed = await at("2026-11-30T00:00:00Z", id);
    expect(closed[0]!.details["kept"]).toBe(
      "suspended (set by staff): only dunning's own changes are lifted",
    );
    expect(await customer(id)).toMatchObject({
      status: "suspended",
      status_source: "staff",
      status_reason: "abuse: spam from server 12",
    });
    expect(await syncJobs(id)).toBe(0);
  });

  it("a staff lock is escalated to a suspension, and paying returns it to the staff lock with its reason", async () => {
    const id = await createDunCustomer(handle.db, {
      email: "stafflock@example.com",
      status: "locked",
      source: "staff",
      reason: "customer asked to freeze",
    });
    const inv = await issueInvoice(handle.db, { customerId: id, total: 700n, dueDate: DUE });
    const lock = await at("2026-11-22T00:00:00Z", id);
    expect(lock.find((a) => a.step === "second_overdue")!.details["status"]).toBe(
      "kept locked (set by staff): dunning never weakens a manual status",
    );
    await at("2026-11-29T00:00:00Z", id);
    expect(await customer(id)).toMatchObject({ status: "suspended", status_source: "dunning" });
    await pay(inv, 700n, "2026-11-30T00:00:00Z");
    await at("2026-11-30T00:00:00Z", id);
    expect(await customer(id)).toMatchObject({
      status: "locked",
      status_source: "staff",
      status_reason: "customer asked to freeze",
    });
    expect(await syncJobs(id)).toBe(2);
  });
});

describe("exemptions and due-date extensions", () => {
  it("an exempt customer takes no rung; ending the exemption lets the ladder catch up", async () => {
    const id = await createDunCustomer(handle.db, { email: "exempt@example.com" });
    await issueInvoice(handle.db, { customerId: id, total: 100n, dueDate: DUE });
    await setDunningExemption({
      ctx: ctxAt("2026-11-01T00:00:00Z"),
      input: { id, exempt: true, reason: "key account" },
    });
    expect(await at("2026-11-29T00:00:00Z", id)).toEqual([]);
    expect(
      await handle.db.selectFrom("dunning_episode").select("id").where("customer_id", "=", id).execute(),
    ).toEqual([]);
    expect((await customer(id)).status).toBe("active");
    const audit = await handle.db
      .selectFrom("audit_log")
      .select(["action", "after"])
      .where("entity", "=", "customer")
      .where("entity_id", "=", String(id))
      .execute();
    expect(audit).toEqual([
      { action: "customer.update", after: { dunning_exempt: true, dunning_exempt_reason: "key account" } },
    ]);
    await setDunningExemption({
      ctx: ctxAt("2026-11-29T00:00:00Z"),
      input: { id, exempt: false, reason: "over" },
    });
    expect((await at("2026-11-29T01:00:00Z", id)).map((a) => a.step)).toContain("final_notice");
    expect((await customer(id)).status).toBe("suspended");
  });

  it("an extended due date postpones the ladder", async () => {
    const id = await createDunCustomer(handle.db, { email: "extend@example.com" });
    const inv = await issueInvoice(handle.db, { customerId: id, total: 100n, dueDate: DUE });
    const ext = await extendDueDate({
      ctx: ctxAt("2026-11-10T00:00:00Z"),
      input: { id: inv, due_date: "2026-11-25", reason: "waiting for the purchase order" },
    });
    expect(ext).toEqual({
      invoice_id: inv,
      original_due_date: DUE,
      due_date: "2026-11-25",
      reason: "waiting for the purchase order",
    });
    // 11-22 is +7 from the original date, −3 from the extended one: a reminder, no lock.
    expect((await at("2026-11-22T00:00:00Z", id)).map((a) => [a.step, a.details["due_date"]])).toEqual([
      ["reminder", "2026-11-25"],
    ]);
    expect((await customer(id)).status).toBe("active");
    expect((await at("2026-12-02T00:00:00Z", id)).map((a) => a.step)).toEqual([
      "first_overdue",
      "second_overdue",
    ]);
    expect((await customer(id)).status).toBe("locked");
  });

  it("refuses an extension that is not later, and one of an invoice that is not open", async () => {
    const id = await createDunCustomer(handle.db, { email: "badext@example.com" });
    const inv = await issueInvoice(handle.db, { customerId: id, total: 100n, dueDate: DUE });
    await expect(
      extendDueDate({
        ctx: ctxAt("2026-11-10T00:00:00Z"),
        input: { id: inv, due_date: "2026-11-15", reason: "x" },
      }),
    ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "due_date" }] });
    await expect(
      extendDueDate({
        ctx: ctxAt("2026-11-10T00:00:00Z"),
        input: { id: inv, due_date: "2026-02-30", reason: "x" },
      }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(
      extendDueDate({
        ctx: ctxAt("2026-11-10T00:00:00Z"),
        input: { id: "inv_ffff", due_date: "2026-12-30", reason: "x" },
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await pay(inv, 100n, "2026-11-10T00:00:00Z");
    await expect(
      extendDueDate({
        ctx: ctxAt("2026-11-10T00:00:00Z"),
        input: { id: inv, due_date: "2026-12-30", reason: "x" },
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("runDunning (POST /dunning/runs)", () => {
  it("refuses a future as_of outside sandbox mode and accepts it in sandbox mode", async () => {
    const id = await createDunCustomer(handle.db, { email: "future@example.com" });
    await issueInvoice(handle.db, { customerId: id, total: 100n, dueDate: "2027-01-10" });
    await expect(
      runDunning({ ctx: ctxAt("2026-12-01T00:00:00Z"), input: { as_of: "2027-01-07T00:00:00Z" } }),
    ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "as_of" }] });
    const sandbox = { connection: { sandbox: true } } as unknown as SolusioIntegration;
    const run = await runDunning({
      ctx: ctxAt("2026-12-01T00:00:00Z", {}, sandbox),
      input: { as_of: "2027-01-07T00:00:00Z" },
    });
    expect(run.steps.filter((s) => s.customer_id === id).map((s) => s.step)).toEqual(["reminder"]);
  });

  it("after a sandbox run as of a future instant, a payment's evaluation as of now does not wind the episode back", async () => {
    const id = await createDunCustomer(handle.db, { email: "time-travel@example.com" });
    const inv = await issueInvoice(handle.db, { customerId: id, total: 500n, dueDate: "2026-12-10" });
    const sandbox = { connection: { sandbox: true } } as unknown as SolusioIntegration;
    await runDunning({
      ctx: ctxAt("2026-12-01T00:00:00Z", {}, sandbox),
      input: { as_of: "2027-01-01T00:00:00Z" },
    });
    expect(await customer(id)).toMatchObject({ status: "suspended", status_source: "dunning" });

    // Part paid on the real calendar, where the invoice is not yet due: as of the run's instant it is still
    // 22 days overdue, so the suspension stays. Judged as of now, it was lifted.
    await recordPayment({
      ctx: ctxAt("2026-12-01T01:00:00Z"),
      input: { invoice_id: inv, amount: 200n, method: "bank_transfer", reference: `part-${inv}` },
    });
    expect(await at("2026-12-01T01:00:00Z", id)).toEqual([]);
    expect(await customer(id)).toMatchObject({ status: "suspended", status_source: "dunning" });

    await pay(inv, 300n, "2026-12-01T02:00:00Z");
    const closed = await at("2026-12-01T02:00:00Z", id);
    expect(closed.map((a) => a.step)).toEqual(["closed"]);
    expect(await customer(id)).toMatchObject({ status: "active", status_source: null });
  });

  it("is refused while dunning is switched off", async () => {
    await expect(
      runDunning({ ctx: ctxAt("2026-12-01T00:00:00Z", { DUNNING_ENABLED: "false" }), input: {} }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
