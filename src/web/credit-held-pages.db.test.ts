import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCreditNoteEmail } from "../billing/documents/credit-note-mail.ts";
import { type StripeWorld, startStripeWorld } from "../billing/providers/testing/stripe-world.ts";
import { creditNoteDocumentOf } from "../billing/statements/credit-note-document-of.ts";
import { renderCreditNote } from "../billing/statements/render-credit-note.ts";
import { issueInvoices } from "../billing/payments/testing/invoice-fixtures.ts";
import { createCustomers } from "../billing/testing/billing-fixtures.ts";
import { pendingNoteRefund } from "../billing/credit-notes/testing/pending-note-refund.ts";
import { sellerOf } from "../delivery/delivery-settings.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import { createStaffPerRole, PageClient, textOf } from "./console/pricing-test-client.ts";
import { PortalClient } from "./portal/testing/portal-fixtures.ts";

// A credit note settled as a refund of a card payment: its card share is held as credit until Stripe settles
// the refund (src/billing/payments/spendable-credit.ts). Until 2026-12-06 the note's PDF, HTML and mail said
// "is refunded to you" whatever became of the refund, and the portal's home and the console's customer page
// showed the held credit as credit that pays the next invoices.

let world: StripeWorld;
let billing: PageClient;

beforeAll(async () => {
  world = await startStripeWorld();
  await createStaffPerRole(world.handle, ["billing"]);
  billing = await new PageClient(world.server.url).logIn("billing@example.com");
});
afterAll(() => world?.close());

/** A customer with a $10.00 invoice paid by card and a $2.50 credit note on it settled as a refund. */
async function noteRefundedToCard(email: string) {
  const { customerId, noteId, providerRefundId } = await pendingNoteRefund(world, email);
  await setPortalPassword({
    ctx: world.context(),
    input: { customer_id: customerId, password: "held credit password" },
  });
  const portal = new PortalClient(world.server.url);
  await portal.logIn(email, "held credit password");
  return { customerId, noteId, providerRefundId, portal };
}

/** The credit note's HTML and its mail's text, as made now. */
async function noteWords(noteId: string) {
  const html = (await renderCreditNote({
    ctx: world.context(),
    input: { id: noteId, format: "html" },
  })) as string;
  const doc = await creditNoteDocumentOf(world.db, noteId, sellerOf(world.context().config));
  const mail = buildCreditNoteEmail(doc, Buffer.from("%PDF-"), "b@x.test").text;
  return { html: textOf(html), mail };
}

const portalHome = async (portal: PortalClient) => textOf((await portal.get("/portal")).text);
const consoleMoney = async (customerId: bigint) => {
  const page = (await billing.get(`/console/customers/${customerId}`)).text;
  const dd = (id: string) => page.match(new RegExp(`id="${id}">([^<]*)<`))?.[1]?.trim() ?? null;
  return { credit: dd("customer-credit"), held: dd("customer-credit-held") };
};

describe("a credit note's card refund, in every place it is read", () => {
  it("says the refund is on its way to the card while Stripe has not settled it", async () => {
    const { customerId, noteId, portal } = await noteRefundedToCard("words-pending@example.com");
    const { html, mail } = await noteWords(noteId);
    for (const text of [html, mail]) {
      expect(text).toContain("This amount is being refunded to the card you paid with");
      expect(text).not.toContain("is refunded to you");
    }

    const home = await portalHome(portal);
    expect(home).toContain("$2.50 of your credit is on its way back to your card: it pays no invoice.");
    expect(home).toContain("$2.50 on its way back to your card.");
    expect(home).not.toContain("You are in credit: it pays your next invoices.");
    expect(home).not.toContain("Credit: $2.50");

    expect(await consoleMoney(customerId)).toEqual({ credit: "$0.00", held: "$2.50" });
  });

  it("says it is kept as credit, spendable, once Stripe fails the refund", async () => {
    const { customerId, noteId, providerRefundId, portal } =
      await noteRefundedToCard("words-failed@example.com");
    expect((await world.deliver(world.fake.settleRefund(providerRefundId, "failed"))).status).toBe(200);
    const { html, mail } = await noteWords(noteId);
    for (const text of [html, mail]) {
      expect(text).toContain(
        "This amount could not be refunded to your card, so it is kept as credit on your account and pays your next invoices.",
      );
    }

    const home = await portalHome(portal);
    expect(home).toContain("You are in credit: it pays your next invoices.");
    expect(home).toContain("Credit: $2.50.");
    expect(home).not.toContain("on its way back to your card");

    expect(await consoleMoney(customerId)).toEqual({ credit: "$2.50", held: null });
  });

  it("says it was refunded once Stripe settles the refund", async () => {
    const { customerId, noteId, providerRefundId, portal } =
      await noteRefundedToCard("words-done@example.com");
    expect((await world.deliver(world.fake.settleRefund(providerRefundId, "succeeded"))).status).toBe(200);
    const { html, mail } = await noteWords(noteId);
    for (const text of [html, mail]) expect(text).toContain("This amount has been refunded to you.");
    expect(await portalHome(portal)).not.toContain("on its way back to your card");
    expect(await consoleMoney(customerId)).toEqual({ credit: "$0.00", held: null });
  });

  // Until 2026-12-06 money staff recorded as paid back by hand read "has been refunded to you", as a card's
  // refund does, and "refunded" on the invoice: the customer looked for it on a card they never paid with.
  it("says how a refund recorded by hand went back, and nothing of a card", async () => {
    const email = "words-by-hand@example.com";
    const [customerId] = (await createCustomers(world.handle, [{ email }])) as [bigint];
    await setPortalPassword({
      ctx: world.context(),
      input: { customer_id: customerId, password: "held credit password" },
    });
    const [invoice] = (await issueInvoices(world.db, [{ customerId, total: 1000n }])) as [string];
    const paid = await world.server.api("POST", `/api/v1/invoices/${invoice}/payments`, {
      amount: 1000,
      method: "bank_transfer",
      reference: "BY-HAND-1",
    });
    expect(paid.status).toBe(201);
    const note = await world.server.api("POST", `/api/v1/invoices/${invoice}/credit-notes`, {
      amount: 250,
      reason: "outage",
      settlement: "refund",
    });
    expect(note.status).toBe(201);

    const { html, mail } = await noteWords(note.body.data.id);
    for (const text of [html, mail]) {
      expect(text).toContain("This amount has been paid back to you by bank transfer.");
      expect(text).not.toContain("refunded to you");
      expect(text).not.toContain("card");
    }
    const invoicePage = textOf((await billing.get(`/console/invoices/${invoice}`)).text);
    expect(invoicePage).toContain("outage $2.50 paid back by bank transfer");
    const portal = new PortalClient(world.server.url);
    await portal.logIn(email, "held credit password");
    expect(await portalHome(portal)).not.toContain("card");
    expect(await consoleMoney(customerId)).toEqual({ credit: "$0.00", held: null });
  });
});
