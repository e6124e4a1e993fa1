import { beforeAll, describe, expect, it } from "vitest";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { TEST_ADMIN_KEY } from "../../../test/helpers/test-server.ts";
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

const note = (invoice: string, amount: number) =>
  file.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, { amount, reason: "outage" });

describe("an invoice with credit notes, as a document", () => {
  it("shows the notes and the payments on rows of their own, then what is due", async () => {
    const [invoice] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1000n }])) as [
      string,
    ];
    expect((await note(invoice, 400)).status).toBe(201);
    let page = await html(invoice);
    expect(page).toContain('<th scope="row">Credit notes</th><td>-$4.00</td>');
    expect(page).not.toContain("Payments and credit");
    expect(page).toContain('<th scope="row">Amount due</th><td>$6.00</td>');

    const paid = await file.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
      amount: 600,
      reference: "CREDITED-DOC-1",
    });
    expect(paid.status).toBe(201);
    page = await html(invoice);
    expect(page).toContain('<th scope="row">Credit notes</th><td>-$4.00</td>');
    expect(page).toContain('<th scope="row">Payments and credit</th><td>-$6.00</td>');
    expect(page).toContain('<th scope="row">Amount due</th><td>$0.00</td>');
    // Paid in part with money: it says paid.
    expect(page).toContain('<p class="badge">PAID</p>');
  });

  it("says an invoice credit notes cancelled whole was credited, not paid", async () => {
    const [invoice] = (await issueInvoices(file.handle.db, [{ customerId: customer, total: 1000n }])) as [
      string,
    ];
    expect((await note(invoice, 700)).status).toBe(201);
    expect((await note(invoice, 300)).status).toBe(201);
    expect((await file.server.api("GET", `/api/v1/invoices/${invoice}`)).body.data.status).toBe("paid");
    const page = await html(invoice);
    expect(page).toContain('<p class="badge">CREDITED</p>');
    expect(page).toContain('<th scope="row">Credit notes</th><td>-$10.00</td>');
    expect(page).not.toContain("Payments and credit");
    expect(page).toContain("Credited in full by credit notes: nothing is due.");
    expect(page).not.toContain("Thank you");
  });
});
