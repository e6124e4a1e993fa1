import { ServiceError } from "../kernel/errors.ts";
import { Decimal, type RoundingMode } from "./decimal.ts";
import { toMinorUnits, validateExponent } from "./money.ts";
import { type TaxSet, validateMultiplier, validateTaxRate } from "./pricing.ts";

// The totals of one invoice (billing-rules §4). Every amount is bigint minor units; rounding happens
// only at the points §4 names: each line, each discount, each tax (per invoice).
// §4's bound |total − Σ tokens × U| ≤ (lines + discounts + taxes) × 0.5 fails when taxes are positive
// (15 tokens at USD 0.001, 25 % tax: total 3¢ vs exact 1.875¢); what holds is T × (…) × 0.5, see the test.

export interface InvoiceInputLine {
  tokens: bigint;
}

export interface InvoiceTotals {
  lineAmounts: bigint[];
  subtotal: bigint;
  discounts: { name: string; amount: bigint }[];
  net: bigint;
  taxes: { label: string; rate: Decimal; amount: bigint }[];
  total: bigint;
}

/**
 * Lines: round(tokens × B). Discounts in order: round(running × (1 − m)), running = subtotal minus the
 * discounts before it. Taxes in order on net (simple) or on net plus the taxes before (compound).
 * A tax-exempt customer gets no tax rows at all (T = 1, §3).
 */
export function computeInvoiceTotals(input: {
  lines: readonly InvoiceInputLine[];
  base: Decimal;
  discounts: readonly { name: string; multiplier: Decimal }[];
  taxes: TaxSet;
  taxExempt: boolean;
  exponent: number;
  rounding?: RoundingMode;
}): InvoiceTotals {
  const mode = input.rounding ?? "half_away_from_zero";
  const exponent = validateExponent(input.exponent);
  if (input.base.isNegative()) {
    throw ServiceError.validation(
      "base",
      `token unit cost must not be negative (got ${input.base.toString()})`,
    );
  }
  // Minor-unit integers are re-read as decimals at scale 0 so the next rounding point sees them exactly.
  const roundMinor = (exactMinor: Decimal): bigint => exactMinor.roundToBigInt(0, mode);

  const lineAmounts = input.lines.map((line, i) => {
    if (line.tokens < 0n) throw ServiceError.validation(`lines[${i}].tokens`, "must not be negative");
    return toMinorUnits(input.base.mul(line.tokens), exponent, mode);
  });
  const subtotal = lineAmounts.reduce((a, b) => a + b, 0n);

  let running = subtotal;
  const discounts = input.discounts.map((d, i) => {
    const m = validateMultiplier(d.multiplier, `discounts[${i}].multiplier`);
    const amount = roundMinor(Decimal.ONE.sub(m).mul(running));
    running -= amount;
    return { name: d.name, amount };
  });
  const net = running;

  const taxes: InvoiceTotals["taxes"] = [];
  if (!input.taxExempt) {
    let taxed = net;
    for (const [i, t] of input.taxes.rates.entries()) {
      validateTaxRate(t.rate, `taxes.rates[${i}].rate`);
      const base = input.taxes.compound ? taxed : net;
      const amount = roundMinor(t.rate.divPow10(2).mul(base));
      taxed += amount;
      taxes.push({ label: t.label, rate: t.rate, amount });
    }
  }
  const total = net + taxes.reduce((a, t) => a + t.amount, 0n);
  return { lineAmounts, subtotal, discounts, net, taxes, total };
}
