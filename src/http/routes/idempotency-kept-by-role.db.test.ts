import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";

// An error kept as an Idempotency-Key's answer (Stripe refused a refund, so a retry must not ask again) is
// worded for the key that sent it, as a fresh answer is (upstreamWords): the key's scope is the API key, whose
// role never changes, so whoever replays it is answered what that key was. Stripe's own words (here its 401's
// "Invalid API Key provided") are an admin's to read; until 2026-12-07 every key read them, replays included.

let world: StripeWorld;
let customer: bigint;
const keys = { admin: "", billing: "" };

beforeAll(async () => {
  world = await startStripeWorld();
  [customer] = (await createCustomers(world.handle, [{ email: "kept@example.com" }])) as [bigint];
  for (const role of ["admin", "billing"] as const) {
    const created = await world.server.api("POST", "/api/v1/api-keys", { name: `${role} key`, role });
    expect(created.status).toBe(201);
    keys[role] = created.body.data.key;
  }
}, 60_000);
afterAll(() => world?.close());

async function refund(role: keyof typeof keys, path: string, idempotencyKey: string) {
  const response = await fetch(world.server.url + path, {
    method: "POST",
    headers: {
      authorization: `Bearer ${keys[role]}`,
      "content-type": "application/json",
      "idempotency-key": idempotencyKey,
    },
    body: JSON.stringify({ amount: 300 }),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    message: JSON.parse(text).error?.message as string,
    replayed: response.headers.get("idempotent-replayed"),
  };
}

describe("an error kept under an Idempotency-Key, by the key's role", () => {
  it("is worded for the key that sent it, first and on every replay; another key's same key string is its own", async () => {
    const { payment } = await paidByCard();
    const path = `/api/v1/payments/${payment.id}/refunds`;
    world.fake.refundsRefusedWith = 401;
    try {
      const first = await refund("billing", path, "kept-by-role");
      expect([first.status, first.replayed]).toEqual([503, null]);
      expect(first.message).toMatch(/^Stripe answered 401; try again/);
      expect(first.text).not.toContain("Invalid API Key");
      const again = await refund("billing", path, "kept-by-role");
      expect([again.status, again.text, again.replayed]).toEqual([503, first.text, "true"]);

      // The same string from the admin key is a request of its own (its scope is that key), worded for it.
      const admin = await refund("admin", path, "kept-by-role");
      expect([admin.status, admin.replayed]).toEqual([503, null]);
      expect(admin.message).toContain("Invalid API Key provided");
      const adminAgain = await refund("admin", path, "kept-by-role");
      expect([adminAgain.text, adminAgain.replayed]).toEqual([admin.text, "true"]);
      // And the billing key's replay is still its own answer, not the admin's.
      expect((await refund("billing", path, "kept-by-role")).text).toBe(first.text);
    } finally {
      world.fake.refundsRefusedWith = null;
    }
  });
});

function paidByCard() {
  return world.paidByCard({ customerId: customer, total: 900n });
}
