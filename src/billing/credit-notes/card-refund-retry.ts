import type { Db } from "../../kernel/context.ts";
import { CreditNoteRefundPayload } from "../../jobs/job-payloads.ts";

// A staff retry of a failed `credit_note.refund` job does something only while its reservation is pending and
// unlinked: the job then looks in Stripe and asks. Once the reservation has ended (Stripe refused it, an
// amount it cannot refund, a refund of another amount naming it) or is linked to Stripe's refund, the job
// would ask nothing and end "done", which until 2026-12-07 the console showed for a retry that did nothing.
// Asking again after an ending would need the credit the release freed, which may have paid invoices since:
// so the retry is refused, saying what became of the refund and what staff can do instead.

/** Why retrying the job of `payload` would do nothing; null when it would look and ask. */
export async function whyCardRefundRetryDoesNothing(db: Db, payload: unknown): Promise<string | null> {
  const parsed = CreditNoteRefundPayload.safeParse(
    typeof payload === "string" ? JSON.parse(payload) : payload,
  );
  if (!parsed.success) return null;
  const refundId = parsed.data.refund_id;
  const row = await db
    .selectFrom("refund")
    .select(["status", "provider_refund_id", "payment_id"])
    .where("id", "=", refundId)
    .executeTakeFirst();
  if (!row) return `refund ${refundId} no longer exists: there is nothing for this job to ask`;
  if (row.status === "pending" && row.provider_refund_id === null) return null;
  if (row.provider_refund_id !== null)
    return `refund ${refundId} is ${row.status}, linked to the payment provider's refund ${row.provider_refund_id}: the provider made it, and its events settle it; there is nothing for this job to ask`;
  return `refund ${refundId} is ${row.status} with no payment provider refund behind it: the reservation was released, its amount is the customer's credit (it paid their open invoices first), and a retry would ask for nothing. To send money to the card after all, refund the payment anew (POST /api/v1/payments/${row.payment_id}/refunds)`;
}
