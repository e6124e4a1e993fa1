import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { TEST_ADMIN_KEY } from "../../../test/helpers/test-server.ts";
import { pdfText } from "../documents/testing/pdf-text.ts";
import { issueInvoices } from "../payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";

// An invoice's document shows what credit notes took off apart from what was paid (billing-rules §7). Until
// 2026-12-06 one "Payments and credit" row held both, and an invoice cancelled by credit notes alone read
// "PAID … Paid. Thank you." though the customer never paid it.

const file = serverPerFile();
let customer: bigint;
beforeAll(async () => {
  [customer] = (await createCustomers(file.handle, [{ email: "credited-doc@example.com" }])) as [bigint];
});

const html = async (invoice: string) =>
  (
    await fetch(`${file.server.url}/api/v1/invoices/${invoice}/html`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    })
  ).text();

const pdf = async (invoice: string) =>
  pdfText(
    Buffer.from(
      await (
        await fetch(`${file.server.url}/api/v1/invoices/${invoice}/pdf`, {
          headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
        })
      ).arrayBuffer(),
    ),
  );

const note = async (invoice: string, amount: number, settlement?: "refund") => {
  const answer = await file.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
    amount,
    reason: "outage",
    ...(settlement ? { settlement } : {}),
  });
  return { status: answer.status, number: answer.body.data?.number as string };
};

describe("an invoice with credit notes, as a document", () => {
  it("shows the notes and the payments on rows of their own, then what is due", async () => {
    const [invoice] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1000n }])) as [
      string,
    ];
    const cn = await note(invoice, 400);
    expect(cn.status).toBe(201);
    let page = await html(invoice);
    // The note by its number and full amount, and how it was settled; the figure is what it took off.
    expect(page).toContain(
      `<th scope="row">Credit note ${cn.number} of $4.00: taken off this invoice</th><td>-$4.00</td>`,
    );
    expect(page).not.toContain("Payments and credit");
    expect(page).toContain('<th scope="row">Amount due</th><td>$6.00</td>');

    const paid = await file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
      amount: 600,
      reference: "CREDITED-DOC-1",
    });
    expect(paid.status).toBe(201);
    page = await html(invoice);
    expect(page).toContain(
      `<th scope="row">Credit note ${cn.number} of $4.00: taken off this invoice</th><td>-$4.00</td>`,
    );
    expect(page).toContain('<th scope="row">Payments and credit</th><td>-$6.00</td>');
    expect(page).toContain('<th scope="row">Amount due</th><td>$0.00</td>');
    // Paid in part with money: it says paid.
    expect(page).toContain('<p class="badge">PAID</p>');
  });

  it("says an invoice credit notes cancelled whole was credited, not paid", async () => {
    const [invoice] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1000n }])) as [
      string,
    ];
    const first = await note(invoice, 700);
    const second = await note(invoice, 300);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect((await file.server.api("GET", `/api/v1/invoices/${invoice}`)).body.data.status).toBe("paid");
    const page = await html(invoice);
    expect(page).toContain('<p class="badge">CREDITED</p>');
    expect(page).toContain(
      `<th scope="row">Credit note ${first.number} of $7.00: taken off this invoice</th><td>-$7.00</td>`,
    );
    expect(page).toContain(
      `<th scope="row">Credit note ${second.number} of $3.00: taken off this invoice</th><td>-$3.00</td>`,
    );
    expect(page).not.toContain("Payments and credit");
    expect(page).toContain("Credited in full by credit notes: nothing is due.");
    expect(page).not.toContain("Thank you");
  });

  it("shows a note refunded on a paid invoice with its full amount, paid back, in the HTML and the PDF alike", async () => {
    const [invoice] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1000n }])) as [
      string,
    ];
    const paid = await file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
      amount: 1000,
      reference: "CREDITED-DOC-3",
    });
    expect(paid.status).toBe(201);
    const refunded = await note(invoice, 250, "refund");
    const kept = await note(invoice, 100);
    expect([refunded.status, kept.status]).toEqual([201, 201]);
    const page = await html(invoice);
    // Until 2026-12-06 neither note was on the invoice: they took nothing off its amount due. The payment was
    // recorded by hand (manual), so its refund says it was paid back, not "refunded" as a card's reads.
    expect(page).toContain(
      `<th scope="row">Credit note ${refunded.number} of $2.50: paid back directly</th><td>$0.00</td>`,
    );
    expect(page).toContain(
      `<th scope="row">Credit note ${kept.number} of $1.00: kept as credit</th><td>$0.00</td>`,
    );
    expect(page).toContain('<th scope="row">Payments and credit</th><td>-$10.00</td>');
    expect(page).toContain('<th scope="row">Amount due</th><td>$0.00</td>');
    // The PDF's totals column wraps a long label beside its figure: the label's words come around "$0.00".
    const text = (await pdf(invoice)).replace(/\s+/g, " ");
    expect(text).toContain(`Credit note ${refunded.number} of $0.00 $2.50: paid back directly`);
    expect(text).toContain(`Credit note ${kept.number} of $0.00 $1.00: kept as credit`);
    expect(text).toContain("Amount due $0.00");
  });

  it("names each part of a note settled more than one way", async () => {
    // A customer of its own: the credit kept above would pay part of this invoice.
    const [own] = (await createCustomers(file.handle, [{ email: "credited-doc-2@example.com" }])) as [bigint];
    const [invoice] = (await issueInvoices(file.handle.db, [{ customerId: own, total: 1000n }])) as [string];
    await file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
      amount: 800,
      reference: "CREDITED-DOC-4",
    });
    // $2.00 is still due: the note takes that off and refunds $3.00 of the $8.00 paid.
    const cn = await note(invoice, 500, "refund");
    const page = await html(invoice);
    expect(page).toContain(
      `<th scope="row">Credit note ${cn.number} of $5.00: $2.00 taken off this invoice, $3.00 paid back directly</th><td>-$2.00</td>`,
    );
    expect(page).toContain('<th scope="row">Amount due</th><td>$0.00</td>');
  });
});
