import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { receiverSecret } from "../billing/documents/webhook-signature.ts";
import { voidInvoice } from "../billing/invoices/void-invoice.ts";
import { runBilling } from "../billing/runs/run-billing.ts";
import {
  billingContext,
  createSection4Customer,
  section4Usage,
} from "../billing/testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../billing/usage/memory-usage-source.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import type { JobRunner } from "../jobs/job-runner.ts";
import { deliveryRunner, drain } from "./testing/delivery-runner.ts";
import { type SmtpSink, startSmtpSink } from "./testing/smtp-sink.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./testing/webhook-receiver.ts";

// A receiver that heard `invoice.finalized` must hear when that invoice is no longer owed: voiding an issued
// invoice sends `invoice.voided` (webhooks only; the customer's e-mail was the invoice, nothing is mailed).

const SECRET = "void-webhook-secret";

let handle: DatabaseHandle;
let smtp: SmtpSink;
let receiver: WebhookReceiver;
let runner: JobRunner;
let invoiceId = "";

beforeAll(async () => {
  handle = await createTestDatabase();
  smtp = await startSmtpSink();
  receiver = await startWebhookReceiver(() => 204);
  const settings = {
    SMTP_HOST: "127.0.0.1",
    SMTP_PORT: smtp.port,
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET: SECRET,
  };
  const at = (instant: string) => billingContext(handle, settings, new Date(instant));
  runner = deliveryRunner(at("2026-11-01T01:00:00Z"));
  const customerId = await createSection4Customer(handle);
  await runBilling({
    ctx: at("2026-11-01T01:00:00Z"),
    input: { period: "2026-10" },
    options: { source: new MemoryUsageSource(section4Usage(customerId, 1)) },
  });
  invoiceId = (await handle.db.selectFrom("invoice").select("id").executeTakeFirstOrThrow()).id;
  // The invoice is delivered (mailed and announced) before it is voided, as in practice.
  await drain(runner);
  await voidInvoice({
    ctx: at("2026-11-03T09:00:00Z"),
    input: { id: invoiceId, reason: "VAT missing", reissue: true },
  });
  await drain(runner);
}, 60_000);
afterAll(async () => {
  await Promise.all([smtp, receiver].map((s) => s?.close()));
  await handle?.close();
});

describe("voiding an issued invoice", () => {
  it("sends invoice.voided after invoice.finalized, signed, with the void's reason and reissue", () => {
    const bodies = receiver.received.map((r) =>
      new Webhook(receiverSecret(SECRET)).verify(
        r.body,
        Object.fromEntries(
          ["webhook-id", "webhook-timestamp", "webhook-signature"].map((h) => [h, String(r.headers[h])]),
        ),
      ),
    ) as { type: string; data: { invoice: Record<string, unknown> } }[];
    expect(bodies.map((b) => b.type)).toEqual(["invoice.finalized", "invoice.voided"]);
    expect(bodies[1]!.data.invoice).toMatchObject({
      id: invoiceId,
      number: "INV-2026-000001",
      status: "void",
      total: "10.20",
      amount_due: "0.00",
      void: {
        at: "2026-11-03T09:00:00.000Z",
        reason: "VAT missing",
        released_for_reissue_at: "2026-11-03T09:00:00.000Z",
      },
    });
  });

  it("mails nothing for the void: the customer's one e-mail is the invoice", () => {
    expect(smtp.received).toHaveLength(1);
  });
});
