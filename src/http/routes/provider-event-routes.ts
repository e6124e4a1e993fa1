import { z } from "zod";
import {
  FailingProviderEvent,
  FailingProviderEventQuery,
  listFailingProviderEvents,
} from "../../billing/providers/failing-provider-events.ts";
import {
  ProviderEventParams,
  RetriedProviderEvent,
  retryProviderEvent,
} from "../../billing/providers/retry-provider-event.ts";
import { defineRoute } from "../route.ts";

// The payment provider events stored failing and their retry (docs/payments-stripe.md, "What the webhook does",
// step 4; the console's /console/payment-events).
export const providerEventRoutes = [
  defineRoute({
    method: "GET",
    url: "/api/v1/payment-provider-events",
    tag: "payment-provider-events",
    summary:
      "Payment provider events stored failing (not processed, with the reason), the oldest first: money a provider announced that is not in the books",
    query: FailingProviderEventQuery,
    response: z.array(FailingProviderEvent),
    paged: "cursor",
    handler: ({ ctx, query }) => listFailingProviderEvents({ ctx, input: query }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/payment-provider-events/{provider}/{event_id}/retry",
    tag: "payment-provider-events",
    summary: "Process a stored payment provider event again, as its delivery would, once its cause is mended",
    description:
      "The stored copy (only verified events are stored) goes through the code a delivery runs, in one " +
      "transaction that locks its row: a retry and a delivery at once process it once. 200 with the outcome: " +
      "processed, ignored (nothing in the books changed), or duplicate (processed already; nothing changed). " +
      "409 when it fails again (it stays failing, with the new reason, which the message quotes) or online " +
      "payments are off; 404 for an event not stored; billing, admin and owner only.",
    params: ProviderEventParams,
    response: RetriedProviderEvent,
    handler: ({ ctx, params }) => retryProviderEvent({ ctx, input: params }),
  }),
];
