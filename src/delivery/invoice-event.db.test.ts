import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { emitInvoiceEvents } from "../billing/invoices/emit-invoice-event.ts";
import { billingContext } from "../billing/testing/billing-fixtures.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { runnableKinds } from "../app/job-catalog.ts";
import { JobRunner } from "../jobs/job-runner.ts";
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
