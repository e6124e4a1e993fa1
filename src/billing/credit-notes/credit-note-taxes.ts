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
 *
 * `taxLeft`, when given, is per rate what the invoice charged less what earlier credit notes credited: no tax
 * is credited beyond it. Each note rounds its own tax, so many small notes could otherwise give back more tax
 * than the invoice charged (twenty notes on an invoice with 86 of VAT credited 92), which a tax return
 * cannot show. The cap binds only on that accumulated rounding, or once an invoice's tax is all credited.
 *
 * `creditsRest`: the note credits what is left of the invoice's net, so it credits what is left of each tax
 * (`taxLeft`), whatever its own rounding gives: notes that each rounded their tax down (three lines of 4, 4
 * and 2 at 10 % round to 0 each, the invoice's 1 of VAT on 10), or an invoice whose tax was rounded per line
 * (TAX_ROUNDING=per_line), would otherwise leave tax owed on an invoice credited in full.
 */
export function creditNoteTaxes(input: {
  net: bigint;
  rates: readonly { label: string; rate: string }[];
  compound: boolean;
  exponent: number;
  rounding: RoundingMode;
  taxLeft?: readonly bigint[] | undefined;
  creditsRest?: boolean;
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
  const taxes = totals.taxes.map((t, i) => {
    const left = input.taxLeft?.[i];
    const capped = left !== undefined && (input.creditsRest || t.amount > left);
    const amount = capped ? (left > 0n ? left : 0n) : t.amount;
    return { label: t.label, rate: t.rate.toString(), amount };
  });
  return { taxes, total: taxes.reduce((sum, t) => sum + t.amount, input.net) };
}
