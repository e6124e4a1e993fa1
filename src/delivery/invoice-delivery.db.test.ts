import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { markInvoicePaid } from "../billing/invoices/mark-invoice-paid.ts";
import { runBilling } from "../billing/runs/run-billing.ts";
import {
  billingContext,
  createSection4Customer,
  section4Usage,
} from "../billing/testing/billing-fixtures.ts";
import { parseConfig } from "../config.ts";
import { MemoryUsageSource } from "../billing/usage/memory-usage-source.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { Webhook } from "standardwebhooks";
import { receiverSecret } from "../billing/documents/webhook-signature.ts";
import { createJobRunner } from "../app/runner.ts";
import { type JobRunner, PermanentJobError } from "../jobs/job-runner.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { fanOutInvoiceEvent } from "./fan-out-invoice-event.ts";
import { INVOICE_EMAIL_JOB, INVOICE_EVENT_JOB, INVOICE_WEBHOOK_JOB } from "./invoice-jobs.ts";
import { invoiceWebhookHandler } from "./invoice-webhook-handler.ts";
import { type SmtpSink, startSmtpSink } from "./testing/smtp-sink.ts";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "./testing/webhook-receiver.ts";

// Issue 5 item 4, invoices out: a billing run finalizes an invoice, the job runner (the real outbox) mails
// it to a local SMTP server and posts signed webhooks to local receivers — one healthy, one that fails twice
// before answering, one that answers 410 — then does the same for `invoice.paid`.

const SECRET = "whsec_delivery_test_secret";
const SMTP_PASSWORD = "smtp-Pa55word-never-logged";
const CUSTOMER_EMAIL = "section4@example.com";

let handle: DatabaseHandle;
let smtp: SmtpSink;
let good: WebhookReceiver;
let flaky: WebhookReceiver;
let gone: WebhookReceiver;
let ctx: ServiceContext;
let runner: JobRunner;
const logs: string[] = [];
let invoiceId = "";

beforeAll(async () => {
  handle = await createTestDatabase();
  smtp = await startSmtpSink({ user: "tokenbill", password: SMTP_PASSWORD });
  good = await startWebhookReceiver(() => 204);
  flaky = await startWebhookReceiver((n) => (n < 2 ? 500 : 200));
  gone = await startWebhookReceiver(() => 410);
  ctx = billingContext(handle, {
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: smtp.port,
    SMTP_USER: "tokenbill",
    SMTP_PASSWORD,
    MAIL_FROM: "Example Hosting Billing <no-reply@example-hosting.test>",
    SELLER_NAME: "Example Hosting Ltd",
    SELLER_ADDRESS: "1 Harbour Road | Springfield",
    SELLER_EMAIL: "billing@example-hosting.test",
    WEBHOOK_URLS: [good.url, flaky.url, gone.url].join(","),
    WEBHOOK_SECRET: SECRET,
  });
  const logger = pino({ level: "info" }, { write: (line: string) => logs.push(line) });
  // Backoff of a whole second, so each retry is signed in a later second than the attempt before.
  runner = createJobRunner(handle.db, ctx.config, logger, undefined, {
    backoffBaseMs: 1000,
    backoffCapMs: 1000,
    pollMs: 10,
  });
  runner.start();
});
afterAll(async () => {
  await runner?.stop();
  await Promise.all([smtp, good, flaky, gone].map((s) => s?.close()));
  await handle?.close();
});

function jobsOf(kind: string) {
  return handle.db
    .selectFrom("job")
    .select(["id", "status", "attempts", "last_error", "payload"])
    .where("kind", "=", kind)
    .orderBy("id")
    .execute();
}

/**
 * Asserts the request is signed as docs/webhooks.md says — verified by the Standard Webhooks library, as
 * a receiver configured with the derived whsec_ secret would — and returns its parsed body.
 */
function verified(request: ReceivedWebhook): any {
  const headers = {
    "webhook-id": String(request.headers["webhook-id"]),
    "webhook-timestamp": String(request.headers["webhook-timestamp"]),
    "webhook-signature": String(request.headers["webhook-signature"]),
  };
  const body = new Webhook(receiverSecret(SECRET)).verify(request.body, headers) as any;
  expect(request.headers["content-type"]).toBe("application/json");
  expect(body.id).toBe(headers["webhook-id"]);
  return body;
}

describe("invoice delivery", () => {
  it("finalizing enqueues an invoice.event in the same transaction, which fans out to the e-mail and one webhook per configured URL", async () => {
    const customer = await createSection4Customer(handle, CUSTOMER_EMAIL);
    const summary = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(section4Usage(customer, 1)) },
    });
    expect(summary.invoices.finalized).toBe(1);
    const invoice = await handle.db.selectFrom("invoice").select("id").executeTakeFirstOrThrow();
    invoiceId = invoice.id;
    expect((await jobsOf(INVOICE_EVENT_JOB)).map((j) => j.payload)).toEqual([
      { invoice_id: invoiceId, event: "invoice.finalized", at: "2026-11-01T01:00:00.000Z" },
    ]);
    // The runner fans the event out.
    await expect
      .poll(async () => (await jobsOf(INVOICE_EMAIL_JOB)).map((j) => j.payload))
      .toEqual([{ invoice_id: invoiceId, subject: { event: "invoice.finalized" } }]);
    await expect.poll(async () => (await jobsOf(INVOICE_WEBHOOK_JOB)).length).toBe(3);
    const webhooks = await jobsOf(INVOICE_WEBHOOK_JOB);
    expect(webhooks.map((j) => (j.payload as { url: string }).url)).toEqual([good.url, flaky.url, gone.url]);
    expect(webhooks.every((j) => (j.payload as { event: string }).event === "invoice.finalized")).toBe(true);
  });

  it("mails the customer the invoice with its PDF attached", async () => {
    await expect.poll(() => smtp.received.length).toBe(1);
    const [mail] = smtp.received;
    expect(mail!.from).toBe("no-reply@example-hosting.test");
    expect(mail!.to).toEqual([CUSTOMER_EMAIL]);
    const parsed = await simpleParser(mail!.raw);
    expect(parsed.subject).toBe("Invoice INV-2026-000001 from Example Hosting Ltd: $10.20 due 2026-11-15");
    expect(parsed.replyTo?.text).toBe("billing@example-hosting.test");
    const [pdf, ...others] = parsed.attachments;
    expect(others).toHaveLength(0);
    expect(pdf!.filename).toBe("INV-2026-000001.pdf");
    expect(pdf!.contentType).toBe("application/pdf");
    expect(pdf!.content.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    await expect.poll(async () => (await jobsOf(INVOICE_EMAIL_JOB))[0]?.status).toBe("done");
  });

  it("posts a signed invoice.finalized with amounts as strings and no customer details", async () => {
    await expect.poll(() => good.received.length).toBe(1);
    const body = verified(good.received[0]!);
    expect(body).toEqual({
      id: expect.stringMatching(/^dlv_\d+$/),
      type: "invoice.finalized",
      created_at: "2026-11-01T01:00:00.000Z",
      data: {
        invoice: expect.objectContaining({
          id: invoiceId,
          number: "INV-2026-000001",
          status: "finalized",
          period: "2026-10",
          currency: "USD",
          subtotal: "9.93",
          discount_total: "0.50",
          net: "9.43",
          tax_total: "0.77",
          total: "10.20",
          payment: null,
        }),
      },
    });
    expect(good.received[0]!.body).not.toContain(CUSTOMER_EMAIL);
  });

  it("retries a failing receiver with the same webhook-id and a fresh timestamp and signature each time", async () => {
    await expect.poll(() => flaky.received.length).toBe(3);
    expect(flaky.received.map((r) => r.status)).toEqual([500, 500, 200]);
    const bodies = flaky.received.map(verified);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    const signatures = flaky.received.map((r) => String(r.headers["webhook-signature"]));
    expect(new Set(signatures).size).toBe(3);
    const stamps = flaky.received.map((r) => Number(r.headers["webhook-timestamp"]));
    expect(new Set(stamps).size).toBe(3);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    await expect
      .poll(async () => (await jobsOf(INVOICE_WEBHOOK_JOB)).map((j) => [j.status, j.attempts]))
      .toEqual([
        ["done", 1],
        ["done", 3],
        ["failed", 1],
      ]);
  });

  it("gives up at once on a 410 and keeps the URL's path and token out of the error", async () => {
    const failed = (await jobsOf(INVOICE_WEBHOOK_JOB))[2]!;
    expect(gone.received).toHaveLength(1);
    expect(failed.last_error).toBe(`webhook ${new URL(gone.url).origin} answered HTTP 410`);
  });

  it("marking the invoice paid sends payment.received and invoice.paid, after invoice.finalized, and no second e-mail", async () => {
    await markInvoicePaid({
      ctx,
      // The day of the test's clock (AFTER_OCTOBER): a payment cannot be dated in the future.
      input: { id: invoiceId, amount: 1020n, date: "2026-11-01", reference: "BANK-0042" },
    });
    await expect.poll(() => good.received.length).toBe(3);
    const [finalized, ...after] = good.received.map(verified);
    expect(finalized.type).toBe("invoice.finalized");
    expect(after.map((b) => b.type).sort()).toEqual(["invoice.paid", "payment.received"]);
    const paid = after.find((b) => b.type === "invoice.paid");
    const received = after.find((b) => b.type === "payment.received");
    expect(new Set([finalized.id, paid.id, received.id]).size).toBe(3);
    expect(paid.data.invoice).toMatchObject({ status: "paid", total: "10.20", amount_due: "0.00" });
    expect(received.data.payment).toMatchObject({ amount: "10.20", reference: "BANK-0042" });
    await expect.poll(() => flaky.received.length).toBe(5);
    await expect.poll(() => gone.received.length).toBe(3);
    await expect
      .poll(async () => (await jobsOf(INVOICE_WEBHOOK_JOB)).slice(3).map((j) => j.status))
      .toEqual(["done", "done", "failed", "done", "done", "failed"]);
    expect(smtp.received).toHaveLength(1);
  });

  it("logs ids and outcomes, never secrets, tokens in URLs or customer details", () => {
    const text = logs.join("");
    expect(text).toContain('"msg":"webhook delivered"');
    expect(text).toContain('"msg":"invoice e-mailed"');
    for (const secret of [SECRET, SMTP_PASSWORD, "receiver-secret", CUSTOMER_EMAIL]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe("what is not delivered, or not yet", () => {
  it("enqueues nothing without SMTP_HOST or WEBHOOK_URLS, and mails only on finalization", async () => {
    const event = { invoiceIds: [invoiceId], at: new Date() };
    const none = parseConfig({});
    const mailOnly = parseConfig({ SMTP_HOST: "127.0.0.1" });
    const counts: number[] = [];
    // Rolled back: the decision is what is checked here, the jobs written are not wanted.
    const rolledBack = await handle.db
      .transaction()
      .execute(async (trx) => {
        counts.push(await fanOutInvoiceEvent(trx, none, { ...event, event: "invoice.finalized" }));
        counts.push(await fanOutInvoiceEvent(trx, mailOnly, { ...event, event: "invoice.paid" }));
        counts.push(await fanOutInvoiceEvent(trx, mailOnly, { ...event, event: "invoice.finalized" }));
        throw new Error("roll back");
      })
      .catch((e: Error) => e.message);
    expect(rolledBack).toBe("roll back");
    expect(counts).toEqual([0, 0, 1]);
  });

  it("retries a refused connection and a receiver that does not answer in time", async () => {
    const silent = createServer(() => {}); // takes the request and never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const urls = [
      `http://127.0.0.1:${closedPort}/x`,
      `http://127.0.0.1:${(silent.address() as AddressInfo).port}/x`,
    ];
    const handler = invoiceWebhookHandler({
      db: handle.db,
      config: parseConfig({ WEBHOOK_URLS: urls.join(","), WEBHOOK_SECRET: SECRET }),
      logger: pino({ level: "silent" }),
      timeoutMs: 200,
    });
    const attempt = (url: string) =>
      handler({
        id: 1n,
        kind: INVOICE_WEBHOOK_JOB,
        orderingKey: null,
        attempts: 1,
        payload: { invoice_id: invoiceId, event: "invoice.paid", url, created_at: new Date().toISOString() },
      }).then(
        () => undefined,
        (e: Error) => e,
      );
    try {
      const refused = await attempt(urls[0]!);
      expect(refused).not.toBeInstanceOf(PermanentJobError);
      expect(refused?.message).toBe(
        `webhook http://127.0.0.1:${closedPort}: connection failed (ECONNREFUSED)`,
      );
      const timedOut = await attempt(urls[1]!);
      expect(timedOut).not.toBeInstanceOf(PermanentJobError);
      expect(timedOut?.message).toMatch(/: no answer within 200 ms$/);
      const removed = await attempt("https://removed.example.test/hook");
      expect(removed).toBeInstanceOf(PermanentJobError);
      expect(removed?.message).toBe("webhook endpoint https://removed.example.test is no longer configured");
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
