import { recordRefundIn } from "../../billing/payments/refund-payment.ts";
import { storedFailingSession } from "../../billing/providers/testing/failing-events.ts";
import { startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import type { PageClient as Browser } from "../../../test/helpers/page-client.ts";
import { startTestServer } from "../../../test/helpers/test-server.ts";
import { createStaffPerRole, PageClient } from "../console/pricing-test-client.ts";
import { PortalClient, portalCustomer } from "../portal/testing/portal-fixtures.ts";

/** A page POST route the form text walk cannot reach, and why its form has no field a person types into. */
export interface Unwalked {
  why: string;
  /** Drawn only on the embedded database (PGlite); PostgreSQL draws no such form. */
  embeddedOnly?: true;
}

/**
 * The page POST routes whose forms only a payment provider or the embedded database's backup draws, which the
 * walk's server has neither of. Each is a button; drawUnwalked draws them so the test can check it still is.
 */
export const UNWALKED: Record<string, Unwalked> = {
  "/console/customers/:id/refund-release": {
    why: "a confirmation's button (the refund and payment hidden), drawn for a card refund's stranded reservation",
  },
  "/console/invoices/:id/refund-release": {
    why: "a confirmation's button (the refund and payment hidden), drawn for a card refund's stranded reservation",
  },
  "/console/payment-events/:provider/:event_id/retry": {
    why: "the Retry button of a payment provider event stored failing, drawn when a provider's webhook failed",
  },
  "/portal/invoices/:id/pay": { why: "the Pay now button, drawn when a payment provider takes cards" },
  "/console/backup": {
    why: "the Download a backup button, drawn on the embedded database",
    embeddedOnly: true,
  },
};

export interface DrawnPage {
  path: string;
  html: string;
}

/**
 * The pages that hold the forms of UNWALKED, drawn by a server with the fake Stripe and, on the embedded
 * database, the backup: a customer's and an invoice's release confirmations, an unpaid invoice in the portal,
 * the console's failing payment events, and the console's settings.
 */
export async function drawUnwalked(): Promise<DrawnPage[]> {
  const world = await startStripeWorld();
  try {
    const grace = await portalCustomer(world.handle, {
      email: "unwalked@example.com",
      name: "Unwalked",
      dueDate: "2099-01-01",
    });
    const { invoice, payment } = await world.paidByCard({ customerId: grace.id, total: 500n });
    // Reserved an hour ago by a process that died before asking Stripe: the release is offered for it.
    const hourAgo = () => new Date(Date.now() - 3_600_000);
    const refund = await withTransaction(world.context({ actor: actors.envKey(), now: hourAgo }), (tx) =>
      recordRefundIn(tx.db, tx, { payment_id: payment.id, amount: 200n, status: "pending" }),
    );
    await storedFailingSession(world, world.server, "cs_unwalked_failing");
    await createStaffPerRole(world.handle, ["owner"]);
    const owner = await new PageClient(world.server.url).logIn("owner@example.com");
    const customer = new PortalClient(world.server.url);
    await customer.logIn(grace.email);

    const ids = `payment=${payment.id}&refund=${refund.id}`;
    const pages: { client: Browser; path: string }[] = [
      { client: owner, path: `/console/customers/${grace.id}/refund-release?${ids}` },
      { client: owner, path: `/console/invoices/${invoice}/refund-release?${ids}` },
      { client: customer, path: `/portal/invoices/${grace.unpaidInvoiceId}` },
      { client: owner, path: "/console/payment-events" },
    ];
    const drawn: DrawnPage[] = [];
    for (const { client, path } of pages) drawn.push({ path, html: (await client.get(path)).text });
    if (world.handle.backup) drawn.push(await backupSettings(world.handle));
    return drawn;
  } finally {
    await world.close();
  }
}

/** The console's settings page from a server given the embedded database's backup. */
async function backupSettings(handle: DatabaseHandle): Promise<DrawnPage> {
  const server = await startTestServer(handle.db, {}, handle.backup ? { backup: handle.backup } : {});
  try {
    const owner = await new PageClient(server.url).logIn("owner@example.com");
    return { path: "/console/settings", html: (await owner.get("/console/settings")).text };
  } finally {
    await server.close();
  }
}
