import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { listFailingProviderEvents } from "../../billing/providers/failing-provider-events.ts";
import { retryProviderEvent } from "../../billing/providers/retry-provider-event.ts";
import { listActionFailureOf } from "../form-failure.ts";
import { walkPagerOf, walkQuery } from "../list-walk.ts";
import { staffPage, when } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import type { WebDeps } from "../web-deps.ts";
import { noticeFrom, param, STAFF } from "./page-helpers.ts";

// The payment provider events stored failing, oldest first, 50 a page, each with Retry (billing and above:
// processing one moves money). The doctor's "payment provider events" line points here. A failed retry's
// reason is shown above the list, as the failed jobs page shows a refused retry.

export const PROVIDER_EVENTS_PAGE = "/console/payment-events";

const EVENT_NOTICES: Record<string, string> = {
  processed: "The event is processed: the books have what it said, and it leaves this list.",
  ignored: "The event is processed: nothing in the books needed to change, and it leaves this list.",
  duplicate: "The event was processed already (by a delivery, or an earlier retry): nothing changed.",
};

export function registerProviderEventPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  const listPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    errors: FieldErrors = {},
    status = 200,
  ) => {
    const page = await listFailingProviderEvents({ ctx: deps.contextOf(request), input: walkQuery(request) });
    return staffPage(
      deps,
      request,
      reply,
      "console-provider-events",
      {
        title: "Failing payment events",
        events: page.data.map((e) => ({
          ...e,
          when: when(e.received_at),
          // The provider's id as one path segment, whatever it holds.
          action: `${PROVIDER_EVENTS_PAGE}/${encodeURIComponent(e.provider)}/${encodeURIComponent(e.event_id)}/retry`,
        })),
        pager: walkPagerOf(request, page.meta),
        notice: noticeFrom(request, EVENT_NOTICES),
        errors,
      },
      status,
    );
  };

  app.get(PROVIDER_EVENTS_PAGE, STAFF, (request, reply) => listPage(request, reply));

  app.post(
    `${PROVIDER_EVENTS_PAGE}/:provider/:event_id/retry`,
    { ...STAFF, ...csrf },
    async (request, reply) => {
      let outcome: string;
      try {
        const input = { provider: param(request, "provider"), event_id: param(request, "event_id") };
        outcome = (await retryProviderEvent({ ctx: deps.contextOf(request), input })).outcome;
      } catch (error) {
        const failure = listActionFailureOf(error);
        if (!failure) throw error;
        return listPage(request, reply, failure.errors, failure.status);
      }
      return reply.redirect(`${PROVIDER_EVENTS_PAGE}?notice=${outcome}`, 303);
    },
  );
}
