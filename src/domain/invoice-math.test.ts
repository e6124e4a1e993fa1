import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal, type RoundingMode } from "./decimal.ts";
import { computeInvoiceTotals } from "./invoice-math.ts";
import { type TaxSet, taxFactor, userTokenUnitCost } from "./pricing.ts";

const d = (s: string) => Decimal.parse(s);
const cityAndState: TaxSet = {
  compound: true,
  rates: [
    { label: "City Tax", rate: d("6") },
    { label: "State Tax", rate: d("2") },
  ],
};

describe("§4 worked example: USD, B 0.001, discount 0.95, compound City 6 % then State 2 %", () => {
  const lines = [{ tokens: 4900n }, { tokens: 5000n }, { tokens: 28n }];
  const totals = computeInvoiceTotals({
    lines,
    base: d("0.001"),
    discounts: [{ name: "Reseller", multiplier: d("0.95") }],
    taxes: cityAndState,
    taxExempt: false,
    exponent: 2,
  });

  it("lines $4.90, $5.00, $0.03; subtotal $9.93", () => {
    expect(totals.lineAmounts).toEqual([490n, 500n, 3n]);
    expect(totals.subtotal).toBe(993n);
  });

  it("discount $0.50, net $9.43", () => {
    expect(totals.discounts).toEqual([{ name: "Reseller", amount: 50n }]);
    expect(totals.net).toBe(943n);
  });

  it("City Tax $0.57, State Tax $0.20, total $10.20", () => {
    expect(totals.taxes.map((t) => [t.label, t.rate.toString(), t.amount])).toEqual([
      ["City Tax", "6", 57n],
      ["State Tax", "2", 20n],
    ]);
    expect(totals.total).toBe(1020n);
  });

  it("Σ tokens × U = 9928 × 0.00102714 = 10.19744592, within the bound of the total", () => {
    const u = userTokenUnitCost({
      base: d("0.001"),
      multipliers: [d("0.95")],
      taxes: cityAndState,
      taxExempt: false,
    });
    expect(u.user.toString()).toBe("0.00102714");
    const exact = u.user.mul(9928n);
    expect(exact.toString()).toBe("10.19744592");
    // 6 roundings (3 lines, 1 discount, 2 taxes) × 0.5 cent = 3 cents; the actual gap is 0.255 cents.
    expect(Decimal.fromBigInt(totals.total).sub(exact.mulPow10(2)).abs().toString()).toBe("0.255408");
  });
});

describe("computeInvoiceTotals", () => {
  it("applies simple taxes to net and lists no taxes for an exempt customer", () => {
    const base = { lines: [{ tokens: 10000n }], base: d("0.001"), discounts: [], exponent: 2 };
    const simple = computeInvoiceTotals({
      ...base,
      taxes: { ...cityAndState, compound: false },
      taxExempt: false,
    });
    expect(simple.taxes.map((t) => t.amount)).toEqual([60n, 20n]);
    expect(simple.total).toBe(1080n);
    const exempt = computeInvoiceTotals({ ...base, taxes: cityAndState, taxExempt: true });
    expect(exempt.taxes).toEqual([]);
    expect(exempt.total).toBe(1000n);
  });

  it("applies discounts in order, each on the running amount, and honours half-even", () => {
    const t = computeInvoiceTotals({
      lines: [{ tokens: 1000n }],
      base: d("0.001"),
      discounts: [
        { name: "Group", multiplier: d("0.95") },
        { name: "Customer", multiplier: d("0.9") },
      ],
      taxes: { compound: false, rates: [] },
      taxExempt: false,
      exponent: 2,
      rounding: "half_even",
    });
    // 100 × 0.05 = 5; 95 × 0.1 = 9.5 → 10 (half even) → net 85.
    expect(t.discounts.map((x) => x.amount)).toEqual([5n, 10n]);
    expect(t.net).toBe(85n);
  });

  it("rejects negative tokens, bad multipliers and bad exponents", () => {
    const ok = {
      lines: [{ tokens: 1n }],
      base: d("1"),
      discounts: [],
      taxes: cityAndState,
      taxExempt: false,
      exponent: 2,
    };
    expect(() => computeInvoiceTotals({ ...ok, lines: [{ tokens: -1n }] })).toThrow(/^lines\[0\]\.tokens:/);
    expect(() => computeInvoiceTotals({ ...ok, discounts: [{ name: "x", multiplier: d("2") }] })).toThrow(
      /^discounts\[0\]\.multiplier:/,
    );
    expect(() => computeInvoiceTotals({ ...ok, exponent: -2 })).toThrow(/^exponent:/);
  });
});

// The §4 bound |total − Σ tokens × U| ≤ (lines + discounts + taxes) × 0.5 minor unit does NOT hold once
// a tax rate is positive: line and discount rounding errors are multiplied by T before the taxes are
// rounded. Smallest counterexample (1 line, 1 tax, USD B 0.001, half away from zero): 15 tokens, 25 %
// tax: line 1.5¢ → 2¢, tax 0.5¢ → 1¢, total 3¢; exact 1.875¢; gap 1.125¢ > 2 × 0.5¢. With §4's own
// 6 % rate: 245 tokens → 25¢ + 2¢ = 27¢ against 25.97¢ (gap 1.03¢). The bound that holds is
// T·(lines + discounts)·0.5 + Σ_j Π_{l>j}(1 + r_l/100)·0.5 (compound; simple: + taxes·0.5), which is
// at most T × (lines + discounts + taxes) × 0.5 minor unit.
function gapInMinorUnits(input: {
  tokens: bigint[];
  base: Decimal;
  multipliers: Decimal[];
  taxes: TaxSet;
  taxExempt: boolean;
  exponent: number;
  rounding: RoundingMode;
}): { gap: Decimal; stated: Decimal; holds: Decimal; total: bigint } {
  const totals = computeInvoiceTotals({
    lines: input.tokens.map((tokens) => ({ tokens })),
    base: input.base,
    discounts: input.multipliers.map((multiplier, i) => ({ name: `D${i}`, multiplier })),
    taxes: input.taxes,
    taxExempt: input.taxExempt,
    exponent: input.exponent,
    rounding: input.rounding,
  });
  const u = userTokenUnitCost({ ...input, taxes: input.taxes });
  const exact = u.user.mul(input.tokens.reduce((a, b) => a + b, 0n)).mulPow10(input.exponent);
  const gap = Decimal.fromBigInt(totals.total).sub(exact).abs();
  const half = d("0.5");
  const rates = input.taxExempt ? [] : input.taxes.rates.map((r) => r.rate.divPow10(2));
  const stated = half.mul(BigInt(input.tokens.length + input.multipliers.length + rates.length));
  const t = taxFactor(input.taxes, input.taxExempt);
  const taxErrors = rates.map((_, j) =>
    input.taxes.compound ? Decimal.product(rates.slice(j + 1).map((r) => Decimal.ONE.add(r))) : Decimal.ONE,
  );
  const holds = half.mul(
    t.mul(BigInt(input.tokens.length + input.multipliers.length)).add(Decimal.sum(taxErrors)),
  );
  return { gap, stated, holds, total: totals.total };
}

describe("§4 rounding bound", () => {
  const usd = {
    base: d("0.001"),
    multipliers: [],
    taxExempt: false,
    exponent: 2,
    rounding: "half_away_from_zero" as const,
  };
  const oneTax = (rate: string): TaxSet => ({ compound: true, rates: [{ label: "T", rate: d(rate) }] });

  it("counterexample: 15 tokens at 25 % tax exceed the stated bound (gap 1.125¢ > 1¢)", () => {
    const r = gapInMinorUnits({ ...usd, tokens: [15n], taxes: oneTax("25") });
    expect(r.total).toBe(3n);
    expect(r.gap.toString()).toBe("1.125");
    expect(r.gap.gt(r.stated)).toBe(true);
    expect(r.gap.lte(r.holds)).toBe(true);
  });

  it("counterexample at §4's 6 %: 245 tokens, gap 1.03¢ > 1¢", () => {
    const r = gapInMinorUnits({ ...usd, tokens: [245n], taxes: oneTax("6") });
    expect(r.total).toBe(27n);
    expect(r.gap.toString()).toBe("1.03");
    expect(r.gap.gt(r.stated)).toBe(true);
  });

  const arbInput = fc.record({
    tokens: fc.array(fc.bigInt({ min: 0n, max: 2_000_000n }), { maxLength: 8 }),
    base: fc
      .tuple(fc.bigInt({ min: 0n, max: 100_000n }), fc.integer({ min: 0, max: 8 }))
      .map(([c, s]) => Decimal.of(c, s)),
    multipliers: fc.array(
      fc.integer({ min: 0, max: 100 }).map((n) => Decimal.of(BigInt(n), 2)),
      { maxLength: 3 },
    ),
    taxes: fc.record({
      compound: fc.boolean(),
      rates: fc.array(
        fc.integer({ min: 0, max: 3000 }).map((n) => ({ label: "T", rate: Decimal.of(BigInt(n), 2) })),
        { maxLength: 3 },
      ),
    }),
    taxExempt: fc.boolean(),
    exponent: fc.constantFrom(0, 2, 3),
    rounding: fc.constantFrom<RoundingMode>("half_away_from_zero", "half_even"),
  });

  it("property: gap ≤ T·(lines + discounts)·0.5 + tax terms ≤ T × (lines + discounts + taxes) × 0.5", () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const r = gapInMinorUnits(input);
        expect(r.gap.lte(r.holds)).toBe(true);
        const t = taxFactor(input.taxes, input.taxExempt);
        expect(r.holds.lte(t.mul(r.stated))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("property: without taxes (T = 1) the stated bound holds as written", () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const r = gapInMinorUnits({ ...input, taxExempt: true });
        expect(r.gap.lte(r.stated)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
