import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hiddenOf, type PageAnswer } from "../../../test/helpers/page-client.ts";
import { type BilledWorld, finishedRun, octoberToBill } from "./billing-run-test-fixture.ts";
import { PageClient, textOf } from "./pricing-test-client.ts";

// The console's money forms (a refund, a credit note) sent twice do the work once (src/web/form-once.ts): a
// double click, a reload that re-posts, the back button and Send again. Until 2026-12-05 only the amount
// left bounded a second refund or credit note, so each of these made two.

let world: BilledWorld;
let owner: PageClient;
let invoiceId = "";
let paymentId = "";

const api = (path: string) => world.server.api("GET", path);

beforeAll(async () => {
  world = await octoberToBill();
  const started = await world.server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
  await finishedRun(world.server, started.body.data.id);
  const invoices = (await api("/api/v1/invoices?period=2026-10")).body.data;
  invoiceId = invoices.find((i: { customer_id: number }) => i.customer_id === Number(world.section4)).id;
  const paid = await world.server.api("POST", `/api/v1/invoices/${invoiceId}/payments`, {
    amount: 300,
    method: "bank_transfer",
    reference: "ONCE-1",
    paid_at: "2026-11-10T00:00:00Z",
  });
  expect(paid.status).toBe(201);
  paymentId = paid.body.data.id;
  owner = await new PageClient(world.server.url).logIn("owner@example.com");
});
afterAll(async () => {
  await world?.close();
});

/**
 * Where two sendings of one form landed, both 303s, sorted: one did the work, the other was told so (which one
 * is the database's order).
 */
function landings(...answers: PageAnswer[]): string[] {
  for (const answer of answers) expect(answer.status).toBe(303);
  return answers.map((a) => a.location ?? "").sort();
}

/** The form on `page` as its browser would send it, with `typed` filled in. */
async function formOn(page: string, typed: Record<string, string>): Promise<Record<string, string>> {
  const html = (await owner.get(page)).text;
  expect(html).toMatch(/name="form_key" value="[A-Za-z0-9_-]{22}"/);
  return { ...hiddenOf(html), ...typed };
}

describe("a refund form", () => {
  const page = () => `/console/invoices/${invoiceId}/refund?payment=${paymentId}`;
  const action = () => `/console/invoices/${invoiceId}/refunds`;
  const refunded = async () => (await api(`/api/v1/payments/${paymentId}`)).body.data.refunded;

  it("sent twice at once refunds once, and both sendings land on the invoice's page", async () => {
    const form = await formOn(page(), { payment_id: paymentId, amount: "0.50", reason: "double click" });
    const [first, second] = await Promise.all([
      owner.request("POST", action(), form),
      owner.request("POST", action(), form),
    ]);
    const invoicePage = `/console/invoices/${invoiceId}`;
    expect(landings(first, second)).toEqual([
      `${invoicePage}?notice=refunded`,
      `${invoicePage}?notice=refunded_before`,
    ]);
    expect(await refunded()).toBe(50);
    // Sent again later (a reload that re-posts): still the one refund, and the page says so.
    const later = await owner.request("POST", action(), form);
    expect(later.location).toBe(`${invoicePage}?notice=refunded_before`);
    expect(textOf((await owner.get(later.location!)).text)).toContain(
      "This form was sent before: its refund is recorded once, and nothing more was refunded.",
    );
    expect(await refunded()).toBe(50);
  });

  it("sent again with another amount under the same key does nothing and says so", async () => {
    const form = await formOn(page(), { payment_id: paymentId, amount: "0.25", reason: "" });
    expect((await owner.request("POST", action(), form)).status).toBe(303);
    expect(await refunded()).toBe(75);
    const changed = await owner.request("POST", action(), { ...form, amount: "0.30" });
    expect(changed.status).toBe(409);
    expect(textOf(changed.text)).toContain(
      "This form was sent before, so nothing was done again: its first sending is still at work or carried other values.",
    );
    // The form is drawn again with a new key, so the next sending is a new refund.
    const redrawn = hiddenOf(changed.text)["form_key"];
    expect(redrawn).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(redrawn).not.toBe(form["form_key"]);
    expect(await refunded()).toBe(75);
  });

  it("drawn twice makes two refunds when both are sent: each drawing is a new form", async () => {
    const one = await formOn(page(), { payment_id: paymentId, amount: "0.10", reason: "" });
    const two = await formOn(page(), { payment_id: paymentId, amount: "0.10", reason: "" });
    expect(one["form_key"]).not.toBe(two["form_key"]);
    expect((await owner.request("POST", action(), one)).status).toBe(303);
    expect((await owner.request("POST", action(), two)).status).toBe(303);
    expect(await refunded()).toBe(95);
  });

  it("refuses a damaged key beside the form, refunding nothing", async () => {
    const form = await formOn(page(), { payment_id: paymentId, amount: "0.05", reason: "" });
    const damaged = await owner.request("POST", action(), { ...form, form_key: "x".repeat(256) });
    expect(damaged.status).toBe(400);
    expect(textOf(damaged.text)).toContain("this form's key is damaged; open the form again");
    expect(await refunded()).toBe(95);
  });

  it("without a key (a hand-made request) refunds as before", async () => {
    const form = await formOn(page(), { payment_id: paymentId, amount: "0.05", reason: "" });
    delete form["form_key"];
    expect((await owner.request("POST", action(), form)).status).toBe(303);
    expect(await refunded()).toBe(100);
  });
});

describe("a credit note form", () => {
  const page = () => `/console/invoices/${invoiceId}/credit-note`;
  const action = () => `/console/invoices/${invoiceId}/credit-notes`;
  const notes = async () => (await api(`/api/v1/credit-notes?invoice_id=${invoiceId}`)).body.data;

  it("sent twice at once issues one note, and both sendings land on its page", async () => {
    const form = await formOn(page(), { amount: "1.00", reason: "Goodwill", settlement: "credit" });
    const [first, second] = await Promise.all([
      owner.request("POST", action(), form),
      owner.request("POST", action(), form),
    ]);
    const issued = await notes();
    expect(issued).toHaveLength(1);
    const notePage = `/console/credit-notes/${issued[0].id}`;
    expect(landings(first, second)).toEqual([
      `${notePage}?notice=issued`,
      `${notePage}?notice=issued_before`,
    ]);
    const later = await owner.request("POST", action(), form);
    expect(later.location).toBe(`${notePage}?notice=issued_before`);
    expect(textOf((await owner.get(later.location!)).text)).toContain(
      "This form was sent before: this is the credit note it issued, and nothing more was issued.",
    );
    expect(await notes()).toHaveLength(1);
  });

  it("sent again with another reason under the same key issues nothing", async () => {
    const form = await formOn(page(), { amount: "0.50", reason: "Late", settlement: "credit" });
    expect((await owner.request("POST", action(), form)).status).toBe(303);
    expect(await notes()).toHaveLength(2);
    const changed = await owner.request("POST", action(), { ...form, reason: "Later" });
    expect(changed.status).toBe(409);
    expect(textOf(changed.text)).toContain("This form was sent before, so nothing was done again");
    expect(await notes()).toHaveLength(2);
  });
});

describe("a new customer form", () => {
  // Until 2026-12-05 the second sending was refused as another customer with the same e-mail (409), though
  // the first had made it; now it lands on that customer.
  it("sent twice at once makes one customer, and both sendings land on its page", async () => {
    const form = await formOn("/console/customers/new", {
      email: "twice@example.com",
      name: "Twice",
      country: "DE",
      region: "",
      currency: "USD",
    });
    const [first, second] = await Promise.all([
      owner.request("POST", "/console/customers/new", form),
      owner.request("POST", "/console/customers/new", form),
    ]);
    const made = (await api("/api/v1/customers?email=twice@example.com")).body.data;
    expect(made).toHaveLength(1);
    const customerPage = `/console/customers/${made[0].id}`;
    expect(landings(first, second)).toEqual([
      `${customerPage}?notice=created`,
      `${customerPage}?notice=created_before`,
    ]);
    expect(textOf((await owner.get(`${customerPage}?notice=created_before`)).text)).toContain(
      "This form was sent before: this is the customer it created, and nothing new was created.",
    );
  });
});

// Until 2026-12-05 a control character in a field the form does not show was named to the person as a field
// ("Payment_id: held a control character …: it is taken out of the entry above"), and a typed field over
// 10,000 characters was the bare 400 error page that lost the form.
describe("a damaged form", () => {
  const DAMAGED =
    "The form arrived damaged: a part of it that is not shown held a control character or too much text";

  it("with a control character in the refund form's payment id is drawn again saying so, naming no field", async () => {
    const before = (await api(`/api/v1/payments/${paymentId}`)).body.data.refunded;
    const page = `/console/invoices/${invoiceId}/refund?payment=${paymentId}`;
    const form = await formOn(page, { payment_id: `${paymentId}\u0007`, amount: "0.05", reason: "" });
    const answer = await owner.request("POST", `/console/invoices/${invoiceId}/refunds`, form);
    expect(answer.status).toBe(400);
    const text = textOf(answer.text);
    expect(text).toContain(DAMAGED);
    expect(text).not.toMatch(/payment_id|entry above/i);
    expect(answer.text).toMatch(/name="amount"[^>]*value="0.05"/);
    expect((await api(`/api/v1/payments/${paymentId}`)).body.data.refunded).toBe(before);
  });

  it("with a tab in a credit note form's key is drawn again saying so, and issues nothing", async () => {
    const notes = async () => (await api(`/api/v1/credit-notes?invoice_id=${invoiceId}`)).body.data.length;
    const before = await notes();
    const form = await formOn(`/console/invoices/${invoiceId}/credit-note`, {
      amount: "0.10",
      reason: "Tabbed",
      settlement: "credit",
    });
    const answer = await owner.request("POST", `/console/invoices/${invoiceId}/credit-notes`, {
      ...form,
      form_key: `${form["form_key"]!.slice(0, 10)}\t${form["form_key"]!.slice(10)}`,
    });
    expect(answer.status).toBe(400);
    expect(textOf(answer.text)).toContain(DAMAGED);
    expect(textOf(answer.text)).not.toMatch(/form_key/i);
    expect(await notes()).toBe(before);
  });

  it("with a name over 10,000 characters shows the customer form again, the name cut and said so", async () => {
    const form = await formOn("/console/customers/new", {
      email: "long@example.com",
      name: "n".repeat(10_050),
      country: "DE",
      region: "",
      currency: "USD",
    });
    const answer = await owner.request("POST", "/console/customers/new", form);
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/id="name-error">Was longer than 10,000 characters: only its first 10,000/);
    expect(answer.text).toMatch(/id="email"[^>]* value="long@example.com"/);
    expect(/id="name"[^>]* value="(n*)"/.exec(answer.text)?.[1]).toHaveLength(10_000);
    // The cut never splits a character written with two UTF-16 units (a lone half is not valid text).
    const emoji = await owner.request("POST", "/console/customers/new", {
      ...(await formOn("/console/customers/new", {})),
      email: "long@example.com",
      name: `${"n".repeat(9_999)}${"\u{1F600}".repeat(30)}`,
      country: "DE",
      currency: "USD",
    });
    expect(emoji.status).toBe(400);
    expect(/id="name"[^>]* value="(n*)"/.exec(emoji.text)?.[1]).toHaveLength(9_999);
    expect(emoji.text).not.toContain("\uFFFD");
    expect((await api("/api/v1/customers?email=long@example.com")).body.data).toHaveLength(0);
  });
});
