import { Decimal, type RoundingMode } from "../../domain/decimal.ts";
import { computeInvoiceTotals } from "../../domain/invoice-math.ts";

export interface CreditNoteTax {
  label: string;
  rate: string;
  amount: bigint;
}

/**
 * The taxes of a credit note (billing-rules §4 on its net): the invoice's rates, in order, simple or
 * compound as on the invoice, rounded once on the credit note's net. The net is passed to §4's own
 * computation as one line worth exactly `net` minor units (B = one minor unit, no discounts), so credit
 * notes and invoices can never round taxes differently.
 */
export function creditNoteTaxes(input: {
  net: bigint;
  rates: readonly { label: string; rate: string }[];
  compound: boolean;
  exponent: number;
  rounding: RoundingMode;
}): { taxes: CreditNoteTax[]; total: bigint } {
  const totals = computeInvoiceTotals({
    lines: [{ tokens: input.net }],
    base: Decimal.of(1n, input.exponent),
    discounts: [],
    taxes: {
      compound: input.compound,
      rates: input.rates.map((r) => ({ label: r.label, rate: Decimal.parse(r.rate) })),
    },
    taxExempt: false,
    exponent: input.exponent,
    rounding: input.rounding,
  });
  return {
    taxes: totals.taxes.map((t) => ({ label: t.label, rate: t.rate.toString(), amount: t.amount })),
    total: totals.total,
  };
}
