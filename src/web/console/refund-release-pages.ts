import type { FastifyInstance, FastifyReply } from "fastify";
import { getPayment } from "../../billing/payments/get-payment.ts";
import type { Payment, Refund } from "../../billing/payments/payment-schemas.ts";
import {
  type RefundRelease,
  releaseRefundReservation,
} from "../../billing/providers/release-refund-reservation.ts";
import { DEFAULT_RESERVATION_AGE_MINUTES } from "../../billing/providers/reservation-age.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { confirmStaffAction, money, when } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { STAFF, staffFormOf } from "./page-helpers.ts";
import { BILLING_ROLES } from "../../services/staff/staff-roles.ts";
import { type IdRequest, REFUND_OWNERS, type RefundOwner } from "./payment-refund-pages.ts";
import { formFailureOf } from "../form-failure.ts";

// Releasing a card refund's reservation whose call to the provider never ran (docs/payments-stripe.md, "A
// reservation whose call to Stripe never ran"): the admin API's POST /api/v1/refunds/{id}/release, from the
// page that lists the refund's payment (an invoice's or a customer's). A confirmation first: the provider is
// asked, and what it answers is applied at once.

export function registerRefundReleasePages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  /** The owner's payment and its refund, or 404: ids from another page's payment are not released here. */
  const refundOf = async (
    request: IdRequest,
    owner: RefundOwner,
    ids: { payment: string; refund: string },
  ): Promise<{ payment: Payment; refund: Refund }> => {
    const payment = await getPayment({ ctx: deps.contextOf(request), input: { id: ids.payment } });
    if (!owner.owns(payment)) throw ServiceError.notFound(`payment ${ids.payment} ${owner.name}`);
    const refund = payment.refunds.find((r) => r.id === ids.refund);
    if (!refund) throw ServiceError.notFound(`refund ${ids.refund} of payment ${payment.reference}`);
    return { payment, refund };
  };

  const releasePage = async (
    request: IdRequest,
    reply: FastifyReply,
    owner: RefundOwner,
    ids: { payment: string; refund: string },
    status = 200,
    errors: FieldErrors = {},
  ) => {
    const { payment, refund } = await refundOf(request, owner, ids);
    const amount = money(refund.amount, owner.display(payment));
    return confirmStaffAction(
      deps,
      request,
      reply,
      {
        title: `Release refund ${refund.id}?`,
        message:
          `The refund of ${amount} of payment ${payment.reference} (${payment.method}) was reserved ${when(refund.created_at)} and is ${refund.status}. ` +
          `Release it when its call to ${payment.method} never ran: ${payment.method} is asked first; a refund it made is recorded as its webhook would record it, and when it has none the reservation fails and its amount can be refunded again. ` +
          `A reservation less than ${DEFAULT_RESERVATION_AGE_MINUTES} minutes old is refused: its call may still be running.`,
        action: `${owner.base}/refund-release`,
        hidden: { payment_id: payment.id, refund_id: refund.id },
        submit: "Release refund",
        cancel: owner.base,
      },
      { errors },
      status,
    );
  };

  for (const { path, ownerOf } of REFUND_OWNERS) {
    app.get<{ Params: { id: string } }>(
      `${path}/refund-release`,
      staffFormOf(deps, BILLING_ROLES),
      async (request, reply) => {
        const query = request.query as Record<string, unknown>;
        const text = (name: string) => (typeof query[name] === "string" ? (query[name] as string) : "");
        const owner = await ownerOf(deps, request);
        return releasePage(request, reply, owner, { payment: text("payment"), refund: text("refund") });
      },
    );

    app.post<{ Params: { id: string } }>(
      `${path}/refund-release`,
      { ...STAFF, ...csrf },
      async (request, reply) => {
        const form = formFields(request);
        const ids = { payment: form["payment_id"] ?? "", refund: form["refund_id"] ?? "" };
        const owner = await ownerOf(deps, request);
        let outcome: RefundRelease["outcome"];
        try {
          const { refund } = await refundOf(request, owner, ids);
          ({ outcome } = await releaseRefundReservation({
            ctx: deps.contextOf(request),
            input: { refund_id: refund.id },
          }));
        } catch (error) {
          // A refusal (not pending, too young, the provider not configured) is shown above the button.
          const failure = formFailureOf(error, []);
          if (!failure) throw error;
          return releasePage(request, reply, owner, ids, failure.status, failure.errors);
        }
        return reply.redirect(`${owner.base}?notice=refund_${outcome}`, 303);
      },
    );
  }
}
