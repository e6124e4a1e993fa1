import { ServiceError } from "../kernel/errors.ts";
import { Decimal, type RoundingMode } from "./decimal.ts";
import { toMinorUnits, validateExponent } from "./money.ts";
import { type TaxSet, validateMultiplier, validateTaxRate } from "./pricing.ts";
import { divRound } from "./rounding.ts";

// The totals of one invoice (billing-rules §4). Every amount is bigint minor units; rounding happens
// only at the points §4 names: each line, each discount, each tax (per invoice, or per line: §4.4).
// §4's bound |total − Σ tokens × U| ≤ (lines + discounts + taxes) × 0.5 fails when taxes are positive
// (15 tokens at USD 0.001, 25 % tax: total 3¢ vs exact 1.875¢); what holds is T × (…) × 0.5, see the test.

/** Where taxes are rounded (billing-rules §4.4, setting TAX_ROUNDING): once per invoice, or on each line. */
export type TaxRounding = "per_invoice" | "per_line";
export const TAX_ROUNDINGS: readonly TaxRounding[] = ["per_invoice", "per_line"];

export interface InvoiceInputLine {
  tokens: bigint;
}

export interface InvoiceTax {
  label: string;
  rate: Decimal;
  /** The taxable base in minor units: what the rate was applied to (summed over lines under per_line). */
  base: bigint;
  amount: bigint;
}

export interface InvoiceTotals {
  lineAmounts: bigint[];
  subtotal: bigint;
  discounts: { name: string; amount: bigint }[];
  net: bigint;
  taxes: InvoiceTax[];
  total: bigint;
  /** Only under per_line: each line's share of the net, and its taxes (`taxes[line][tax]`). */
  perLine?: { nets: bigint[]; taxes: bigint[][] };
}

/**
 * Lines: round(tokens × B). Discounts in order: round(running × (1 − m)), running = subtotal minus the
 * discounts before it. Taxes in order on net (simple) or on net plus the taxes before (compound); with
 * `taxRounding: "per_line"` the same rule runs on each line's share of the net (lineNets) and the
 * invoice's tax is the sum of the lines' taxes. A tax-exempt customer gets no tax rows at all (T = 1, §3).
 */
export function computeInvoiceTotals(input: {
  lines: readonly InvoiceInputLine[];
  base: Decimal;
  discounts: readonly { name: string; multiplier: Decimal }[];
  taxes: TaxSet;
  taxExempt: boolean;
  exponent: number;
  rounding?: RoundingMode;
  taxRounding?: TaxRounding;
}): InvoiceTotals {
  const mode = input.rounding ?? "half_away_from_zero";
  const taxRounding = validateTaxRounding(input.taxRounding ?? "per_invoice");
  const exponent = validateExponent(input.exponent);
  if (input.base.isNegative()) {
    throw ServiceError.validation(
      "base",
      `token unit cost must not be negative (got ${input.base.toString()})`,
    );
  }

  const lineAmounts = input.lines.map((line, i) => {
    if (line.tokens < 0n) throw ServiceError.validation(`lines[${i}].tokens`, "must not be negative");
    return toMinorUnits(input.base.mul(line.tokens), exponent, mode);
  });
  const subtotal = lineAmounts.reduce((a, b) => a + b, 0n);

  let running = subtotal;
  const discounts = input.discounts.map((d, i) => {
    const m = validateMultiplier(d.multiplier, `discounts[${i}].multiplier`);
    const amount = roundMinor(Decimal.ONE.sub(m).mul(running), mode);
    running -= amount;
    return { name: d.name, amount };
  });
  const net = running;

  const rates = input.taxExempt ? [] : input.taxes.rates;
  for (const [i, t] of rates.entries()) validateTaxRate(t.rate, `taxes.rates[${i}].rate`);
  let taxes: InvoiceTax[];
  let perLine: InvoiceTotals["perLine"];
  if (taxRounding === "per_invoice") {
    const one = taxesOn(net, rates, input.taxes.compound, mode);
    taxes = rates.map((t, j) => ({
      label: t.label,
      rate: t.rate,
      base: one[j]!.base,
      amount: one[j]!.amount,
    }));
  } else {
    const nets = lineNets(lineAmounts, net, mode);
    const each = nets.map((n) => taxesOn(n, rates, input.taxes.compound, mode));
    taxes = rates.map((t, j) => ({
      label: t.label,
      rate: t.rate,
      base: each.reduce((sum, line) => sum + line[j]!.base, 0n),
      amount: each.reduce((sum, line) => sum + line[j]!.amount, 0n),
    }));
    perLine = { nets, taxes: each.map((line) => line.map((t) => t.amount)) };
  }
  const total = net + taxes.reduce((a, t) => a + t.amount, 0n);
  return { lineAmounts, subtotal, discounts, net, taxes, total, ...(perLine ? { perLine } : {}) };
}

// Minor-unit integers are re-read as decimals at scale 0 so the next rounding point sees them exactly.
function roundMinor(exactMinor: Decimal, mode: RoundingMode): bigint {
  return exactMinor.roundToBigInt(0, mode);
}

function validateTaxRounding(value: string): TaxRounding {
  if (!(TAX_ROUNDINGS as readonly string[]).includes(value)) {
    throw ServiceError.validation(
      "taxRounding",
      `must be one of ${TAX_ROUNDINGS.join(", ")} (got ${JSON.stringify(value)})`,
    );
  }
  return value as TaxRounding;
}

/** §4.4 on one amount: each rate on the amount (simple) or on the amount plus the taxes before (compound). */
function taxesOn(
  amount: bigint,
  rates: TaxSet["rates"],
  compound: boolean,
  mode: RoundingMode,
): { base: bigint; amount: bigint }[] {
  let taxed = amount;
  return rates.map((t) => {
    const base = compound ? taxed : amount;
    const tax = roundMinor(t.rate.divPow10(2).mul(base), mode);
    taxed += tax;
    return { base, amount: tax };
  });
}

/**
 * Each line's share of the net (§4.4, per-line tax rounding): exactly amount_k × net / subtotal (the line's
 * amount less its proportional share of the discounts), rounded by `mode`. The shares' rounding leaves a
 * remainder r = net − Σ rounded (|r| < lines/2); it is settled one minor unit at a time on the lines whose
 * rounding moved them furthest the other way (r > 0: the most rounded-down lines get +1; r < 0: the most
 * rounded-up lines get −1), ties going to the earlier line. So Σ nets = net exactly, every line stays within
 * one minor unit of its exact share, and a line whose share is already whole is never touched.
 */
export function lineNets(lineAmounts: readonly bigint[], net: bigint, mode: RoundingMode): bigint[] {
  const subtotal = lineAmounts.reduce((a, b) => a + b, 0n);
  if (subtotal === 0n) {
    // Nothing to share: discounts of 0 leave net 0 (a negative subtotal cannot arise: tokens, B ≥ 0).
    if (net !== 0n) throw ServiceError.validation("net", `must be 0 when the subtotal is 0 (got ${net})`);
    return lineAmounts.map(() => 0n);
  }
  if (subtotal < 0n) throw ServiceError.validation("lineAmounts", "must not sum to a negative subtotal");
  const nets = lineAmounts.map((a) => divRound(a * net, subtotal, mode));
  // error_k × subtotal: (exact share − rounded share) scaled to an integer, so comparisons stay exact.
  const errors = lineAmounts.map((a, k) => a * net - nets[k]! * subtotal);
  let remainder = net - nets.reduce((a, b) => a + b, 0n);
  const step = remainder > 0n ? 1n : -1n;
  const order = lineAmounts
    .map((_, k) => k)
    .sort((x, y) => {
      const ex = errors[x]! * step;
      const ey = errors[y]! * step;
      return ex === ey ? x - y : ex > ey ? -1 : 1;
    });
  for (const k of order) {
    if (remainder === 0n) break;
    nets[k] = nets[k]! + step;
    remainder -= step;
  }
  return nets;
}

/**
 * The taxable base of each tax from the invoice's net and its tax amounts: net for simple taxes, net plus
 * the taxes before for compound ones. It holds under both TAX_ROUNDING modes, because per-line nets sum to
 * the net and per-line taxes to the invoice's taxes; so a stored invoice (net, taxes, tax_compound) is enough
 * to show "City Tax 6 % on $9.43" on its documents.
 */
export function taxBases(net: bigint, taxAmounts: readonly bigint[], compound: boolean): bigint[] {
  let taxed = net;
  return taxAmounts.map((amount) => {
    const base = compound ? taxed : net;
    taxed += amount;
    return base;
  });
}
