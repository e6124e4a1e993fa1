import type { FastifyInstance } from "fastify";
import { InvoiceIdParams } from "../../billing/invoices/invoice-schemas.ts";
import {
  type EventOutcome,
  ProviderEventFailed,
  processProviderEvent,
} from "../../billing/providers/process-provider-event.ts";
import { ONLINE_PAYMENTS_OFF, paymentProviderOf } from "../../billing/providers/provider-from-config.ts";
import { CheckoutAnswer, startCheckout } from "../../billing/providers/start-checkout.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { errorBody } from "../errors.ts";
import { type ContextFactory, defineRoute } from "../route.ts";

/** Where Stripe sends its events (docs/payments-stripe.md). */
export const STRIPE_WEBHOOK_PATH = "/webhooks/stripe";

// Online card payments (issue 11 item 4; docs/payments-stripe.md): an admin asks for a checkout link for an
// invoice's amount due; Stripe tells tokenbill the money came in through its signed webhook, the only way
// a Stripe payment is recorded.

export const stripeRoutes = [
  defineRoute({
    method: "POST",
    url: "/api/v1/invoices/{id}/checkout",
    tag: "invoices",
    summary:
      "A Stripe Checkout Session for the invoice's amount due: send the customer to `url`; the payment is " +
      "recorded when Stripe's webhook confirms it (409 while online payments are off)",
    params: InvoiceIdParams,
    response: CheckoutAnswer,
    status: 201,
    handler: ({ ctx, params }) => startCheckout({ ctx, input: { invoice_id: params.id } }),
  }),
];

/**
 * POST /webhooks/stripe: public (Stripe holds no API key; the signature is the credential), and read as raw
 * bytes, because the signature covers the exact body Stripe sent and a re-serialized JSON would not match.
 */
export function registerStripeWebhook(app: FastifyInstance, contextOf: ContextFactory): void {
  app.register(async (scope) => {
    // Only in this plugin's scope: every other route keeps its JSON and form parsers.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    scope.post(STRIPE_WEBHOOK_PATH, { config: { access: "public" } }, async (request, reply) => {
      const ctx = contextOf(request);
      const provider = await paymentProviderOf(ctx.config);
      if (!provider) throw new ServiceError("NOT_FOUND", ONLINE_PAYMENTS_OFF);
      if (!Buffer.isBuffer(request.body) || request.body.length === 0)
        throw ServiceError.validation("(body)", "expected the event Stripe sends, as JSON");
      const event = provider.parseWebhook(request.body, request.headers);
      let outcome: EventOutcome;
      try {
        outcome = await processProviderEvent(ctx, provider, event);
      } catch (error) {
        if (!(error instanceof ProviderEventFailed)) throw error;
        // 5xx makes Stripe send the event again later; the stored row keeps the error for staff meanwhile.
        return reply
          .status(500)
          .send(
            errorBody(
              "INTERNAL",
              `event ${event.id} is stored but could not be processed (provider_event.error has why); ` +
                "Stripe retries it",
              request.id,
            ),
          );
      }
      reply.header("cache-control", "no-store");
      return { received: true, event_id: event.id, outcome };
    });
  });
}
