import type { Anomaly } from "./anomaly.ts";

interface VoidInvoice {
  id: string;
  customer_id: bigint;
  number: string | null;
  currency_code: string;
  void_reason: string | null;
}

/**
 * A run computed usage for a customer whose invoice of the period is void. The void invoice keeps the
 * (customer, period) slot (billing-rules §5: one usage invoice per customer and period; its number stays
 * used), so no run can bill this usage again: the run says so, with the amount now computed, instead of
 * counting the void invoice as present and saying nothing.
 */
export function voidInvoiceAnomaly(
  stored: VoidInvoice,
  period: string,
  draft: { tokens: bigint; totals: { total: bigint }; facts: { currency: { code: string } } },
): Anomaly {
  const label = stored.number ?? stored.id;
  return {
    kind: "invoice_void",
    message:
      `invoice ${label} of customer ${stored.customer_id} for ${period} is void, so no live invoice bills this ` +
      `period's usage: this run computed ${draft.totals.total} ${draft.facts.currency.code} minor units ` +
      `(${draft.tokens} tokens). The void invoice keeps the customer's slot for the period, so tokenbill cannot ` +
      "issue another usage invoice for it: bill this amount outside tokenbill, or leave it unbilled " +
      "(docs/billing-cycle.md, known limits)",
    customerId: stored.customer_id,
    billingUserId: stored.customer_id,
    details: {
      invoice_id: stored.id,
      number: stored.number,
      status: "void",
      void_reason: stored.void_reason,
      period,
      unbilled: { total: draft.totals.total, tokens: draft.tokens, currency: draft.facts.currency.code },
      currency: { stored: stored.currency_code, now: draft.facts.currency.code },
    },
  };
}
