import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { buildInvoiceEmail } from "../documents/invoice-mail.ts";
import { renderInvoiceHtml } from "../documents/render-invoice-html.ts";
import { renderInvoicePdf } from "../documents/render-invoice-pdf.ts";
import { pdfText } from "../documents/testing/pdf-text.ts";
import { recordPayment } from "../payments/record-payment.ts";
import { runBilling } from "../runs/run-billing.ts";
import {
  billingContext,
  createSection4Customer,
  section4Usage,
  usageOf,
} from "../testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { readInvoice } from "./get-invoice.ts";
import { invoiceDocumentOf } from "./invoice-document-of.ts";
import { listInvoices } from "./list-invoices.ts";

// billing-rules §7's worked example, as the customer reads it: November's $5.14 invoice is finalized with
// the $3.80 credit left by October's overpayment, so every rendering asks for $1.34, never $5.14.

const SELLER = {
  name: "Example Hosting Ltd",
  addressLines: ["1 Harbour Road"],
  email: "billing@example.test",
};
const NOVEMBER = { start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") };

let handle: DatabaseHandle;
let novemberId = "";
beforeAll(async () => {
  handle = await createTestDatabase();
  const ada = await createSection4Customer(handle);
  await runBilling({
    ctx: billingContext(handle),
    input: { period: "2026-10" },
    options: { source: new MemoryUsageSource(section4Usage(ada, 1)) },
  });
  const [october] = (await listInvoices({ ctx: billingContext(handle), input: { customer_id: ada } })).data;
  const paidAt = billingContext(handle, {}, new Date("2026-11-20T10:00:00Z"));
  for (const [amount, reference] of [
    [400n, "BANK-1"],
    [1000n, "BANK-2"],
  ] as const) {
    await recordPayment({
      ctx: paidAt,
      input: { invoice_id: october!.id, amount, method: "bank_transfer", reference },
    });
  }
  await runBilling({
    ctx: billingContext(handle, {}, new Date("2026-12-01T01:00:00Z")),
    input: { period: "2026-11" },
    options: {
      source: new MemoryUsageSource([
        usageOf({
          billingUserId: ada,
          tph: 7,
          tpm: 5000,
          createdAt: "2026-11-01T00:00:00Z",
          deletedAt: null,
          period: NOVEMBER,
        }),
      ]),
    },
  });
  const [november] = (
    await listInvoices({ ctx: billingContext(handle), input: { customer_id: ada, period: "2026-11" } })
  ).data;
  novemberId = november!.id;
});
afterAll(async () => handle?.close());

const squash = (text: string) => text.replace(/[ \t]+/g, " ");

describe("an invoice finalized with credit applied (billing-rules §7)", () => {
  it("carries the amount due into the document", async () => {
    const invoice = await readInvoice(handle.db, novemberId);
    expect([invoice.status, invoice.total, invoice.amount_due]).toEqual(["partially_paid", 514n, 134n]);
    const doc = invoiceDocumentOf(invoice, SELLER);
    expect([doc.total, doc.amountDue]).toEqual([514n, 134n]);
  });

  it("shows the credit and the $1.34 due in HTML and PDF", async () => {
    const doc = invoiceDocumentOf(await readInvoice(handle.db, novemberId), SELLER);
    const html = renderInvoiceHtml(doc);
    expect(html).toContain('<th scope="row">Total (USD)</th><td>$5.14</td>');
    expect(html).toContain('<th scope="row">Payments and credit</th><td>-$3.80</td>');
    expect(html).toContain('<th scope="row">Amount due</th><td>$1.34</td>');
    expect(html).toContain("please pay the rest, $1.34,");

    const text = squash(await pdfText(await renderInvoicePdf(doc)));
    expect(text).toContain("Total (USD) $5.14");
    expect(text).toContain("Payments and credit -$3.80");
    expect(text).toContain("Amount due $1.34");
  });

  it("asks for $1.34 in the e-mail's subject and body", async () => {
    const doc = invoiceDocumentOf(await readInvoice(handle.db, novemberId), SELLER);
    const mail = buildInvoiceEmail(doc, Buffer.from("%PDF-"), "Billing <no-reply@example.test>");
    expect(mail.subject).toBe(`Invoice ${doc.number} from Example Hosting Ltd: $1.34 due ${doc.dueDate}`);
    expect(mail.text).toContain(`: $1.34, due ${doc.dueDate}.`);
    expect(mail.text).not.toContain("$5.14");
  });
});
