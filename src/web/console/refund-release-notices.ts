import type { RefundRelease } from "../../billing/providers/release-refund-reservation.ts";

// Apart from refund-release-pages.ts, which imports the invoice page's helpers: the invoice and customer
// pages' notice tables spread these when their modules load, and a cycle would leave them undefined then.

/** What the page that listed the payment says after a release (refund-release-pages.ts), by its outcome. */
export const REFUND_RELEASE_NOTICES: Record<`refund_${RefundRelease["outcome"]}`, string> = {
  refund_released:
    "The payment provider had no refund for this reservation: it is released, and its amount can be refunded again.",
  refund_linked:
    "The payment provider had made this refund and still has it pending: it is linked, and its webhook settles it.",
  refund_settled:
    "The payment provider had made this refund: it is recorded as the provider's webhook would record it.",
};

/** A refund the payment provider did not confirm (refund-through-provider.ts): it holds its amount. */
export const REFUND_UNCONFIRMED =
  "The payment provider did not say whether it made the refund. It stays pending and holds its amount until the provider's webhook settles it; if it is still pending in 15 minutes, release it. Do not refund it again.";
