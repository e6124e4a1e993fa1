import { simpleParser } from "mailparser";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import { receiverSecret } from "../billing/documents/webhook-signature.ts";
import { pdfText } from "../billing/documents/testing/pdf-text.ts";
import { issueCreditNote } from "../billing/credit-notes/issue-credit-note.ts";
import { recordPayment } from "../billing/payments/record-payment.ts";
import { refundPayment } from "../billing/payments/refund.ts";
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
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "./testing/webhook-receiver.ts";

// Issue 11 items 3 (documents), 6 and 7: billing-rules §7's worked example ($10.20 invoice, $4.00 then
// $10.00 paid, $3.80 credit), then a $1.00 credit note and a $1.00 refund. Every event goes out as a
// Standard Webhook that the reference library verifies; the credit note is mailed with its PDF; the
// statement comes out as CSV and PDF, the credit note as HTML and PDF, over HTTP.

const SECRET = "plain-webhook-secret-from-before"; // not whsec_: the receiver uses receiverSecret(SECRET)
const CUSTOMER_EMAIL = "section4@example.com";
const SETTINGS = {
  SMTP_HOST: "127.0.0.1",
  MAIL_FROM: "Example Hosting Billing <no-reply@example-hosting.test>",
  SELLER_NAME: "Example Hosting Ltd",
  SELLER_ADDRESS: "1 Harbour Road | Springfield",
  SELLER_EMAIL: "billing@example-hosting.test",
  WEBHOOK_SECRET: SECRET,
};

let handle: DatabaseHandle;
let smtp: SmtpSink;
let receiver: WebhookReceiver;
let server: TestServer;
let runner: JobRunner;
let customerId = 0n;
let invoiceId = "";
let bank1 = "";
let bank2 = "";
let creditNoteId = "";
let refundId = "";

beforeAll(async () => {
  handle = await createTestDatabase();
  smtp = await startSmtpSink();
  receiver = await startWebhookReceiver(() => 204);
  const settings = { ...SETTINGS, SMTP_PORT: smtp.port, WEBHOOK_URLS: receiver.url };
  const at = (instant: string) => billingContext(handle, settings, new Date(instant));
  // Only delivery runs here: the dunning jobs the payments enqueue stay in the outbox.
  runner = deliveryRunner(at("2026-11-01T01:00:00Z"));

  customerId = await createSection4Customer(handle, CUSTOMER_EMAIL);
  await runBilling({
    ctx: at("2026-11-01T01:00:00Z"),
    input: { period: "2026-10" },
    options: { source: new MemoryUsageSource(section4Usage(customerId, 1)) },
  });
  invoiceId = (await handle.db.selectFrom("invoice").select("id").executeTakeFirstOrThrow()).id;
  const pay = async (instant: string, amount: bigint, reference: string) =>
    (
      await recordPayment({
        ctx: at(instant),
        input: { invoice_id: invoiceId, amount, method: "bank_transfer", reference },
      })
    ).payment.id;
  bank1 = await pay("2026-11-05T10:00:00Z", 400n, "BANK-1");
  bank2 = await pay("2026-11-20T10:00:00Z", 1000n, "BANK-2");
  creditNoteId = (
    await issueCreditNote({
      ctx: at("2026-11-21T10:00:00Z"),
      input: { invoice_id: invoiceId, amount: 100n, reason: "Server web-1 was unreachable for six hours" },
    })
  ).id;
  refundId = (
    await refundPayment({
      ctx: at("2026-11-22T10:00:00Z"),
      input: { payment_id: bank1, amount: 100n, reason: "goodwill" },
    })
  ).refund.id;
  // Every event fanned out and delivered.
  await drain(runner);
  server = await startTestServer(handle.db, settings);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await Promise.all([smtp, receiver].map((s) => s?.close()));
  await handle?.close();
});

function headersOf(request: ReceivedWebhook): Record<string, string> {
  return Object.fromEntries(
    ["webhook-id", "webhook-timestamp", "webhook-signature"].map((h) => [h, String(request.headers[h])]),
  );
}

/** What an off-the-shelf receiver does: Webhook.verify with the secret it was given. */
function verified(request: ReceivedWebhook): any {
  return new Webhook(receiverSecret(SECRET)).verify(request.body, headersOf(request));
}

function received(type: string): any[] {
  return receiver.received.map(verified).filter((b) => b.type === type);
}

describe("money-in webhooks (Standard Webhooks)", () => {
  it("sends every event once, each verified by the library with the derived whsec_ secret", () => {
    const types = receiver.received.map(verified).map((b) => b.type);
    expect([...types].sort()).toEqual(
      [
        "credit_note.issued",
        "invoice.finalized",
        "invoice.paid",
        "payment.received",
        "payment.received",
        "payment.refunded",
      ].sort(),
    );
    expect(types[0]).toBe("invoice.finalized");
    expect(types.at(-1)).toBe("payment.refunded");
    const ids = receiver.received.map((r) => r.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(receiverSecret(SECRET)).toBe(`whsec_${Buffer.from(SECRET).toString("base64")}`);
  });

  it("fails verification for a tampered body, or with the plain secret as if it were whsec_ base64", () => {
    const request = receiver.received[0]!;
    const tampered = request.body.replace('"total":"10.20"', '"total":"0.01"');
    expect(tampered).not.toBe(request.body);
    expect(() => new Webhook(receiverSecret(SECRET)).verify(tampered, headersOf(request))).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook("whsec_b3RoZXI=").verify(request.body, headersOf(request))).toThrow(
      WebhookVerificationError,
    );
  });

  it("names the payment in payment.received, with amounts as decimal strings", () => {
    const bodies = received("payment.received");
    expect(bodies.map((b) => b.data.payment)).toEqual([
      {
        id: bank1,
        customer_id: Number(customerId),
        invoice_id: invoiceId,
        currency: "USD",
        amount: "4.00",
        method: "bank_transfer",
        reference: "BANK-1",
        paid_at: "2026-11-05T10:00:00.000Z",
      },
      expect.objectContaining({ id: bank2, amount: "10.00", reference: "BANK-2" }),
    ]);
    // Read when sent, after everything: the $1.00 the refund reopened was paid at once from the customer's
    // $4.88 of credit (docs/payments.md, "Credit"; until 2026-12-06 it stayed due beside that credit).
    expect(bodies[0].data.invoice).toMatchObject({ id: invoiceId, total: "10.20", amount_due: "0.00" });
    expect(received("invoice.paid")[0].data.invoice.id).toBe(invoiceId);
  });

  it("names the credit note in credit_note.issued and the refund and its payment in payment.refunded", () => {
    const [issued] = received("credit_note.issued");
    expect(issued.data.credit_note).toEqual({
      id: creditNoteId,
      number: "CN-2026-000001",
      invoice_id: invoiceId,
      currency: "USD",
      net: "1.00",
      tax_total: "0.08",
      total: "1.08",
      settlement: "credit",
      issue_date: "2026-11-21",
    });
    const [refunded] = received("payment.refunded");
    expect(refunded.data.refund).toMatchObject({
      id: refundId,
      payment_id: bank1,
      amount: "1.00",
      status: "succeeded",
    });
    expect(refunded.data.payment).toMatchObject({ id: bank1, amount: "4.00" });
    expect(JSON.stringify(receiver.received.map((r) => r.body))).not.toContain(CUSTOMER_EMAIL);
  });
});

describe("credit note e-mail", () => {
  it("mails the invoice when finalized and the credit note when issued, its PDF attached; payments mail nothing", async () => {
    const mails = await Promise.all(smtp.received.map((m) => simpleParser(m.raw)));
    // The invoice is read when its mail is sent, after everything: paid, the $1.00 the refund reopened paid
    // from credit (until 2026-12-06 it asked for that $1.00 while the customer held $4.88 of credit).
    expect(mails.map((m) => m.subject)).toEqual([
      "Receipt for invoice INV-2026-000001 from Example Hosting Ltd",
      "Credit note CN-2026-000001 from Example Hosting Ltd: $1.08 on invoice INV-2026-000001",
    ]);
    const [pdf] = mails[1]!.attachments;
    expect(pdf!.filename).toBe("CN-2026-000001.pdf");
    const text = (await pdfText(pdf!.content)).replace(/[ \t]+/g, " ");
    expect(text).toContain("Total credited $1.08");
    expect(text).toContain("Reason: Server web-1 was unreachable for six hours");
  });
});

async function get(path: string) {
  const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

describe("statement and credit note renderings over HTTP", () => {
  it("answers the statement as CSV: the worked example, the credit note and the refund, with running balance", async () => {
    const csv = await get(`/api/v1/customers/${customerId}/statement.csv`);
    expect([csv.status, csv.type]).toEqual([200, "text/csv; charset=utf-8"]);
    expect(csv.bytes.toString("utf8")).toBe(
      [
        "date,kind,reference,currency,amount,amount_minor,balance,balance_minor,received,refund_method,refunded_how",
        "2026-11-01,invoice,INV-2026-000001,USD,10.20,1020,10.20,1020,,,",
        "2026-11-05,payment,bank_transfer BANK-1,USD,-4.00,-400,6.20,620,,,",
        "2026-11-20,payment,bank_transfer BANK-2,USD,-10.00,-1000,-3.80,-380,,,",
        "2026-11-21,credit_note,CN-2026-000001,USD,-1.08,-108,-4.88,-488,,,",
        // A refund of a bank transfer says how it went back (until 2026-12-06 only its id).
        `2026-11-22,refund,${refundId},USD,1.00,100,-3.88,-388,,bank_transfer,paid back by bank transfer`,
        "2026-11-22,credit_applied,INV-2026-000001,USD,-1.00,-100,-3.88,-388,,,",
        "",
      ].join("\r\n"),
    );
  });

  it("answers the statement as a PDF whose text shows the same lines and the balance", async () => {
    const pdf = await get(`/api/v1/customers/${customerId}/statement.pdf`);
    expect([pdf.status, pdf.type]).toEqual([200, "application/pdf"]);
    const text = (await pdfText(pdf.bytes)).replace(/[ \t]+/g, " ");
    expect(text).toContain("2026-11-05 Payment bank_transfer BANK-1 -$4.00 $6.20");
    expect(text).toContain("2026-11-21 Credit note CN-2026-000001 -$1.08 -$4.88");
    expect(text).toContain("Credit available $3.88");
    expect(text).toContain("Balance in your favour $3.88");
  });

  it("answers the credit note as HTML and as a PDF", async () => {
    const html = await get(`/api/v1/credit-notes/${creditNoteId}/html`);
    expect([html.status, html.type]).toEqual([200, "text/html; charset=utf-8"]);
    expect(html.bytes.toString("utf8")).toContain('<th scope="row">Total credited</th><td>$1.08</td>');
    const pdf = await get(`/api/v1/credit-notes/${creditNoteId}/pdf`);
    expect([pdf.status, pdf.type]).toEqual([200, "application/pdf"]);
    expect((await pdfText(pdf.bytes)).replace(/[ \t]+/g, " ")).toContain("Credit note CN-2026-000001");
  });

  it("answers unknown and malformed ids with the error envelope", async () => {
    const unknownNote = await server.api("GET", "/api/v1/credit-notes/cn_0000dead/pdf");
    expect([unknownNote.status, unknownNote.body.error.code]).toEqual([404, "NOT_FOUND"]);
    const badNote = await server.api("GET", "/api/v1/credit-notes/nope/html");
    expect(badNote.status).toBe(400);
    expect(badNote.body.error.issues).toEqual([{ field: "path.id", message: expect.any(String) }]);
    const unknownCustomer = await server.api("GET", "/api/v1/customers/999999/statement.csv");
    expect([unknownCustomer.status, unknownCustomer.body.error.code]).toEqual([404, "NOT_FOUND"]);
    const badCustomer = await server.api("GET", "/api/v1/customers/abc/statement.pdf");
    expect(badCustomer.status).toBe(400);
  });

  it("documents the renderings in OpenAPI with their content types", async () => {
    const doc = (await server.api("GET", "/api/v1/openapi.json")).body;
    expect(doc.paths["/api/v1/customers/{id}/statement.csv"].get.responses["200"].content).toEqual({
      "text/csv": { schema: { type: "string" } },
    });
    expect(doc.paths["/api/v1/credit-notes/{id}/pdf"].get.responses["200"].content).toEqual({
      "application/pdf": { schema: { type: "string", format: "binary" } },
    });
  });
});
