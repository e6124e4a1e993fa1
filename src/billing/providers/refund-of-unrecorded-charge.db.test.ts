import { describe, expect, it } from "vitest";
import { stripeWorldPerFile } from "../testing/stripe-world-per-file.ts";
import { recordingLogger } from "../credit-notes/testing/ended-reservation.ts";

// A refund Stripe announces of a charge tokenbill recorded no Stripe payment for (another system sharing the
// account, or a charge recorded by hand under another method) is not tokenbill's to record; until 2026-12-07 it
// was answered "ignored" and nothing said so anywhere.

const serverLog = recordingLogger();
const file = stripeWorldPerFile({ logger: serverLog.logger });

describe("a Stripe refund of a charge tokenbill holds no Stripe payment for", () => {
  it("is ignored, and the log names the charge and the refund", async () => {
    const refund = file.world.fake.addRefund({
      id: "re_unrecorded_1",
      amount: 700,
      payment_intent: "pi_of_another_system_1",
      status: "succeeded",
    });
    const answer = await file.world.deliver(file.world.fake.event("refund.created", refund));
    expect([answer.status, answer.body.outcome]).toEqual([200, "ignored"]);
    expect(
      await file.world.db
        .selectFrom("refund")
        .select("id")
        .where("provider_refund_id", "=", "re_unrecorded_1")
        .execute(),
    ).toEqual([]);
    const said = (serverLog.lines as { msg: string; charge?: string; refund?: string }[]).filter((l) =>
      l.msg.includes("pi_of_another_system_1"),
    );
    expect(said).toEqual([
      expect.objectContaining({ charge: "pi_of_another_system_1", refund: "re_unrecorded_1" }),
    ]);
    expect(said[0]!.msg).toContain("ignored");
  });
});
