import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { emitInvoiceEvents } from "../billing/invoices/emit-invoice-event.ts";
import { billingContext } from "../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { runnableKinds } from "../app/job-catalog.ts";
import { enqueue } from "../jobs/enqueue-job.ts";
import { JobRunner, PermanentJobError } from "../jobs/job-runner.ts";
import { eventSubjectOf } from "./event-subject.ts";
import { INVOICE_EMAIL_JOB, INVOICE_EVENT_JOB, INVOICE_WEBHOOK_JOB } from "./invoice-jobs.ts";

// `invoice.event` jobs, on their own: a runner that handles only them, so the e-mail and webhook jobs they
// write stay in the outbox to be looked at.

let handle: DatabaseHandle;
let runner: JobRunner;
const URLS = ["https://a.example.test/hook", "https://b.example.test/hook"];

beforeAll(async () => {
  handle = await createTestDatabase();
  const ctx = billingContext(handle, {
    SMTP_HOST: "127.0.0.1",
    WEBHOOK_URLS: URLS.join(","),
    WEBHOOK_SECRET: "whsec_event_test",
  });
  const event = runnableKinds(ctx, "outbox")[INVOICE_EVENT_JOB]!;
  runner = new JobRunner({
    db: handle.db,
    logger: pino({ level: "silent" }),
    handlers: { [INVOICE_EVENT_JOB]: event },
  });
});
afterAll(async () => handle?.close());

const invoiceOf = sql<string>`payload->>'invoice_id'`;

/** What the fan-outs wrote for one invoice, in job order. */
async function sent(invoiceId: string) {
  const jobs = await handle.db
    .selectFrom("job")
    .select(["kind", "payload"])
    .where("kind", "in", [INVOICE_EMAIL_JOB, INVOICE_WEBHOOK_JOB])
    .where(invoiceOf, "=", invoiceId)
    .orderBy("id")
    .execute();
  return jobs.map((j) => {
    const p = j.payload as { event?: string; url?: string };
    return j.kind === INVOICE_EMAIL_JOB ? "email" : `${p.event} → ${p.url}`;
  });
}

describe("invoice.event", () => {
  it("fans an invoice's events out in the order they happened", async () => {
    await handle.db.transaction().execute(async (trx) => {
      const at = new Date("2026-11-01T01:00:00Z");
      await emitInvoiceEvents(trx, { event: "invoice.finalized", invoiceIds: ["inv_a", "inv_b"], at });
      await emitInvoiceEvents(trx, { event: "invoice.paid", invoiceIds: ["inv_a"], at: new Date() });
    });
    // inv_a's `paid` waits until its `finalized` is fanned out; inv_b's goes alongside.
    expect(await runner.runOnce()).toBe(2);
    expect(await runner.runOnce()).toBe(1);
    expect(await runner.runOnce()).toBe(0);
    expect(await sent("inv_a")).toEqual([
      "email",
      `invoice.finalized → ${URLS[0]}`,
      `invoice.finalized → ${URLS[1]}`,
      `invoice.paid → ${URLS[0]}`,
      `invoice.paid → ${URLS[1]}`,
    ]);
    expect(await sent("inv_b")).toEqual([
      "email",
      `invoice.finalized → ${URLS[0]}`,
      `invoice.finalized → ${URLS[1]}`,
    ]);
  });

  it("writes nothing new when an event is fanned out again after a crash before it was marked done", async () => {
    await emitInvoiceEvents(handle.db, {
      event: "invoice.finalized",
      invoiceIds: ["inv_c"],
      at: new Date("2026-11-01T01:00:00Z"),
    });
    expect(await runner.runOnce()).toBe(1);
    // As if the process died after the fan-out committed and before the job was marked done.
    await handle.db
      .updateTable("job")
      .set({ status: "pending" })
      .where("kind", "=", INVOICE_EVENT_JOB)
      .where(invoiceOf, "=", "inv_c")
      .execute();
    expect(await runner.runOnce()).toBe(1);
    expect(await sent("inv_c")).toEqual([
      "email",
      `invoice.finalized → ${URLS[0]}`,
      `invoice.finalized → ${URLS[1]}`,
    ]);
  });
});

/** The e-mail and webhook jobs fanned out for one invoice, with what the handlers are given. */
async function deliveryJobs(invoiceId: string) {
  const jobs = await handle.db
    .selectFrom("job")
    .select(["id", "kind", "payload"])
    .where("kind", "in", [INVOICE_EMAIL_JOB, INVOICE_WEBHOOK_JOB])
    .where(invoiceOf, "=", invoiceId)
    .orderBy("id")
    .execute();
  return jobs.map((j) => ({ ...j, payload: j.payload as { event?: "invoice.paid" } }));
}

describe("deliveries outliving their event job (housekeeping trims finished jobs)", () => {
  it("carry the credit note the event named, so the note is still what is mailed and announced", async () => {
    await emitInvoiceEvents(handle.db, {
      event: "credit_note.issued",
      invoiceIds: ["inv_d"],
      at: new Date("2026-11-21T10:00:00Z"),
      subject: { credit_note_id: "cn_trimmed" },
    });
    expect(await runner.runOnce()).toBe(1);
    // What housekeeping does to a finished job after RETENTION_JOBS_DAYS.
    await handle.db
      .deleteFrom("job")
      .where("kind", "=", INVOICE_EVENT_JOB)
      .where(invoiceOf, "=", "inv_d")
      .execute();
    const jobs = await deliveryJobs("inv_d");
    expect(jobs.map((j) => j.kind)).toEqual([INVOICE_EMAIL_JOB, INVOICE_WEBHOOK_JOB, INVOICE_WEBHOOK_JOB]);
    for (const job of jobs) {
      expect(await eventSubjectOf(handle.db, job)).toEqual({
        event: "credit_note.issued",
        credit_note_id: "cn_trimmed",
      });
    }
  });

  it("an older job without its subject fails for good once its event job is gone, rather than guess", async () => {
    // As written before the subject was carried: the invoice id (and a webhook's event) only.
    const email = await enqueue(
      handle.db,
      INVOICE_EMAIL_JOB,
      { invoice_id: "inv_e" },
      {
        slot: "invoice.event:999999:inv_e:email",
      },
    );
    const webhook = await enqueue(
      handle.db,
      INVOICE_WEBHOOK_JOB,
      { invoice_id: "inv_e", event: "invoice.paid", url: URLS[0]!, created_at: "2026-11-21T10:00:00.000Z" },
      { slot: "invoice.event:999998:inv_e:webhook:k" },
    );
    const error = await eventSubjectOf(handle.db, { id: email!, payload: {} }).catch((e) => e);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect(error.message).toMatch(/invoice\.event job 999999 .* is gone/);
    // A webhook of an event that names nothing but its invoice needs no event job.
    expect(await eventSubjectOf(handle.db, { id: webhook!, payload: { event: "invoice.paid" } })).toEqual({
      event: "invoice.paid",
    });
  });
});
