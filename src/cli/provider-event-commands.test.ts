import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandsOnSharedDatabase, tokenbillCommand } from "../../test/helpers/tokenbill-command.ts";
import { failingRefundEvent, storedFailingSession } from "../billing/providers/testing/failing-events.ts";
import { type StripeWorld, startStripeWorld } from "../billing/providers/testing/stripe-world.ts";

// `tokenbill payments events` and `payments retry-event` call the verbs of GET /api/v1/payment-provider-events
// and its retry. The failing events are real ones, stored by tokenbill's webhook from the fake Stripe, on the
// database the commands share (the card tests' Stripe world over it); the commands run with the same Stripe
// settings, as a host's tokenbill would.

const { data } = commandsOnSharedDatabase();
let world: StripeWorld;

beforeAll(async () => {
  world = await startStripeWorld({ database: data().handle });
});
afterAll(async () => {
  await world?.close();
});

const tokenbill = (...args: string[]) => tokenbillCommand(args, { DATA_DIR: data().dir, ...world.settings });

describe("tokenbill payments events and retry-event", () => {
  it("list a failing event, refuse its retry while its cause stands (exit 4), and process it once mended", async () => {
    const refund = await failingRefundEvent(world, "cli-retry-event");
    const never = await storedFailingSession(world, world.server, "cs_cli_never_mended");

    const [table, json, unknown, badArguments, refused] = await Promise.all([
      tokenbill("payments", "events"),
      tokenbill("payments", "events", "--json"),
      tokenbill("payments", "retry-event", "stripe", "evt_not_stored"),
      tokenbill("payments", "retry-event", "Stripe!", "evt_1"),
      tokenbill("payments", "retry-event", "stripe", never.id, "--json"),
    ]);
    expect([table.code, table.stderr]).toEqual([0, ""]);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^Provider\s+Event\s+Type\s+Received at\s+Error$/);
    // The oldest first: the refund's event was stored first.
    expect(lines.slice(2).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ["stripe", refund.event.id, "refund.created"],
      ["stripe", never.id, "checkout.session.completed"],
    ]);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout);
    expect(listed.meta).toEqual({ count: 2, more: false });
    expect(listed.data[0]).toEqual({
      provider: "stripe",
      event_id: refund.event.id,
      type: "refund.created",
      received_at: expect.any(String),
      error: expect.stringContaining("Stripe has refund re_cli_retry_event of 1000"),
    });
    expect([unknown.code, unknown.stderr]).toEqual([
      3,
      "error: payment provider event stripe evt_not_stored not found\n",
    ]);
    expect([badArguments.code, badArguments.stderr]).toEqual([
      2,
      "error: <provider>: must be a payment provider's name (stripe)\n",
    ]);
    // Fails again: the verb's 409 words, exit 4, and the event stays failing.
    expect(refused.code).toBe(4);
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining(
        `payment provider event stripe ${never.id} (checkout.session.completed) failed again and stays stored failing: `,
      ),
      exit_code: 4,
    });

    // Mended: the refund's failure Stripe had not told arrives; the retry processes the stored event.
    expect((await world.deliver(refund.missing)).status).toBe(200);
    const retried = await tokenbill("payments", "retry-event", "stripe", refund.event.id);
    expect([retried.code, retried.stdout, retried.stderr]).toEqual([
      0,
      `stripe ${refund.event.id} (refund.created) processed: the books changed\n`,
      "",
    ]);
    const [again, left] = await Promise.all([
      tokenbill("payments", "retry-event", "stripe", refund.event.id, "--json"),
      tokenbill("payments", "events", "--json"),
    ]);
    expect([again.code, JSON.parse(again.stdout)]).toEqual([
      0,
      { provider: "stripe", event_id: refund.event.id, type: "refund.created", outcome: "duplicate" },
    ]);
    expect(JSON.parse(left.stdout).data.map((e: { event_id: string }) => e.event_id)).toEqual([never.id]);
  }, 180_000);
});
