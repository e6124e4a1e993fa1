import { enqueue } from "../../jobs/enqueue-job.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { lockCustomerForMoney } from "../payments/invoice-settlement.ts";

// A refund the provider made that does not fit even with every reservation of its payment ended: tokenbill's
// refunds the provider made (or is making) and this one come to more than the payment, so a fact tokenbill
// missed stands between them, most often a refund recorded succeeded whose `refund.failed` was never processed.
// Waiting for the provider to send that event again is slow, or it never comes: so whoever meets the refusal
// (the webhook, a request answered after its reservation ended, a release, a credit note's job, the look-up of
// an ended reservation) queues a look-up of the charge's refunds (look-up-charge-refunds.ts), once per payment,
// after its own transaction rolled back.

export const CHARGE_LOOK_UP = "refund.look_up_charge";

/** What the refusal says to do when no look-up was queued for it (the queueing failed), or when it finds nothing. */
const compareByHand = (who: string) =>
  `compare the payment's refunds with the charge's in ${who}'s dashboard, then correct the payment or record the difference by hand`;

/** The refusal of a provider's refund that no ending of reservations makes room for (endReservationsInTheWay). */
export class RefundBeyondPaymentError extends ServiceError {
  constructor(
    /** What was refused and why, without what to do about it. */
    readonly refusal: string,
    readonly paymentId: string,
    readonly customerId: bigint,
    /** The provider as staff read its name ("Stripe"). */
    readonly who: string,
    /** What to do: comparing by hand, unless a look-up was queued (chargeLookUpFor). */
    readonly todo = `: ${compareByHand(who)}`,
  ) {
    super("CONFLICT", `${refusal}${todo}`);
    this.name = "RefundBeyondPaymentError";
  }
}

/**
 * Where the refusal was met, which decides what its words promise: the event's next delivery, a request's
 * refund not to be asked again, a release no longer needed, or a job's next attempt (a credit note's refund,
 * the look-up of an ended reservation), which finds what the look-up recorded.
 */
export type RefusedIn = "event" | "request" | "release" | "job";

/**
 * What follows the look-up for whoever met the refusal. A look-up failed for good records nothing until staff
 * retry it, so the words say "once retried" then (they said it would record the refund, beside "failed for good").
 */
function thenFor(refusedIn: RefusedIn, who: string, failed: boolean): string {
  const byIt = failed ? "by it once retried" : "by it";
  const after = failed ? " after that" : "";
  switch (refusedIn) {
    case "event":
      return `this refund is recorded ${byIt}, or by ${who}'s next delivery of this event${after}`;
    case "request":
      return `${who} made this refund for this request, and the look-up records it${failed ? " once retried" : ""}: do not refund it again`;
    case "release":
      return `the refunds ${who} holds naming this reservation are recorded ${byIt}, which links or ends the reservation: no release is needed once it has run`;
    case "job":
      return `this refund is recorded ${byIt}, and this job's next attempt${after} finds it so (nothing is asked of ${who} again)`;
  }
}

/**
 * `error` as it is to be told: a RefundBeyondPaymentError with the look-up of its payment's charge queued (or
 * found queued, running or failed already: one per payment at a time) and its words saying so; anything else
 * unchanged. Call it once the transaction that met the refusal has rolled back. Should the queueing itself fail
 * (the database gone), the refusal is told as it was: nothing hides it.
 */
export async function chargeLookUpFor(
  ctx: ServiceContext,
  error: unknown,
  refusedIn: RefusedIn,
): Promise<unknown> {
  if (!(error instanceof RefundBeyondPaymentError)) return error;
  let job: { id: bigint; status: string } | undefined;
  try {
    job = await queueChargeLookUp(ctx, error.paymentId, error.customerId);
  } catch (queueing) {
    ctx.logger.error(
      { err: queueing, payment: error.paymentId },
      "could not queue the look-up of the charge's refunds",
    );
    return error;
  }
  const { who } = error;
  const lookUp =
    job.status === "failed"
      ? `A look-up of the charge's refunds in ${who} (job ${job.id}) failed for good: its error, among the failed jobs, says what it found; retry it once the payment is mended`
      : `A look-up of the charge's refunds in ${who} is queued (job ${job.id}): it applies each refund's status as ${who} holds it, so a failure tokenbill missed is recorded and its money returned`;
  const then = thenFor(refusedIn, who, job.status === "failed");
  return new RefundBeyondPaymentError(
    error.refusal,
    error.paymentId,
    error.customerId,
    who,
    `. ${lookUp}; ${then}. Should it find nothing to mend (a payment recorded by hand for another amount), ${compareByHand(who)}`,
  );
}

/**
 * The look-up of `paymentId`'s charge: the one queued, running or failed for good already, else a new one.
 * Under the customer's lock, as every refund of theirs is written, so two refusals at once queue one.
 */
async function queueChargeLookUp(
  ctx: ServiceContext,
  paymentId: string,
  customerId: bigint,
): Promise<{ id: bigint; status: string }> {
  const orderingKey = `payment:${paymentId}`;
  return withTransaction(ctx, async (tx) => {
    await lockCustomerForMoney(tx.db, customerId);
    // A done look-up is no reason to skip one: the provider may have moved on since it looked.
    const open = await tx.db
      .selectFrom("job")
      .select(["id", "status"])
      .where("kind", "=", CHARGE_LOOK_UP)
      .where("ordering_key", "=", orderingKey)
      .where("status", "in", ["pending", "running", "failed"])
      .orderBy("id", "desc")
      .executeTakeFirst();
    if (open) return open;
    const id = await enqueue(tx.db, CHARGE_LOOK_UP, { payment_id: paymentId }, { orderingKey });
    // No slot, so a row is always written: enqueue returns undefined only for a slot taken.
    if (id === undefined) throw new Error(`the look-up of payment ${paymentId}'s charge was not written`);
    return { id, status: "pending" };
  });
}
