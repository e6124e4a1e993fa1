import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RefundStatus } from "../../db/schema.ts";
import type { ProviderRefundStatus } from "./payment-provider.ts";
import { refundStatusMove } from "./refund-status-order.ts";

/** Where a refund recorded pending ends after the facts, applied in their order. */
function endsAs(facts: readonly ProviderRefundStatus[]): RefundStatus {
  let status: RefundStatus = "pending";
  for (const told of facts) {
    const move = refundStatusMove(status, told);
    if (move === "succeeded" || move === "failed") status = move;
  }
  return status;
}

const statuses = fc.constantFrom<ProviderRefundStatus>("pending", "succeeded", "failed");

describe("refundStatusMove", () => {
  it("moves only forward: pending → succeeded → failed, never back", () => {
    expect(refundStatusMove("pending", "succeeded")).toBe("succeeded");
    expect(refundStatusMove("pending", "failed")).toBe("failed");
    expect(refundStatusMove("succeeded", "failed")).toBe("failed");
    expect(refundStatusMove("succeeded", "pending")).toBe("stay");
    expect(refundStatusMove("failed", "pending")).toBe("stay");
    expect(refundStatusMove("failed", "succeeded")).toBe("older");
    for (const s of ["pending", "succeeded", "failed"] as const) expect(refundStatusMove(s, s)).toBe("stay");
  });

  it("ends where the furthest fact says, in any order and with repeats", () => {
    fc.assert(
      fc.property(fc.array(statuses, { maxLength: 8 }), fc.infiniteStream(fc.nat()), (facts, picks) => {
        const shuffled = [...facts];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = picks.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const furthest = facts.includes("failed")
          ? "failed"
          : facts.includes("succeeded")
            ? "succeeded"
            : "pending";
        expect(endsAs(shuffled)).toBe(furthest);
        expect(endsAs([...shuffled, ...facts])).toBe(furthest);
      }),
    );
  });
});
