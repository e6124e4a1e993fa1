import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BilledWorld, finishedRun, octoberToBill } from "./billing-run-test-fixture.ts";
import { PageClient } from "./pricing-test-client.ts";

// What the console offers each role: a page shows no action whose verb would refuse the signed-in role
// (decided by the verbs' own role lists, staff-roles.ts), and a form it may not send answers 403 when it is
// opened, before anything is typed. Until 2026-12-06 support saw Record a payment, Issue a credit note,
// E-mail it again, Retry sync, single sign-on, Create key and New plan price, and billing saw Lock; each
// answered 403 only when sent, losing what was typed.

let world: BilledWorld;
let invoice = "";

beforeAll(async () => {
  world = await octoberToBill({ SMTP_HOST: "127.0.0.1" }, ["owner", "admin", "billing", "support"]);
  const started = await world.server.api("POST", "/api/v1/billing-runs", { period: "2026-10" });
  await finishedRun(world.server, started.body.data.id);
  const invoices = (await world.server.api("GET", "/api/v1/invoices?period=2026-10")).body.data;
  invoice = invoices.find((i: { customer_id: number }) => i.customer_id === Number(world.plain)).id;
  // A payment, so that the invoice page lists one to refund.
  const paid = await world.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
    amount: 100,
    method: "bank_transfer",
    reference: "ROLE-1",
  });
  expect(paid.status).toBe(201);
});
afterAll(async () => {
  await world?.close();
});

const INVOICE_ACTIONS = [
  ">Record payment<",
  ">Issue a credit note<",
  ">E-mail it again<",
  '>Refund<span class="skip">',
];
const CUSTOMER_ACTIONS = [
  "Retry sync",
  "Log in to SolusIO as this customer",
  ">Lock<",
  ">Suspend<",
  ">Edit<",
  ">Delete<",
];

async function pages(email: string) {
  const client = await new PageClient(world.server.url).logIn(email);
  const [inv, customer, keys, plans] = await Promise.all([
    client.get(`/console/invoices/${invoice}`),
    client.get(`/console/customers/${world.plain}`),
    client.get("/console/api-keys"),
    client.get("/console/pricing/plans"),
  ]);
  for (const page of [inv, customer, keys, plans]) expect(page.status).toBe(200);
  return { client, inv: inv.text, customer: customer.text, keys: keys.text, plans: plans.text };
}

describe("the console's actions by role", () => {
  it("shows support none of the actions it may not use", async () => {
    const { client, inv, customer, keys, plans } = await pages("support@example.com");
    for (const action of INVOICE_ACTIONS) expect(inv, action).not.toContain(action);
    for (const action of CUSTOMER_ACTIONS) expect(customer, action).not.toContain(action);
    expect(customer).toContain("Reconcile drift"); // a read: support may
    expect(keys).not.toContain("Create key");
    expect(plans).not.toContain("New plan price");
    // A form opened by its address says 403 before anything is typed; the server still refuses the POST.
    for (const path of [
      `/console/invoices/${invoice}/credit-note`,
      `/console/invoices/${invoice}/void`,
      `/console/customers/${world.plain}/status?to=locked`,
      `/console/customers/${world.plain}/edit`,
      "/console/pricing/plans/new",
    ])
      expect((await client.get(path)).status, path).toBe(403);
    const page = `/console/invoices/${invoice}`;
    expect((await client.submit(page, `${page}/resend`, {})).status).toBe(403);
  });

  it("shows billing the money actions but not a customer's status or sync", async () => {
    const { client, inv, customer } = await pages("billing@example.com");
    for (const action of INVOICE_ACTIONS) expect(inv, action).toContain(action);
    for (const action of CUSTOMER_ACTIONS) expect(customer, action).not.toContain(action);
    expect((await client.get(`/console/customers/${world.plain}/status?to=locked`)).status).toBe(403);
    expect((await client.get(`/console/invoices/${invoice}/credit-note`)).status).toBe(200);
  });

  it("shows an owner every action", async () => {
    const { client, inv, customer, keys, plans } = await pages("owner@example.com");
    for (const action of INVOICE_ACTIONS) expect(inv, action).toContain(action);
    for (const action of CUSTOMER_ACTIONS) expect(customer, action).toContain(action);
    expect(keys).toContain("Create key");
    expect(plans).toContain("New plan price");
    expect((await client.get(`/console/customers/${world.plain}/status?to=locked`)).status).toBe(200);
  });
});
