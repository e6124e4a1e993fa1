import { timeOrderedId } from "../../kernel/time-ordered-id.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { answerIdempotencyKey, claimIdempotencyKey } from "../../kernel/idempotency-key.ts";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb, zodToServiceError } from "../../kernel/verb.ts";
import { emitInvoiceEvents } from "../invoices/emit-invoice-event.ts";
import { type LedgerLine, postLedgerEvent } from "../ledger/ledger.ts";
import { allocateOldestFirst } from "./allocate.ts";
import { fieldError } from "./field-error.ts";
import { checkPaidAt, paidAtInstant } from "./paid-at-window.ts";
import { payOpenInvoicesFromCredit } from "./pay-open-invoices-from-credit.ts";
import {
  lockCustomerForMoney,
  lockOpenInvoicesOldestFirst,
  requestDunningEvaluation,
  settleInvoiceStatuses,
} from "./invoice-settlement.ts";
import { type Payment, presentPayment, RecordPaymentInput } from "./payment-schemas.ts";
import { recordInvoicePayment } from "./record-invoice-payment.ts";
import { repeatedPayment } from "./repeated-payment.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

export interface RecordPaymentResult {
  payment: Payment;
  /** false when (method, reference) existed already: the same payment, nothing written. */
  created: boolean;
}

/**
 * Records money received (billing-rules §7) against one invoice, or against the customer, allocated to its
 * oldest open invoices first (by due date, then number); what no invoice needs becomes credit. One
 * transaction: the payment row, its ledger event `pay:<id>` (cash +P, receivable −a per invoice,
 * credit −rest), the invoices' new states, `payment.received` (and `invoice.paid`) jobs, the audit row, and
 * a dunning evaluation. A payment against one invoice is a single statement (record-invoice-payment.ts),
 * which needs no explicit transaction around it: autocommit makes it one.
 */
export const recordPayment = defineVerb(
  RecordPaymentInput,
  async ({ ctx, input: given }): Promise<RecordPaymentResult> => {
    // Staff need a billing role; operators' keys pass without a query (the hot path of bench/payments).
    await requireStaffRole(ctx, ...BILLING_ROLES);
    // Staff's date is judged here, not in recordPaymentIn: a provider's webhook records its payment there
    // with the provider's own date (paid-at-window.ts).
    const zone = ctx.config.BILLING_TIME_ZONE;
    checkPaidAt(given.paid_at, ctx.now(), zone);
    const input = { ...given, paid_at: paidAtInstant(given.paid_at, zone) };
    if (ctx.idempotency) {
      // With an Idempotency-Key the key, the payment and the answer commit together; a retry under the key
      // is answered as the first request was, whatever its reference (a client that made a new reference
      // for its retry would otherwise record the money twice).
      return withTransaction(ctx, async (tx) => {
        await claimIdempotencyKey(tx, ctx.idempotency);
        const result =
          input.invoice_id !== undefined
            ? await recordInvoicePayment(tx.db, ctx, { ...input, invoice_id: input.invoice_id })
            : await recordPaymentIn(tx.db, tx, input);
        await answerIdempotencyKey(tx, ctx.idempotency, result.payment, result.created ? 201 : 200);
        return result;
      });
    }
    return input.invoice_id !== undefined
      ? recordInvoicePayment(ctx.db, ctx, { ...input, invoice_id: input.invoice_id })
      : withTransaction(ctx, (tx) => recordPaymentIn(tx.db, tx, input));
  },
);

/** The same inside a caller's transaction (a provider's webhook records its payment this way). */
export async function recordPaymentIn(
  trx: Tx,
  ctx: ServiceContext,
  raw: RecordPaymentInput | Parameters<typeof recordPayment>[0]["input"],
): Promise<RecordPaymentResult> {
  const parsed = RecordPaymentInput.safeParse(raw);
  if (!parsed.success) throw zodToServiceError(parsed.error);
  const input = { ...parsed.data, paid_at: paidAtInstant(parsed.data.paid_at, ctx.config.BILLING_TIME_ZONE) };

  // A payment against one invoice writes all its rows in one statement; a customer payment, allocated over
  // several invoices, step by step below.
  if (input.invoice_id !== undefined)
    return recordInvoicePayment(trx, ctx, { ...input, invoice_id: input.invoice_id });
  const customerId = input.customer_id as bigint;

  // The customer first, then its invoices: every money event locks in this order.
  const customer = await lockCustomerForMoney(trx, customerId);
  const currency = customer.currency_code;
  const open = await lockOpenInvoicesOldestFirst(trx, customerId, currency);
  if (input.currency !== undefined && input.currency !== currency) {
    throw fieldError("VALIDATION", "currency", `must be ${currency}, the currency of the customer`);
  }
  const { allocations, credit } = allocateOldestFirst(input.amount, open);

  const now = ctx.now();
  const inserted = await trx
    .insertInto("payment")
    .values({
      id: timeOrderedId("pay"),
      customer_id: customerId,
      currency_code: currency,
      amount: input.amount,
      method: input.method,
      reference: input.reference,
      invoice_id: null,
      paid_at: input.paid_at ?? now,
      created_at: now,
    })
    // The same (method, reference) again — a repeated call, or a concurrent one that won the race — is the
    // payment already recorded: found below (once it committed), nothing written here.
    .onConflict((oc) => oc.constraint("payment_method_reference").doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) return repeatedPayment(trx, input, customerId);

  const lines: LedgerLine[] = [
    { account: "cash", amount: input.amount, paymentId: inserted.id },
    ...allocations.map((a) => ({
      account: "receivable" as const,
      amount: -a.amount,
      invoiceId: a.invoiceId,
      paymentId: inserted.id,
    })),
    { account: "credit", amount: -credit, paymentId: inserted.id },
  ];
  await postLedgerEvent(trx, {
    id: `pay:${inserted.id}`,
    kind: "payment",
    customerId,
    currency,
    at: now,
    lines,
  });
  // Credit held from before (books from before 2026-12) pays what this payment left open.
  const creditPaid = await payOpenInvoicesFromCredit(trx, ctx, {
    customerId,
    currency,
    at: now,
    sourceEventId: `pay:${inserted.id}`,
  });
  const changes = await settleInvoiceStatuses(
    trx,
    [...allocations, ...creditPaid].map((a) => a.invoiceId),
    now,
  );
  // A customer payment announces itself on each invoice it paid (none when all of it became credit).
  await emitInvoiceEvents(trx, {
    event: "payment.received",
    invoiceIds: allocations.map((a) => a.invoiceId),
    at: now,
    subject: { payment_id: inserted.id },
  });
  // Just written: what it pays and holds is known, no refund exists yet.
  const payment = presentPayment(inserted, {
    allocations: allocations
      .filter((a) => a.amount !== 0n)
      .map((a) => ({ invoice_id: a.invoiceId, amount: a.amount }))
      .sort((a, b) => (a.invoice_id < b.invoice_id ? -1 : a.invoice_id > b.invoice_id ? 1 : 0)),
    credit,
    refunds: [],
  });
  await recordAudit(trx, ctx, {
    action: "record",
    entity: "payment",
    entityId: inserted.id,
    before: null,
    after: {
      amount: String(input.amount),
      currency,
      method: input.method,
      reference: input.reference,
      invoice_id: null,
      customer_id: String(customerId),
      allocations: allocations.map((a) => ({ invoice_id: a.invoiceId, amount: String(a.amount) })),
      credit: String(credit),
      invoice_states: changes,
    },
  });
  await requestDunningEvaluation(trx, customerId);
  return { payment, created: true };
}
