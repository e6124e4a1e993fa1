import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueInvoices } from "../../billing/payments/testing/invoice-fixtures.ts";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { nameActors } from "../../services/audit-log/name-actors.ts";
import { createCustomer } from "../../services/customers/customers.ts";
import { setPortalPassword } from "../../services/portal-accounts/portal-accounts.ts";
import { operatorContext, PORTAL_PASSWORD, PortalClient } from "../portal/testing/portal-fixtures.ts";
import { createStaffPerRole, PageClient } from "./pricing-test-client.ts";

// The audit log's Actor column for the actors that act outside the console: a customer in the portal
// (`customer:<id>`) and a payment provider's signed webhook (`webhook:stripe`). Until 2026-12-07 both showed
// the stored label only, though staff and keys were named (nameActors).

let world: StripeWorld;
let owner: PageClient;
beforeAll(async () => {
  world = await startStripeWorld();
  await createStaffPerRole(world.handle, ["owner"]);
  owner = await new PageClient(world.server.url).logIn("owner@example.com");
});
afterAll(() => world?.close());

/** The first row of the audit log filtered by `actor`: the name shown, where it links, the stored label. */
async function firstRowBy(actor: string) {
  const html = (await owner.get(`/console/audit-log?actor=${encodeURIComponent(actor)}`)).text;
  const row = /<tr>\s*<td>[\s\S]*?<\/tr>/.exec(html.slice(html.indexOf("<tbody>")))?.[0] ?? "";
  const cell = /<span id="actor-\d+">([\s\S]*?)<\/span>/.exec(row)?.[1] ?? "";
  return {
    shown: cell.replace(/<[^>]+>/g, "").trim(),
    link: /<a href="([^"]*)"/.exec(cell)?.[1] ?? null,
    stored: /<code>([^<]*)<\/code>/.exec(row)?.[1],
  };
}

describe("the audit log's actors from outside the console", () => {
  it("names a customer who acted in the portal, linked to their console page, the label beside it", async () => {
    const ctx = operatorContext(world.handle);
    const made = await createCustomer({
      ctx,
      input: { email: "actor-grace@example.com", name: "Grace", country: "US", currency: "USD" },
    });
    await setPortalPassword({ ctx, input: { customer_id: BigInt(made.id), password: PORTAL_PASSWORD } });
    const portal = new PortalClient(world.server.url);
    await portal.logIn("actor-grace@example.com");
    const saved = await portal.submit("/portal/profile", "/portal/profile", { name: "Grace Hopper" });
    expect(saved.status).toBe(303);

    expect(await firstRowBy(`customer:${made.id}`)).toEqual({
      shown: "Grace Hopper (actor-grace@example.com)",
      link: `/console/customers/${made.id}`,
      stored: `customer:${made.id}`,
    });
  });

  it("names a provider's webhook by the provider, the label beside it", async () => {
    const made = await createCustomer({
      ctx: operatorContext(world.handle),
      input: { email: "actor-card@example.com", name: "Card", country: "US", currency: "USD" },
    });
    const customerId = BigInt(made.id);
    const [invoice] = (await issueInvoices(world.db, [{ customerId, total: 1_000n }])) as [string];
    await world.payByCard(invoice);

    expect(await firstRowBy("webhook:stripe")).toEqual({
      shown: "Stripe webhook",
      link: null,
      stored: "webhook:stripe",
    });
  });

  it("leaves a customer label it cannot name as stored, a malformed one too, without failing", async () => {
    const names = await nameActors({
      ctx: operatorContext(world.handle),
      input: { labels: ["customer:987654321", "customer:12x", "customer:", "webhook:"] },
    });
    expect(Object.fromEntries(names)).toEqual({
      "customer:987654321": "customer:987654321",
      "customer:12x": "customer:12x",
      "customer:": "customer:",
      "webhook:": "webhook:",
    });
  });
});
