import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { type ClaimedJob, JobRunner } from "../../jobs/job-runner.ts";
import { wakeupsFor } from "../../jobs/job-wakeups.ts";
import { billingContext, createCustomers } from "../testing/billing-fixtures.ts";
import { recordPayment } from "./record-payment.ts";
import { issueInvoices } from "./testing/invoice-fixtures.ts";

// A payment writes its jobs (the invoice events invoice.paid and payment.received, dunning.evaluate) in the
// payment statement, not through enqueue: it must wake the runners all the same, since no request hook does
// any more. The runner here polls once an hour, so a job that waited for the poll would fail the test.

const HOUR = 3_600_000;
const logger = pino({ level: "silent" });
const url = process.env["DATABASE_URL"];
let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("a recorded payment", () => {
  it("wakes an idle runner for its jobs (NOTIFY on PostgreSQL, the in-process signal on PGlite)", async () => {
    const [customer] = await createCustomers(handle, [{ email: "wakes@example.com" }]);
    const [invoice] = await issueInvoices(handle.db, [{ customerId: customer!, total: 1000n }]);
    // The finalizer's own jobs (e-mail, webhooks) share the customer's ordering key and would hold the
    // payment's jobs back; they are not what this test is about.
    await handle.db.deleteFrom("job").execute();
    const ran: string[] = [];
    let received: (() => void) | undefined;
    const receivedRan = new Promise<void>((resolve) => {
      received = resolve;
    });
    const record = async (job: ClaimedJob) => {
      const what = job.kind === "invoice.event" ? (job.payload as { event: string }).event : job.kind;
      ran.push(what);
      if (what === "payment.received") received!();
    };
    const runner = new JobRunner({
      db: handle.db,
      logger,
      pollMs: HOUR,
      wakeups: wakeupsFor(url, handle.db, logger),
      handlers: { "invoice.event": record, "dunning.evaluate": record },
    });
    await runner.start();
    try {
      // Once the first claim (which finds nothing) is over, the runner sits in its hour-long wait (until
      // 2026-12-07 a 50 ms sleep hoped so: under load that claim could still be on its way, and take the jobs).
      await waitUntil("the runner's first claim to be over", () => runner.waiting);
      const ctx = billingContext(handle, {}, new Date("2026-11-20T10:00:00Z"));
      const result = await recordPayment({
        ctx,
        input: { invoice_id: invoice!, amount: 1000n, method: "manual", reference: "wakes" },
      });
      expect(result.created).toBe(true);
      await receivedRan;
      // The invoice's events run in the order written; dunning.evaluate (another key) runs beside them.
      const invoiceEvents = ran.filter((what) => what !== "dunning.evaluate");
      expect(invoiceEvents).toEqual(["invoice.paid", "payment.received"]);
    } finally {
      await runner.stop();
    }
  });
});
