import type { Anomaly } from "./anomaly.ts";

interface VoidInvoice {
  id: string;
  customer_id: bigint;
  number: string | null;
  currency_code: string;
  void_reason: string | null;
}

/**
 * A run computed usage for a customer whose invoice of the period is void and still holds the customer's
 * (customer, period) slot (billing-rules §5: one usage invoice per customer and period; its number stays
 * used), so the run bills nothing for them: it says so, with the amount now computed and how to bill it
 * (reissue, migration 027), instead of counting the void invoice as present and saying nothing.
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
      `(${draft.tokens} tokens). The void invoice keeps the customer's slot for the period: to bill it, reissue ` +
      `the invoice (POST /api/v1/invoices/${stored.id}/reissue, or Reissue in the console) and run ${period} ` +
      'again; otherwise it stays unbilled (docs/billing-cycle.md, "Voiding and reissuing")',
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
