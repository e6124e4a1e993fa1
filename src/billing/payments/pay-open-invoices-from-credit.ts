import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { type LedgerEvent, postLedgerEvents } from "../ledger/ledger.ts";
import { type Allocation, allocateOldestFirst } from "./allocate.ts";
import { lockOpenInvoicesOldestFirst } from "./invoice-settlement.ts";
import { spendableCredit } from "./spendable-credit.ts";

/**
 * Credit never sits beside an open invoice of its currency (our reading of billing-rules §7, docs/payments.md
 * "Credit"): after a money event that made credit (a credit note settled as credit) or reopened an invoice (a
 * refund), the customer's credit pays their open invoices oldest first, as a customer payment's money does
 * (allocateOldestFirst). One `credit_applied` event per invoice paid, `cra:<invoice>:<source event>` (credit
 * +x, receivable −x), as credit applied at finalization is written, so a later refund of the payment that gave
 * the credit finds and reopens it there. Without it dunning suspended a customer in net credit for an invoice
 * their credit covered. Call it after lockCustomerForMoney, in the event's transaction, before
 * settleInvoiceStatuses (which announces `invoice.paid`). Only spendable credit is spent: none held for a
 * credit note's pending card refund (spendable-credit.ts), which includes the card shares of a note being
 * issued (reserved in its transaction, before this runs); `reopened` the invoices the event reopened whose
 * status still reads `paid`.
 * Nothing is applied with CREDIT_APPLY_ON_FINALIZE off.
 */
export async function payOpenInvoicesFromCredit(
  trx: Tx,
  ctx: ServiceContext,
  input: {
    customerId: bigint;
    currency: string;
    at: Date;
    /** The ledger event that left the credit beside open invoices: names the new events. */
    sourceEventId: string;
    reopened?: readonly string[];
  },
): Promise<Allocation[]> {
  // A provider who turned CREDIT_APPLY_ON_FINALIZE off keeps credit as credit: new invoices are finalized
  // beside it, so paying older ones from it after some other event would apply it at random moments.
  if (!ctx.config.CREDIT_APPLY_ON_FINALIZE) return [];
  const spendable = await spendableCredit(trx, input.customerId, input.currency);
  if (spendable <= 0n) return [];
  const open = await lockOpenInvoicesOldestFirst(trx, input.customerId, input.currency, input.reopened);
  const { allocations } = allocateOldestFirst(spendable, open);
  const events: LedgerEvent[] = allocations.map((a) => ({
    id: `cra:${a.invoiceId}:${input.sourceEventId}`,
    kind: "credit_applied",
    customerId: input.customerId,
    currency: input.currency,
    at: input.at,
    lines: [
      { account: "credit", amount: a.amount, invoiceId: a.invoiceId },
      { account: "receivable", amount: -a.amount, invoiceId: a.invoiceId },
    ],
  }));
  await postLedgerEvents(trx, events);
  // One `invoice.apply_credit` audit row per invoice, as at finalization, naming the event that led to it.
  for (const a of allocations) {
    await recordAudit(trx, ctx, {
      action: "apply_credit",
      entity: "invoice",
      entityId: a.invoiceId,
      before: null,
      after: { credit_applied: String(a.amount), after_event: input.sourceEventId },
    });
  }
  return allocations;
}
