import { z } from "zod";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { successAnswer } from "../../kernel/idempotency.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";
import { fieldError } from "../payments/field-error.ts";
import { settleIdempotencyKeyOfRefund } from "../payments/idempotency-key.ts";
import { presentRefund, Refund } from "../payments/payment-schemas.ts";
import { settleRefundIn } from "../payments/refund-payment.ts";
import { applyFoundRefund } from "./apply-refund-fact.ts";
import type { FoundRefund, PaymentProvider } from "./payment-provider.ts";
import { paymentProviderOf } from "./provider-from-config.ts";
import { chargeLookUpFor } from "./refund-beyond-payment.ts";
import { DEFAULT_RESERVATION_AGE_MINUTES, MIN_RESERVATION_AGE_MINUTES } from "./reservation-age.ts";

// A refund through the provider is reserved (a pending row holding its amount) and committed before the
// provider is asked (refund-through-provider.ts). A process that died between the two left the reservation
// pending for good: no provider refund exists, so no webhook will ever settle it. Releasing it asks the
// provider first, since the request may have reached it after all (the answer lost): what the provider has
// is applied as its webhook would apply it (the other refunds naming the reservation too, as refunds of the
// payment); only when it has nothing is the reservation failed and its
// amount freed. An Idempotency-Key left waiting on the reservation is answered with it, and freed only when
// the provider has no refund naming the reservation at all.

export const RefundIdParams = z.object({
  id: z.string().regex(/^ref_[0-9a-f]{1,64}$/, "must be a refund id (ref_…)"),
});

export const ReleaseRefundBody = z
  .object({
    older_than_minutes: z
      .number()
      .int()
      .min(MIN_RESERVATION_AGE_MINUTES)
      .max(10_080)
      .default(DEFAULT_RESERVATION_AGE_MINUTES)
      .meta({ description: "refuse (409) a reservation younger than this; at least 5, default 15" }),
  })
  .strict();

export const ReleaseRefundInput = ReleaseRefundBody.extend({ refund_id: RefundIdParams.shape.id }).strict();

export const RefundRelease = z.object({
  outcome: z.enum(["settled", "linked", "released"]).meta({
    description:
      "settled: the provider had made the refund and said how it ended; linked: the provider has it, still pending (its webhook settles it); released: the provider has no refund of its amount (none at all, or only refunds of another amount naming it, recorded as refunds of the payment), the reservation failed and its amount is free",
  }),
  refund: Refund,
});
export type RefundRelease = z.output<typeof RefundRelease>;

export const releaseRefundReservation = defineVerb(
  ReleaseRefundInput,
  async ({ ctx, input }): Promise<RefundRelease> => {
    await requireStaffRole(ctx, ...BILLING_ROLES);
    const row = await ctx.db
      .selectFrom("refund")
      .innerJoin("payment", "payment.id", "refund.payment_id")
      .innerJoin("currency", "currency.code", "payment.currency_code")
      .select([
        "refund.id",
        "refund.status",
        "refund.created_at",
        "refund.provider_refund_id",
        "refund.amount",
        "payment.method",
        "payment.reference",
        "currency.code",
        "currency.exponent",
      ])
      .where("refund.id", "=", input.refund_id)
      .executeTakeFirst();
    if (!row) throw fieldError("NOT_FOUND", "refund_id", `refund ${input.refund_id} not found`);
    if (row.status !== "pending")
      throw fieldError(
        "CONFLICT",
        "refund_id",
        `refund ${row.id} is ${row.status}; only a pending reservation can be released`,
      );
    const ageMinutes = (ctx.now().getTime() - row.created_at.getTime()) / 60_000;
    if (ageMinutes < input.older_than_minutes)
      throw fieldError(
        "CONFLICT",
        "refund_id",
        `refund ${row.id} was reserved ${Math.floor(ageMinutes)} minutes ago; only one older than ` +
          `${input.older_than_minutes} minutes is released (its provider call may still be running)`,
      );
    const provider = await paymentProviderOf(ctx.config);
    if (!provider || provider.name !== row.method)
      throw new ServiceError(
        "CONFLICT",
        `refund ${row.id} is of a ${row.method} payment and ${row.method} is not configured: it cannot be asked ` +
          "whether it made the refund (set STRIPE_SECRET_KEY)",
      );
    // Outside any transaction: nothing is locked while the provider answers.
    const found = await provider.findRefund({
      paymentRef: row.reference,
      refundId: row.id,
      providerRefundId: row.provider_refund_id,
      reserved: { amount: row.amount, currency: { code: row.code, exponent: row.exponent } },
    });
    if (!found && row.provider_refund_id !== null)
      throw fieldError(
        "CONFLICT",
        "refund_id",
        `refund ${row.id} is linked to ${provider.name} refund ${row.provider_refund_id}, which ${provider.name} does not know: look in its dashboard`,
      );

    try {
      return await releaseIn(ctx, row, found, provider);
    } catch (error) {
      // A refund the provider holds naming the reservation that no ending makes room for: a look-up of the
      // charge's refunds is queued, and the 409 says so (refund-beyond-payment.ts).
      throw await chargeLookUpFor(ctx, error, "release");
    }
  },
);

/** Applies what the provider has of the reservation, then fails it if nothing linked it: one transaction. */
function releaseIn(
  ctx: ServiceContext,
  row: { id: string; status: string; provider_refund_id: string | null },
  found: FoundRefund | null,
  provider: PaymentProvider,
): Promise<RefundRelease> {
  return withTransaction(ctx, async (tx) => {
    if (found) await applyFoundRefund(tx, provider, found);
    // Nothing the provider has is this reservation (none at all, or one its webhook rules could not match
    // to it): the reservation fails and frees its amount. A row linked meanwhile is left as it is.
    await settleRefundIn(tx.db, tx, { refund_id: row.id, status: "failed", onlyUnlinked: true });
    const after = presentRefund(
      await tx.db.selectFrom("refund").selectAll().where("id", "=", row.id).executeTakeFirstOrThrow(),
    );
    const outcome: RefundRelease["outcome"] =
      after.status === "failed" && after.provider_refund_id === null
        ? "released"
        : after.status === "pending"
          ? "linked"
          : "settled";
    // A client's key waiting on this reservation is freed only when the provider has no refund naming it
    // (a retry may ask again). Any refund naming it moved money for this request, so the key keeps an
    // answer, a retry never asks twice: the refund it made, or, when it has only refunds of another amount
    // (which ended the reservation) or ones recorded elsewhere, the reservation as it ended, as the look-up
    // of an ended reservation answers it (look-up-ended-reservation.ts). Until 2026-12-07 a release freed
    // that key, and a retry had the provider refund the payment again.
    await settleIdempotencyKeyOfRefund(
      tx.db,
      row.id,
      found === null ? null : successAnswer(201, after),
      tx.now(),
    );
    await recordAudit(tx.db, tx, {
      action: "release",
      entity: "refund",
      entityId: row.id,
      before: { status: row.status, provider_refund_id: row.provider_refund_id },
      after: { outcome, status: after.status, provider_refund_id: after.provider_refund_id },
    });
    return { outcome, refund: after };
  });
}
