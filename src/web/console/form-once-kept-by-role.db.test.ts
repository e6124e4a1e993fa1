import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hiddenOf } from "../../../test/helpers/page-client.ts";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { createCustomers } from "../../billing/testing/billing-fixtures.ts";
import { changeStaffRole } from "../../services/staff/staff-users.ts";
import { cliContext, createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// A console form's kept answer (Stripe refused a refund, so sending the form again asks nothing) is read by the
// person who sent it, whose role can be lowered before they send it again: it is kept in the words every staff
// role may read (form-once.ts), never an admin's, so a replay shows no more than a fresh answer would. Until
// 2026-12-07 it was kept as Stripe's message, read on the replay by whatever role the person had by then.

let world: StripeWorld;
let customer: bigint;

beforeAll(async () => {
  world = await startStripeWorld();
  [customer] = (await createCustomers(world.handle, [{ email: "form-kept@example.com" }])) as [bigint];
  await createStaffPerRole(world.handle, ["owner", "admin"]);
}, 60_000);
afterAll(() => world?.close());

describe("a console refund form kept under its key while Stripe refuses", () => {
  it("is replayed without Stripe's words to the admin made billing", async () => {
    const { invoice, payment } = await world.paidByCard({ customerId: customer, total: 800n });
    const admin = await new PageClient(world.server.url).logIn("admin@example.com");
    const html = (await admin.get(`/console/invoices/${invoice}/refund?payment=${payment.id}`)).text;
    const form = { ...hiddenOf(html), payment_id: payment.id, amount: "2.00", reason: "" };
    world.fake.refundsRefusedWith = 401;
    try {
      const first = await admin.request("POST", `/console/invoices/${invoice}/refunds`, form);
      expect(first.status).toBe(503);
      // Fresh, an admin reads Stripe's message on the error page.
      expect(textOf(first.text)).toContain("Invalid API Key provided");

      const me = await world.db
        .selectFrom("staff_user")
        .select("id")
        .where("email", "=", "admin@example.com")
        .executeTakeFirstOrThrow();
      await changeStaffRole({ ctx: cliContext(world.handle), input: { id: me.id, role: "billing" } });
      const again = await admin.request("POST", `/console/invoices/${invoice}/refunds`, form);
      expect(again.status).toBe(503);
      const said = textOf(again.text);
      expect(said).toContain("This form was sent before and refused: Stripe answered 401");
      expect(said).not.toContain("Invalid API Key");
    } finally {
      world.fake.refundsRefusedWith = null;
    }
  });
});
