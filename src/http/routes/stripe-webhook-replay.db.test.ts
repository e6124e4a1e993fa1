import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { signedWebhook } from "../../billing/providers/testing/fake-stripe.ts";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";

// Stripe's webhook as a replayer tries it: a real paid session's event, rightly signed, but with a timestamp
// older than the SDK's five-minute tolerance (a captured delivery sent again later). It is refused with 400
// before anything is stored or paid, and the refusal names no secret. The same event signed now is taken.

let world: StripeWorld;

beforeAll(async () => {
  world = await startStripeWorld();
});
afterAll(async () => {
  await world?.close();
});

async function post(body: string, headers: Record<string, string>) {
  const response = await fetch(`${world.server.url}/webhooks/stripe`, { method: "POST", headers, body });
  return { status: response.status, text: await response.text() };
}

describe("a Stripe webhook replayed with a stale timestamp", () => {
  it("is refused with 400, storing and paying nothing, and the answer names no secret", async () => {
    const [customer] = (await createCustomers(world.handle, [{ email: "replay@example.com" }])) as [bigint];
    const [invoice] = (await issueInvoices(world.db, [{ customerId: customer, total: 1020n }])) as [string];
    const checkout = await world.server.api("POST", `/api/v1/invoices/${invoice}/checkout`);
    expect(checkout.status).toBe(201);
    const event = world.fake.completeSession(checkout.body.data.id);
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    const stale = signedWebhook(event, world.webhookSecret, tenMinutesAgo);
    const refused = await post(stale.body, stale.headers);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('"code":"VALIDATION"');
    for (const secret of [world.webhookSecret, world.settings.STRIPE_SECRET_KEY])
      expect(refused.text).not.toContain(secret);
    const stored = await world.db
      .selectFrom("provider_event")
      .select("event_id")
      .where("event_id", "=", event.id)
      .execute();
    expect(stored).toEqual([]);
    const payments = await world.db
      .selectFrom("payment")
      .select("id")
      .where("invoice_id", "=", invoice)
      .execute();
    expect(payments).toEqual([]);
    // Signed now, the same event pays the invoice: the refusal above was the timestamp's.
    const fresh = signedWebhook(event, world.webhookSecret);
    expect((await post(fresh.body, fresh.headers)).status).toBe(200);
    const paid = await world.db
      .selectFrom("payment")
      .select("id")
      .where("invoice_id", "=", invoice)
      .execute();
    expect(paid).toHaveLength(1);
  });
});
