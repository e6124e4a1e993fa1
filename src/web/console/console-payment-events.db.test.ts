import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failingRefundEvent } from "../../billing/providers/testing/failing-events.ts";
import { type StripeWorld, startStripeWorld } from "../../billing/providers/testing/stripe-world.ts";
import { createStaffPerRole, PageClient, textOf } from "./pricing-test-client.ts";

// The console's list of payment provider events stored failing, with Retry (docs/console.md): every role reads
// it, billing and above retry (a CSRF-protected form, as the failed jobs' Retry), a failed retry's reason is
// shown above the list, and a retry that processes the event says so and leaves the list empty.

let world: StripeWorld;
let owner: PageClient;
let billing: PageClient;
let support: PageClient;

beforeAll(async () => {
  world = await startStripeWorld();
  await createStaffPerRole(world.handle);
  owner = await new PageClient(world.server.url).logIn("owner@example.com");
  billing = await new PageClient(world.server.url).logIn("billing@example.com");
  support = await new PageClient(world.server.url).logIn("support@example.com");
});
afterAll(() => world?.close());

const PAGE = "/console/payment-events";

/** The rows of the events table, each cell's text. */
function rowsOf(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => textOf(cell[1]!)),
  );
}

describe("the console's failing payment events", () => {
  it("lists one to every role, refuses support's retry, shows billing's failed retry, and processes the mended one", async () => {
    const empty = await owner.get(PAGE);
    expect(empty.status).toBe(200);
    expect(empty.text).toContain(`href="${PAGE}" aria-current="page"`);
    expect(empty.text).toContain("No payment event is stored failing.");

    const { event, missing, payment } = await failingRefundEvent(world, "console-events-1");
    const action = `${PAGE}/stripe/${event.id}/retry`;
    const listed = await owner.get(PAGE);
    const [row, ...more] = rowsOf(listed.text);
    expect(more).toEqual([]);
    expect(row?.slice(1, 4)).toEqual(["stripe", event.id, "refund.created"]);
    expect(row?.[4]).toContain("Stripe has refund re_console_events_1 of 1000");
    expect(listed.text).toContain(`action="${action}"`);

    // Support reads it, without the Retry column, and the server refuses its retry.
    const looked = await support.get(PAGE);
    expect(rowsOf(looked.text)).toHaveLength(1);
    expect(looked.text).not.toContain(">Action</th>");
    expect((await support.submit(PAGE, action)).status).toBe(403);
    // A form without the page's CSRF token is refused.
    expect((await owner.submit(PAGE, action, { _csrf: "forged" })).status).toBe(403);

    // Billing retries before the cause is mended: the reason above the list, 409, still listed.
    const early = await billing.submit(PAGE, action);
    expect(early.status).toBe(409);
    expect(textOf(/<p class="alert" role="alert">([\s\S]*?)<\/p>/.exec(early.text)?.[1] ?? "")).toContain(
      `Payment provider event stripe ${event.id} (refund.created) failed again and stays stored failing: Stripe has refund re_console_events_1`,
    );
    expect(rowsOf(early.text)).toHaveLength(1);

    // Mended (the refund's failure arrives), the retry processes it.
    expect((await world.deliver(missing)).status).toBe(200);
    const retried = await billing.submit(PAGE, action);
    expect(retried).toMatchObject({ status: 303, location: `${PAGE}?notice=processed` });
    const after = await billing.get(`${PAGE}?notice=processed`);
    expect(after.text).toContain("The event is processed: the books have what it said");
    expect(after.text).toContain("No payment event is stored failing.");
    const refunds = await world.db
      .selectFrom("refund")
      .select("status")
      .where("payment_id", "=", payment.id)
      .where("provider_refund_id", "=", "re_console_events_1")
      .execute();
    expect(refunds).toEqual([{ status: "succeeded" }]);

    // A second click (another tab) is told the event was processed already, and changes nothing.
    const again = await owner.submit(PAGE, action);
    expect(again).toMatchObject({ status: 303, location: `${PAGE}?notice=duplicate` });
    const audit = await world.db
      .selectFrom("audit_log")
      .select(["actor", "after"])
      .where("entity", "=", "provider_event")
      .where("entity_id", "=", `stripe/${event.id}`)
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { actor: expect.stringMatching(/^staff:/), after: { retried: true, outcome: "failed" } },
      { actor: expect.stringMatching(/^staff:/), after: { retried: true, outcome: "processed" } },
    ]);
  });
});
