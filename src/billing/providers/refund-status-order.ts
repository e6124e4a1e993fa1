import type { RefundStatus } from "../../db/schema.ts";
import type { ProviderRefundStatus } from "./payment-provider.ts";

// Stripe's refund lifecycle (the Refund object's `status`, https://docs.stripe.com/api/refunds/object, and
// https://docs.stripe.com/refunds#failed-refunds): pending (or requires_action) first, then succeeded, failed or
// canceled; a succeeded refund may still fail (the customer's bank sent it back: `refund.failed`), and a failed or
// canceled one never changes again. tokenbill reads requires_action as pending and canceled as failed
// (stripe-provider.ts), so a refund only moves pending → succeeded → failed, or pending → failed, and whatever
// a fact says (the answer to tokenbill's request, an event, a look-up) is where the refund stood at some moment.
// Moving only forward makes the newest fact win whatever order they arrive in, and a repeat changes nothing.

/** What a fact does to a recorded refund: nothing, moves it forward, or, saying succeeded of a failed one, is older. */
export type RefundStatusMove = "stay" | "older" | "succeeded" | "failed";

const RANK: Record<RefundStatus, number> = { pending: 0, succeeded: 1, failed: 2 };

/** How a refund recorded as `recorded` moves when the provider says `told`. */
export function refundStatusMove(recorded: RefundStatus, told: ProviderRefundStatus): RefundStatusMove {
  if (told !== "pending" && RANK[told] > RANK[recorded]) return told;
  // Said of a failed refund, "succeeded" is older than the failure (Stripe never moves a failed refund on).
  if (recorded === "failed" && told === "succeeded") return "older";
  return "stay";
}
