import { recordAudit } from "../../kernel/audit.ts";
import { answerIdempotencyKey, claimIdempotencyKey } from "../../kernel/idempotency-key.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { jsonText } from "../../kernel/json.ts";
import { type TxContext, withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { invoiceAmountDue } from "../ledger/ledger.ts";
import { lockCustomerForMoney } from "../payments/invoice-settlement.ts";
import { checkPaidAt, paidAtInstant } from "../payments/paid-at-window.ts";
import { recordPaymentIn } from "../payments/record-payment.ts";
import { readInvoice } from "./get-invoice.ts";
import { type Invoice, InvoiceIdParams, MarkPaidInput } from "./invoice-schemas.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

/**
 * The first API's "mark paid", kept working on top of payments (billing-rules §7): it records a manual
 * payment of the invoice's whole amount due (the amount sent must equal it), dated `date`, under
 * `reference`, which moves the invoice to paid. The invoice's `payment` block keeps showing it.
 */
export const markInvoicePaid = defineVerb(
  MarkPaidInput.extend(InvoiceIdParams.shape),
  async ({ ctx, input }): Promise<Invoice> => {
    await requireStaffRole(ctx, ...BILLING_ROLES);
    // The day's first instant in BILLING_TIME_ZONE, as a date-only paid_at (paid-at-window.ts).
    const zone = ctx.config.BILLING_TIME_ZONE;
    checkPaidAt(input.date, ctx.now(), zone, "date");
    const paidAt = paidAtInstant(input.date, zone);
    return withTransaction(ctx, async (tx) => {
      // With an Idempotency-Key, the key and the payment commit together and a retry gets this answer.
      await claimIdempotencyKey(tx, ctx.idempotency);
      const paid = await markPaidIn(tx, input, paidAt);
      await answerIdempotencyKey(tx, ctx.idempotency, paid);
      return paid;
    });
  },
);

/** Mark-paid inside the verb's transaction: the customer locked, then the invoice, then the payment. */
async function markPaidIn(
  tx: TxContext,
  input: MarkPaidInput & { id: string },
  paidAt: Date,
): Promise<Invoice> {
  const target = await tx.db
    .selectFrom("invoice")
    .select("customer_id")
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!target) throw ServiceError.notFound(`invoice ${input.id}`);
  await lockCustomerForMoney(tx.db, target.customer_id);
  const row = await tx.db
    .selectFrom("invoice")
    .select(["status"])
    .where("id", "=", input.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  // Sent again (a retry after a lost answer): the payment it recorded is found by its reference, as every
  // payment's repeat is, and the invoice is answered as it is now, nothing written. Until 2026-12-05 the
  // retry met the invoice it had paid and was refused (409 "is paid").
  if (await sameMarkPaid(tx.db, input, paidAt)) return readInvoice(tx.db, input.id);
  if (row.status !== "finalized" && row.status !== "partially_paid") {
    throw new ServiceError(
      "CONFLICT",
      `invoice ${input.id} is ${row.status}; only a finalized or partially paid invoice can be marked paid`,
    );
  }
  const due = await invoiceAmountDue(tx.db, input.id);
  if (input.amount !== due) {
    throw ServiceError.validation(
      "amount",
      `must equal the invoice's amount due ${due} (minor units); record a partial payment with POST /api/v1/invoices/${input.id}/payments`,
    );
  }
  await recordPaymentIn(tx.db, tx, {
    invoice_id: input.id,
    amount: input.amount,
    method: "manual",
    reference: input.reference,
    paid_at: paidAt,
  });
  const now = tx.now();
  await tx.db
    .updateTable("invoice")
    .set({
      paid_amount: input.amount,
      paid_date: input.date,
      paid_reference: input.reference,
      paid_at: now,
      updated_at: now,
    })
    .where("id", "=", input.id)
    .execute();
  const after = await readInvoice(tx.db, input.id);
  await recordAudit(tx.db, tx, {
    action: "mark_paid",
    entity: "invoice",
    entityId: input.id,
    before: { status: row.status },
    after: JSON.parse(jsonText({ status: after.status, payment: after.payment })),
  });
  return after;
}

/** A manual payment under this reference that is this very call's: same invoice, amount and date. */
async function sameMarkPaid(
  db: TxContext["db"],
  input: { id: string; amount: bigint; date: string; reference: string },
  paidAt: Date,
): Promise<boolean> {
  const earlier = await db
    .selectFrom("payment")
    .select(["invoice_id", "amount", "paid_at"])
    .where("method", "=", "manual")
    .where("reference", "=", input.reference)
    .executeTakeFirst();
  return (
    earlier !== undefined &&
    earlier.invoice_id === input.id &&
    earlier.amount === input.amount &&
    // The date's first instant in the billing zone, or its midnight in UTC as it was recorded until 2026-12-06.
    [paidAt.getTime(), Date.parse(`${input.date}T00:00:00Z`)].includes(new Date(earlier.paid_at).getTime())
  );
}
