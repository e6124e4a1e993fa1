import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pdfText } from "../../billing/documents/testing/pdf-text.ts";
import { type BilledWorld, finishedRun, octoberToBill } from "./billing-run-test-fixture.ts";
import { PageClient, textOf } from "./pricing-test-client.ts";

// The console's invoice and credit note pages over real HTTP, on a billed October: the filtered list, an
// invoice with its lines and totals in its currency's format, its PDF, recording a payment typed in major
// units (exactly, refused next to the field when it cannot be), a refund, a credit note, voiding after the
// confirmation, resending, and the verbs' role checks.

let world: BilledWorld;
let owner: PageClient;
let section4Invoice = "";
let plainInvoice = "";

const api = (path: string) => world.server.api("GET", path);

beforeAll(async () => {
  world = await octoberToBill({ SMTP_HOST: "127.0.0.1" });
  const started = await world.server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
  await finishedRun(world.server, started.body.data.id);
  const invoices = (await api("/api/v1/invoices?period=2026-10")).body.data;
  section4Invoice = invoices.find(
    (i: { customer_id: number }) => i.customer_id === Number(world.section4),
  ).id;
  plainInvoice = invoices.find((i: { customer_id: number }) => i.customer_id === Number(world.plain)).id;
  owner = await new PageClient(world.server.url).logIn("owner@example.com");
});
afterAll(async () => {
  await world?.close();
});

describe("invoice list", () => {
  it("lists invoices with their totals and filters them by status, customer, month and currency", async () => {
    const all = textOf((await owner.get("/console/invoices")).text);
    expect(all).toMatch(/INV-2026-000001 section4 \(\d+\) 2026-10 finalized \$5\.14 \$5\.14/);
    expect(all).toMatch(/INV-2026-000002 plain \(\d+\) 2026-10 finalized \$5\.00 \$5\.00/);
    const one = textOf(
      (await owner.get(`/console/invoices?customer_id=${world.plain}&status=finalized`)).text,
    );
    expect(one).toContain("INV-2026-000002");
    expect(one).not.toContain("INV-2026-000001");
    expect(textOf((await owner.get("/console/invoices?currency=EUR")).text)).toContain("No invoices match.");
    expect(textOf((await owner.get("/console/invoices?period=2026-10&currency=USD")).text)).toContain(
      "INV-2026-000001",
    );
    const bad = await owner.get("/console/invoices?period=2026-1");
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(
      /id="period-error">Must be a month written YYYY-MM, e\.g\. &quot;2026-10&quot;\./,
    );
    // A month written out is told the format, not "at most 7 characters" (until 2026-12-06).
    const words = await owner.get("/console/invoices?period=October%202026");
    expect(words.status).toBe(400);
    expect(words.text).toMatch(
      /id="period-error">Must be a month written YYYY-MM, e\.g\. &quot;2026-10&quot;\./,
    );
  });
});

describe("invoice page", () => {
  it("shows the lines, the discount and the compound taxes in the invoice's currency format", async () => {
    const page = await owner.get(`/console/invoices/${section4Invoice}`);
    expect(page.status).toBe(200);
    const text = textOf(page.text);
    expect(text).toContain("Invoice INV-2026-000001 finalized");
    expect(text).toContain("vps-5 1 Core, 1 GB RAM server");
    expect(text).toContain("5,000 $5.00");
    expect(text).toContain("Subtotal $5.00");
    expect(text).toContain("Special Client Group Discount (× 0.95) -$0.25");
    expect(text).toMatch(/City Tax 6 % \$0\.\d\d State Tax 2 % \$0\.\d\d Total \$5\.14 Amount due \$5\.14/);
    expect(page.text).toContain(`href="/console/invoices/${section4Invoice}/pdf"`);
  });

  it("serves the PDF with the invoice's number", async () => {
    const pdf = await owner.get(`/console/invoices/${section4Invoice}/pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.type).toBe("application/pdf");
    expect(pdf.body.subarray(0, 5).toString()).toBe("%PDF-");
    expect(await pdfText(pdf.body)).toContain("INV-2026-000001");
  });
});

describe("money on an invoice", () => {
  let paymentId = "";

  it("records a payment typed in dollars as exact cents, and refuses what it cannot read next to the field", async () => {
    const page = `/console/invoices/${section4Invoice}`;
    for (const [amount, message] of [
      ["2.001", "USD has 2 decimals: enter at most that many."],
      ["$2", "Must be an amount such as 12.34, without a currency sign or thousands separators."],
      ["0", "Must be more than zero."],
    ] as const) {
      const bad = await owner.submit(page, `${page}/payments`, {
        amount,
        method: "bank_transfer",
        reference: "BT-1001",
        paid_at: "2026-11-10",
      });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain(`id="amount-error">${message}</p>`);
      expect(bad.text).toContain(`value="${amount === "$2" ? "$2" : amount}"`);
    }
    // A date out of range is refused with its bound written as the console writes dates and times (until 2026-12-06
    // the API's 2036-11-11T10:00:00.000Z).
    const future = await owner.submit(page, `${page}/payments`, {
      amount: "2",
      method: "bank_transfer",
      reference: "BT-FUTURE",
      paid_at: "2999-01-01",
    });
    expect(future.status).toBe(400);
    // A date is judged as a day of BILLING_TIME_ZONE (since 2026-12-06): its bound is a day, not an instant.
    expect(future.text).toMatch(
      /id="paid_at-error">Must not be in the future: at most tomorrow in UTC \(<time datetime="(\d{4}-\d\d-\d\d)">\1<\/time>\)/,
    );
    expect(future.text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    const old = await owner.submit(page, `${page}/payments`, {
      amount: "2",
      method: "bank_transfer",
      reference: "BT-OLD",
      paid_at: "2000-01-01",
    });
    expect(old.status).toBe(400);
    expect(old.text).toMatch(
      /id="paid_at-error">Must be within the last 10 years \(not before <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\dZ">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>\)/,
    );
    // A tab pasted into the reference: the form again, the reference kept with a space for the tab and named.
    const tab = await owner.submit(page, `${page}/payments`, {
      amount: "2",
      method: "bank_transfer",
      reference: "BT\t1001",
    });
    expect(tab.status).toBe(400);
    expect(tab.text).toMatch(/id="reference-error">Held a control character/);
    expect(tab.text).toContain('value="BT 1001"');
    const noReference = await owner.submit(page, `${page}/payments`, {
      amount: "2",
      method: "bank_transfer",
    });
    expect(noReference.status).toBe(400);
    expect(noReference.text).toMatch(/id="reference-error">/);
    expect((await api(`/api/v1/payments?invoice_id=${section4Invoice}`)).body.meta.total).toBe(0);

    const paid = await owner.submit(page, `${page}/payments`, {
      amount: "2.00",
      method: "bank_transfer",
      reference: "BT-1001",
      paid_at: "2026-11-10",
    });
    expect(paid).toMatchObject({ status: 303, location: `${page}?notice=payment_recorded` });
    const payments = (await api(`/api/v1/payments?invoice_id=${section4Invoice}`)).body.data;
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ amount: 200, method: "bank_transfer", reference: "BT-1001" });
    expect(payments[0].paid_at).toBe("2026-11-10T00:00:00.000Z");
    paymentId = payments[0].id;
    const after = textOf((await owner.get(`${page}?notice=payment_recorded`)).text);
    expect(after).toContain("The payment is recorded.");
    expect(after).toContain("partially paid");
    expect(after).toContain("Amount due $3.14");

    const again = await owner.submit(page, `${page}/payments`, {
      amount: "2.00",
      method: "bank_transfer",
      reference: "BT-1001",
    });
    expect(again.location).toBe(`${page}?notice=payment_repeated`);
    const otherPayment = await owner.submit(page, `${page}/payments`, {
      amount: "1.50",
      method: "bank_transfer",
      reference: "BT-1001",
    });
    expect(otherPayment.status).toBe(409);
    expect(otherPayment.text).toContain(
      `id="reference-error">Bank transfer reference BT-1001 is already a payment of $2.00 on invoice INV-2026-000001; a different payment needs its own reference.</p>`,
    );
    expect((await api(`/api/v1/payments?invoice_id=${section4Invoice}`)).body.meta.total).toBe(1);
  });

  it("refunds part of the payment from its own page", async () => {
    const page = `/console/invoices/${section4Invoice}/refund?payment=${paymentId}`;
    const form = await owner.get(page);
    expect(textOf(form.text)).toContain("Refund payment BT-1001");
    expect(textOf(form.text)).toContain("$2.00 paid by bank_transfer on 2026-11-10");
    const tooMuch = await owner.submit(page, `/console/invoices/${section4Invoice}/refunds`, {
      payment_id: paymentId,
      amount: "2.01",
      reason: "",
    });
    expect(tooMuch.status).toBe(400);
    // In dollars, as typed: until 2026-12-05 the page said "At most 200 (minor units) of payment pay_… …".
    expect(tooMuch.text).toContain('id="amount-error">At most $2.00 of this payment is left to refund.</p>');
    const done = await owner.submit(page, `/console/invoices/${section4Invoice}/refunds`, {
      payment_id: paymentId,
      amount: "0.50",
      reason: "overpaid fee",
    });
    expect(done.location).toBe(`/console/invoices/${section4Invoice}?notice=refunded`);
    expect((await api(`/api/v1/payments/${paymentId}`)).body.data.refunded).toBe(50);
    expect(textOf((await owner.get(`/console/invoices/${section4Invoice}`)).text)).toContain(
      "Amount due $3.64",
    );
  });

  it("issues a credit note and shows it in the list, on its page and as a PDF", async () => {
    const page = `/console/invoices/${section4Invoice}/credit-note`;
    expect(textOf((await owner.get(page)).text)).toContain("The invoice's total is $5.14");
    const noReason = await owner.submit(page, `/console/invoices/${section4Invoice}/credit-notes`, {
      amount: "1",
      reason: "",
      settlement: "credit",
    });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toMatch(/id="reason-error">/);
    const tooMuch = await owner.submit(page, `/console/invoices/${section4Invoice}/credit-notes`, {
      amount: "5.00",
      reason: "Goodwill",
      settlement: "credit",
    });
    expect(tooMuch.status).toBe(400);
    expect(textOf(tooMuch.text)).toContain(
      "With its taxes the credit note comes to $5.39 (net $5.00), more than the $5.14 left of invoice INV-2026-000001.",
    );
    const issued = await owner.submit(page, `/console/invoices/${section4Invoice}/credit-notes`, {
      amount: "1.00",
      reason: "Goodwill",
      settlement: "credit",
    });
    expect(issued.status).toBe(303);
    expect(issued.location).toMatch(/^\/console\/credit-notes\/cn_[0-9a-f]+\?notice=issued$/);
    const notes = (await api(`/api/v1/credit-notes?invoice_id=${section4Invoice}`)).body.data;
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ net: 100, reason: "Goodwill" });
    const viewed = (await owner.get(issued.location!)).text;
    // Its invoice by number and its customer by name, each a link (until 2026-12-06 the raw ids).
    expect(viewed).toContain(
      `href="/console/invoices/${section4Invoice}" id="credit-note-invoice">INV-2026-000001<`,
    );
    expect(viewed).toContain(
      `href="/console/customers/${world.section4}" id="credit-note-customer">section4<`,
    );
    const view = textOf(viewed);
    expect(view).toContain(`Credit note ${notes[0].number}`);
    expect(view).toContain("Net credited $1.00");
    expect(view).toContain(`Total $${(notes[0].total / 100).toFixed(2)}`);
    // The list names the customer and the invoice too (until 2026-12-06 the customer's number and "Invoice").
    const listed = (await owner.get("/console/credit-notes")).text;
    expect(textOf(listed)).toContain(
      `${notes[0].number} ${notes[0].issue_date} section4 INV-2026-000001 Goodwill $1.08`,
    );
    expect(listed).toContain(`href="/console/customers/${world.section4}">section4<`);
    const pdf = await owner.get(`/console/credit-notes/${notes[0].id}/pdf`);
    expect(pdf.type).toBe("application/pdf");
    expect(await pdfText(pdf.body)).toContain(notes[0].number);
  });

  it("refuses a settlement other than credit or refund beside its field, issuing nothing", async () => {
    const page = `/console/invoices/${section4Invoice}/credit-note`;
    const before = (await api(`/api/v1/credit-notes?invoice_id=${section4Invoice}`)).body.meta.total;
    for (const settlement of ["NaN", "", "Refund", "credit "]) {
      const odd = await owner.submit(page, `/console/invoices/${section4Invoice}/credit-notes`, {
        amount: "1.00",
        reason: "Goodwill",
        settlement,
      });
      expect(odd.status, settlement).toBe(400);
      expect(odd.text, settlement).toMatch(/id="settlement-error">/);
    }
    expect((await api(`/api/v1/credit-notes?invoice_id=${section4Invoice}`)).body.meta.total).toBe(before);
  });

  it("voids only after the confirmation with a reason, and refuses an invoice money touched", async () => {
    const confirm = await owner.get(`/console/invoices/${plainInvoice}/void`);
    expect(textOf(confirm.text)).toContain("Void invoice INV-2026-000002?");
    expect((await api(`/api/v1/invoices/${plainInvoice}`)).body.data.status).toBe("finalized");
    const noReason = await owner.submit(
      `/console/invoices/${plainInvoice}/void`,
      `/console/invoices/${plainInvoice}/void`,
      { reason: " " },
    );
    expect(noReason.status).toBe(400);
    expect(noReason.text).toMatch(/id="reason-error">/);
    // A tab pasted into the reason: the confirmation again, the reason kept with a space and the field named
    // (until 2026-12-06 the 400 error page, the reason lost); the reissue box stays as it was.
    const tab = await owner.submit(
      `/console/invoices/${plainInvoice}/void`,
      `/console/invoices/${plainInvoice}/void`,
      { reason: "billed\tby mistake", reissue: "on" },
    );
    expect(tab.status).toBe(400);
    expect(tab.text).toMatch(/id="reason"[^>]* value="billed by mistake"/);
    expect(tab.text).toMatch(/id="reason-error">Held a control character/);
    expect(tab.text).toMatch(/id="reissue"[^>]* checked/);
    expect((await api(`/api/v1/invoices/${plainInvoice}`)).body.data.status).toBe("finalized");
    const voided = await owner.submit(
      `/console/invoices/${plainInvoice}/void`,
      `/console/invoices/${plainInvoice}/void`,
      { reason: "billed by mistake" },
    );
    expect(voided.location).toBe(`/console/invoices/${plainInvoice}?notice=voided`);
    expect((await api(`/api/v1/invoices/${plainInvoice}`)).body.data).toMatchObject({
      status: "void",
      void: { reason: "billed by mistake" },
    });
    const paid = await owner.submit(
      `/console/invoices/${section4Invoice}/void`,
      `/console/invoices/${section4Invoice}/void`,
      { reason: "no" },
    );
    expect(paid.status).toBe(409);
    expect(textOf(paid.text)).toContain("issue a credit note instead");
  });

  it("queues the invoice e-mail again, and refuses a void invoice", async () => {
    const page = `/console/invoices/${section4Invoice}`;
    const before = await world.handle.db
      .selectFrom("job")
      .select("id")
      .where("kind", "=", "invoice.email")
      .execute();
    const resent = await owner.submit(page, `${page}/resend`, {});
    expect(resent.location).toBe(`${page}?notice=resent`);
    const jobs = await world.handle.db
      .selectFrom("job")
      .select(["payload"])
      .where("kind", "=", "invoice.email")
      .execute();
    expect(jobs.length).toBe(before.length + 1);
    expect(jobs.at(-1)?.payload).toEqual({ invoice_id: section4Invoice });
    const audit = await world.handle.db
      .selectFrom("audit_log")
      .select(["entity_id", "actor"])
      .where("action", "=", "invoice.resend")
      .execute();
    expect(audit.map((a) => a.entity_id)).toEqual([String(section4Invoice)]);
    expect(audit[0]?.actor).toMatch(/^staff:/);
    const refused = await owner.submit(
      `/console/invoices/${plainInvoice}`,
      `/console/invoices/${plainInvoice}/resend`,
      {},
    );
    expect(refused.status).toBe(409);
    expect(textOf(refused.text)).toContain("only an issued invoice is sent");
  });
});

describe("roles", () => {
  it("lets support read invoices and credit notes but not void, credit or resend", async () => {
    const support = await new PageClient(world.server.url).logIn("support@example.com");
    expect((await support.get(`/console/invoices/${section4Invoice}`)).status).toBe(200);
    expect((await support.get("/console/credit-notes")).status).toBe(200);
    const page = `/console/invoices/${section4Invoice}`;
    expect((await support.submit(page, `${page}/void`, { reason: "x" })).status).toBe(403);
    const credit = await support.submit(page, `${page}/credit-notes`, { amount: "1", reason: "x" });
    expect(credit.status).toBe(403);
    expect((await support.submit(page, `${page}/resend`, {})).status).toBe(403);
    expect((await api(`/api/v1/credit-notes?invoice_id=${section4Invoice}`)).body.meta.total).toBe(1);
  });

  // recordPayment and refundPayment (src/billing/payments/) get their role check from another change; until
  // then a support user's payment would be recorded.
  it("refuses support a payment", async () => {
    const support = await new PageClient(world.server.url).logIn("support@example.com");
    const page = `/console/invoices/${section4Invoice}`;
    const refused = await support.submit(page, `${page}/payments`, {
      amount: "1",
      method: "cash",
      reference: "C-1",
    });
    expect(refused.status).toBe(403);
    expect((await api(`/api/v1/payments?invoice_id=${section4Invoice}`)).body.meta.total).toBe(1);
  });

  it("lets billing staff record a payment", async () => {
    const billing = await new PageClient(world.server.url).logIn("billing@example.com");
    const page = `/console/invoices/${section4Invoice}`;
    const paid = await billing.submit(page, `${page}/payments`, {
      amount: "1",
      method: "cash",
      reference: "C-2",
    });
    expect(paid.location).toBe(`${page}?notice=payment_recorded`);
  });
});

/** Minor units as the console writes a dollar amount, in integers: 1234 → "$12.34". */
const dollars = (minor: number) => `$${Math.trunc(minor / 100)}.${String(minor % 100).padStart(2, "0")}`;

describe("a customer's payments", () => {
  const post = (path: string, body: unknown) => world.server.api("POST", path, body);

  it("lists a payment allocated to the invoice on the invoice page, and refunds it from there", async () => {
    const invoice = (await api(`/api/v1/invoices/${section4Invoice}`)).body.data;
    expect(invoice.amount_due).toBeGreaterThan(100);
    const paid = await post(`/api/v1/customers/${world.section4}/payments`, {
      amount: 100,
      reference: "CUST-1",
    });
    expect(paid.body.data).toMatchObject({
      invoice_id: null,
      allocations: [{ invoice_id: section4Invoice }],
    });
    const paymentId = paid.body.data.id;
    expect(textOf((await owner.get(`/console/invoices/${section4Invoice}`)).text)).toContain("CUST-1");
    const page = `/console/invoices/${section4Invoice}/refund?payment=${paymentId}`;
    const form = await owner.get(page);
    expect([form.status, textOf(form.text)]).toEqual([200, expect.stringContaining("Refund payment CUST-1")]);
    const done = await owner.submit(page, `/console/invoices/${section4Invoice}/refunds`, {
      payment_id: paymentId,
      amount: "0.25",
      reason: "",
    });
    expect(done.location).toBe(`/console/invoices/${section4Invoice}?notice=refunded`);
    expect((await api(`/api/v1/payments/${paymentId}`)).body.data.refunded).toBe(25);
  });

  it("shows the customer's credit and payments, and refunds a payment that only left credit", async () => {
    // The plain customer's invoice is void: the payment is all credit, on no invoice's page.
    const paid = await post(`/api/v1/customers/${world.plain}/payments`, {
      amount: 300,
      reference: "PLAIN-1",
    });
    expect(paid.body.data).toMatchObject({ allocations: [], credit: 300 });
    const paymentId = paid.body.data.id;
    const customerPage = `/console/customers/${world.plain}`;
    const text = textOf((await owner.get(customerPage)).text);
    expect(text).toContain(`Credit available ${dollars(300)}`);
    expect(text).toMatch(/PLAIN-1 the customer \$3\.00 \$3\.00 \$0\.00 Refund/);

    const page = `${customerPage}/refund?payment=${paymentId}`;
    expect(textOf((await owner.get(page)).text)).toContain("Refund payment PLAIN-1");
    const done = await owner.submit(page, `${customerPage}/refunds`, {
      payment_id: paymentId,
      amount: "1.00",
      reason: "asked back",
    });
    expect(done.location).toBe(`${customerPage}?notice=refunded`);
    expect((await api(`/api/v1/payments/${paymentId}`)).body.data.refunded).toBe(100);
    const after = textOf((await owner.get(`${customerPage}?notice=refunded`)).text);
    expect(after).toContain("The refund is recorded.");
    expect(after).toContain(`Credit available ${dollars(200)}`);

    // Another customer's or invoice's payment is not refunded from here.
    expect((await owner.get(`/console/customers/${world.section4}/refund?payment=${paymentId}`)).status).toBe(
      404,
    );
    expect((await owner.get(`/console/invoices/${section4Invoice}/refund?payment=${paymentId}`)).status).toBe(
      404,
    );
  });

  it("pages the customer's payments and the invoice's payments", async () => {
    for (let n = 1; n <= 21; n++)
      await post(`/api/v1/customers/${world.plain}/payments`, { amount: 1, reference: `PAGE-${n}` });
    const first = textOf((await owner.get(`/console/customers/${world.plain}`)).text);
    expect(first).toContain("Page 1 of 2 (22 in all)");
    const second = await owner.get(`/console/customers/${world.plain}?payments_page=2`);
    expect(textOf(second.text)).toContain("Page 2 of 2 (22 in all)");

    const invoicePayments = (await api(`/api/v1/payments?invoice_id=${section4Invoice}`)).body.meta.total;
    for (let n = invoicePayments + 1; n <= 21; n++)
      await post(`/api/v1/invoices/${section4Invoice}/payments`, { amount: 1, reference: `INV-PAGE-${n}` });
    const invoicePage = textOf(
      (await owner.get(`/console/invoices/${section4Invoice}?payments_page=2`)).text,
    );
    expect(invoicePage).toContain("Page 2 of 2 (21 in all)");
  });
});

describe("reissuing a void invoice", () => {
  it("releases the month after a confirmation, and links the void invoice and the new one", async () => {
    // The plain customer's invoice was voided without reissue above: the page offers Reissue.
    const page = `/console/invoices/${plainInvoice}`;
    expect(textOf((await owner.get(page)).text)).toMatch(/Void: billed by mistake.*Reissue/s);
    const support = await new PageClient(world.server.url).logIn("support@example.com");
    expect((await support.submit(page, `${page}/reissue`, {})).status).toBe(403);
    const confirm = await owner.get(`${page}/reissue`);
    expect(textOf(confirm.text)).toContain("Reissue INV-2026-000002?");
    const done = await owner.submit(`${page}/reissue`, `${page}/reissue`, {});
    expect(done.location).toBe(`${page}?notice=reissued`);
    const released = textOf((await owner.get(done.location!)).text);
    expect(released).toMatch(/Released for reissue \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(released).not.toMatch(/ Reissue /);
    const again = await owner.submit(`${page}/reissue`, `${page}/reissue`, {});
    expect(again.status).toBe(409);
    expect(textOf(again.text)).toContain("already released for reissue");

    const started = await world.server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
    await finishedRun(world.server, started.body.data.id);
    const month = (await api(`/api/v1/invoices?period=2026-10&customer_id=${world.plain}`)).body.data;
    expect(month).toHaveLength(2);
    // The new invoice is issued (the credit this customer was left above pays part of it at finalization).
    const reissued = month[1] as { id: string; number: string; status: string; total: number };
    expect(["finalized", "partially_paid"]).toContain(reissued.status);
    expect(reissued.total).toBe(500);
    expect(reissued.number).toMatch(/^INV-2026-00000[3-9]$/);
    expect(textOf((await owner.get(page)).text)).toContain(
      `Reissued as: ${reissued.number} (${reissued.status.replace("_", " ")})`,
    );
    expect(textOf((await owner.get(`/console/invoices/${reissued.id}`)).text)).toContain(
      "Replaces: INV-2026-000002 (void)",
    );
  });
});
