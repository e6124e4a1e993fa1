import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal, type RoundingMode } from "./decimal.ts";
import { computeInvoiceTotals, lineNets, type TaxRounding, taxBases } from "./invoice-math.ts";
import { type TaxSet, taxFactor, userTokenUnitCost } from "./pricing.ts";

const d = (s: string) => Decimal.parse(s);
const cityAndState: TaxSet = {
  compound: true,
  rates: [
    { label: "City Tax", rate: d("6") },
    { label: "State Tax", rate: d("2") },
  ],
};

// Any invoice: up to 8 lines, 3 discounts and 3 taxes (0–30 %), in currencies of 0, 2 or 3 decimals.
const arbInvoiceInput = fc.record({
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
type ArbitraryInvoice = typeof arbInvoiceInput extends fc.Arbitrary<infer T> ? T : never;

describe("§4 worked example: USD, B 0.001, discount 0.95, compound City 6 % then State 2 %", () => {
  const lines = [{ tokens: 4900n }, { tokens: 5000n }, { tokens: 28n }];
  const example = {
    lines,
    base: d("0.001"),
    discounts: [{ name: "Reseller", multiplier: d("0.95") }],
    taxes: cityAndState,
    taxExempt: false,
    exponent: 2,
  };
  const totals = computeInvoiceTotals(example);

  it("lines $4.90, $5.00, $0.03; subtotal $9.93", () => {
    expect(totals.lineAmounts).toEqual([490n, 500n, 3n]);
    expect(totals.subtotal).toBe(993n);
  });

  it("discount $0.50, net $9.43", () => {
    expect(totals.discounts).toEqual([{ name: "Reseller", amount: 50n }]);
    expect(totals.net).toBe(943n);
  });

  it("City Tax $0.57 on $9.43, State Tax $0.20 on $10.00, total $10.20", () => {
    expect(totals.taxes.map((t) => [t.label, t.rate.toString(), t.base, t.amount])).toEqual([
      ["City Tax", "6", 943n, 57n],
      ["State Tax", "2", 1000n, 20n],
    ]);
    expect(totals.total).toBe(1020n);
    expect(totals.perLine).toBeUndefined();
  });

  it("per_invoice is the default: asking for it explicitly changes nothing", () => {
    expect(computeInvoiceTotals({ ...example, taxRounding: "per_invoice" })).toEqual(totals);
  });

  it("per_line: nets 465 + 475 + 3, City 28 + 29 + 0 = 57, State 10 + 10 + 0 = 20, total still $10.20", () => {
    const perLine = computeInvoiceTotals({ ...example, taxRounding: "per_line" });
    // Shares of 943: 490 × 943/993 = 465.33, 500 × 943/993 = 474.82, 3 × 943/993 = 2.85.
    expect(perLine.perLine).toEqual({
      nets: [465n, 475n, 3n],
      taxes: [
        [28n, 10n], // 465 × 6 % = 27.9; (465 + 28) × 2 % = 9.86
        [29n, 10n], // 475 × 6 % = 28.5 → 29 half away from zero; 504 × 2 % = 10.08
        [0n, 0n], //   3 × 6 % = 0.18; 3 × 2 % = 0.06
      ],
    });
    expect(perLine.taxes.map((t) => [t.base, t.amount])).toEqual([
      [943n, 57n],
      [1000n, 20n],
    ]);
    expect(perLine.total).toBe(1020n);
  });

  it("per_line respects the rounding mode: half-even makes 28.5 → 28 and the total $10.19", () => {
    const perLine = computeInvoiceTotals({ ...example, taxRounding: "per_line", rounding: "half_even" });
    expect(perLine.perLine?.taxes).toEqual([
      [28n, 10n],
      [28n, 10n], // 475 × 6 % = 28.5 → 28; (475 + 28) × 2 % = 10.06 → 10
      [0n, 0n],
    ]);
    expect(perLine.taxes.map((t) => t.amount)).toEqual([56n, 20n]);
    expect(perLine.total).toBe(1019n);
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
    expect(() => computeInvoiceTotals({ ...ok, taxRounding: "per_tax" as TaxRounding })).toThrow(
      /^taxRounding: must be one of per_invoice, per_line/,
    );
  });
});

describe("per-line tax rounding (§4.4, TAX_ROUNDING=per_line)", () => {
  const plain = (rate: string, compound = false): TaxSet => ({
    compound,
    rates: [{ label: "VAT", rate: d(rate) }],
  });
  const cents = (amounts: bigint[]) => amounts.map((a) => ({ tokens: a * 10n })); // B 0.001: 10 tokens = 1¢

  it("three 1¢ lines at 20 %: per invoice round(0.6) = 1¢, per line 3 × round(0.2) = 0¢", () => {
    const input = {
      lines: cents([1n, 1n, 1n]),
      base: d("0.001"),
      discounts: [],
      taxExempt: false,
      exponent: 2,
    };
    const perInvoice = computeInvoiceTotals({ ...input, taxes: plain("20") });
    const perLine = computeInvoiceTotals({ ...input, taxes: plain("20"), taxRounding: "per_line" });
    expect([perInvoice.taxes[0]?.amount, perInvoice.total]).toEqual([1n, 4n]);
    expect([perLine.taxes[0]?.amount, perLine.total]).toEqual([0n, 3n]);
    expect(perLine.taxes[0]?.base).toBe(3n);
  });

  it("shares the net in proportion to the line amounts and settles the remainder on the largest errors", () => {
    // 700 / 200 / 100 of net 333: exact 233.1, 66.6, 33.3 → rounded 233, 67, 33 = 333, nothing to settle.
    expect(lineNets([700n, 200n, 100n], 333n, "half_away_from_zero")).toEqual([233n, 67n, 33n]);
    // 1 / 1 / 1 of net 1: each 0.33 → 0; remainder +1 to the first of the equally rounded-down lines.
    expect(lineNets([1n, 1n, 1n], 1n, "half_away_from_zero")).toEqual([1n, 0n, 0n]);
    // 1 / 2 / 2 of net 1: exact 0.2, 0.4, 0.4 → 0, 0, 0; the +1 goes to a 0.4 line (the earlier one).
    expect(lineNets([1n, 2n, 2n], 1n, "half_away_from_zero")).toEqual([0n, 1n, 0n]);
    // 1 / 1 of net 1: 0.5 each. Half away from zero gives 1 + 1, so one line gives a unit back (−1 on the
    // first); half-even gives 0 + 0 and the first line takes the unit.
    expect(lineNets([1n, 1n], 1n, "half_away_from_zero")).toEqual([0n, 1n]);
    expect(lineNets([1n, 1n], 1n, "half_even")).toEqual([1n, 0n]);
    // Lines whose share is whole are left alone: of net 500, 500 and 498 get exactly 250 and 249; the two
    // 0.5 shares round up to 1 + 1 = one too many, and the earlier of them gives it back.
    expect(lineNets([500n, 1n, 1n, 498n], 500n, "half_away_from_zero")).toEqual([250n, 0n, 1n, 249n]);
    expect(lineNets([], 0n, "half_even")).toEqual([]);
    expect(lineNets([0n, 0n], 0n, "half_even")).toEqual([0n, 0n]);
  });

  it("compound per line: each line's second tax is on its net plus its own first tax", () => {
    const t = computeInvoiceTotals({
      lines: cents([1000n, 1n]),
      base: d("0.001"),
      discounts: [],
      taxes: {
        compound: true,
        rates: [
          { label: "A", rate: d("10") },
          { label: "B", rate: d("50") },
        ],
      },
      taxExempt: false,
      exponent: 2,
      taxRounding: "per_line",
    });
    // Line 1: 1000 → A 100 → B (1100) × 50 % = 550. Line 2: 1 → A round(0.1) = 0 → B round(0.5) = 1.
    expect(t.perLine?.taxes).toEqual([
      [100n, 550n],
      [0n, 1n],
    ]);
    expect(t.taxes.map((x) => [x.base, x.amount])).toEqual([
      [1001n, 100n],
      [1101n, 551n],
    ]);
    expect(t.total).toBe(1001n + 100n + 551n);
  });

  it("a tax-exempt customer has no taxes under per_line either", () => {
    const t = computeInvoiceTotals({
      lines: cents([5n]),
      base: d("0.001"),
      discounts: [],
      taxes: plain("20"),
      taxExempt: true,
      exponent: 2,
      taxRounding: "per_line",
    });
    expect(t.taxes).toEqual([]);
    expect(t.perLine).toEqual({ nets: [5n], taxes: [[]] });
    expect(t.total).toBe(5n);
  });

  it("taxBases: net for simple taxes, net plus the taxes before for compound ones", () => {
    expect(taxBases(943n, [57n, 20n], true)).toEqual([943n, 1000n]);
    expect(taxBases(943n, [57n, 19n], false)).toEqual([943n, 943n]);
    expect(taxBases(0n, [], true)).toEqual([]);
  });

  const totalsOf = (input: ArbitraryInvoice, taxRounding: TaxRounding) =>
    computeInvoiceTotals({
      lines: input.tokens.map((tokens) => ({ tokens })),
      base: input.base,
      discounts: input.multipliers.map((multiplier, i) => ({ name: `D${i}`, multiplier })),
      taxes: input.taxes,
      taxExempt: input.taxExempt,
      exponent: input.exponent,
      rounding: input.rounding,
      taxRounding,
    });

  it("property: line nets sum to the net, each within one minor unit of its exact share, none negative", () => {
    fc.assert(
      fc.property(arbInvoiceInput, (input) => {
        const t = totalsOf(input, "per_line");
        const nets = t.perLine!.nets;
        expect(nets.reduce((a, b) => a + b, 0n)).toBe(t.net);
        t.lineAmounts.forEach((amount, k) => {
          expect(nets[k]! >= 0n).toBe(true);
          // |net_k − amount_k × net / subtotal| < 1, scaled by the subtotal to stay in integers.
          const gap = nets[k]! * t.subtotal - amount * t.net;
          expect((gap < 0n ? -gap : gap) < (t.subtotal === 0n ? 1n : t.subtotal)).toBe(true);
          // A whole share is kept as it is: the remainder is settled on lines that were rounded.
          if (t.subtotal !== 0n && (amount * t.net) % t.subtotal === 0n) expect(gap).toBe(0n);
        });
      }),
      { numRuns: 500 },
    );
  });

  it("property: both modes share lines, discounts and net; total = net + Σ taxes; bases follow taxBases", () => {
    fc.assert(
      fc.property(arbInvoiceInput, (input) => {
        const a = totalsOf(input, "per_invoice");
        const b = totalsOf(input, "per_line");
        expect([b.lineAmounts, b.subtotal, b.discounts, b.net]).toEqual([
          a.lineAmounts,
          a.subtotal,
          a.discounts,
          a.net,
        ]);
        for (const t of [a, b]) {
          expect(t.total).toBe(t.net + t.taxes.reduce((s, x) => s + x.amount, 0n));
          const amounts = t.taxes.map((x) => x.amount);
          expect(t.taxes.map((x) => x.base)).toEqual(taxBases(t.net, amounts, input.taxes.compound));
        }
        b.taxes.forEach((tax, j) => {
          expect(b.perLine!.taxes.reduce((s, line) => s + line[j]!, 0n)).toBe(tax.amount);
        });
      }),
      { numRuns: 500 },
    );
  });

  it("property: per_line and per_invoice differ by at most lines × taxes minor units per tax", () => {
    fc.assert(
      fc.property(arbInvoiceInput, (input) => {
        const a = totalsOf(input, "per_invoice");
        const b = totalsOf(input, "per_line");
        const limit = BigInt(input.tokens.length * a.taxes.length);
        a.taxes.forEach((tax, j) => {
          const diff = tax.amount - b.taxes[j]!.amount;
          expect((diff < 0n ? -diff : diff) <= limit).toBe(true);
        });
      }),
      { numRuns: 1000 },
    );
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
  taxRounding?: TaxRounding;
}): { gap: Decimal; stated: Decimal; holds: Decimal; total: bigint } {
  const totals = computeInvoiceTotals({
    lines: input.tokens.map((tokens) => ({ tokens })),
    base: input.base,
    discounts: input.multipliers.map((multiplier, i) => ({ name: `D${i}`, multiplier })),
    taxes: input.taxes,
    taxExempt: input.taxExempt,
    exponent: input.exponent,
    rounding: input.rounding,
    taxRounding: input.taxRounding ?? "per_invoice",
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
  // Per line, every line's taxes are rounded on their own: lines × the tax terms. The line nets add
  // no error of their own, as they sum to the net exactly.
  const taxRoundings = input.taxRounding === "per_line" ? BigInt(input.tokens.length) : 1n;
  const holds = half.mul(
    t
      .mul(BigInt(input.tokens.length + input.multipliers.length))
      .add(Decimal.sum(taxErrors).mul(taxRoundings)),
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

  it("property: gap ≤ T·(lines + discounts)·0.5 + tax terms ≤ T × (lines + discounts + taxes) × 0.5", () => {
    fc.assert(
      fc.property(arbInvoiceInput, (input) => {
        const r = gapInMinorUnits(input);
        expect(r.gap.lte(r.holds)).toBe(true);
        const t = taxFactor(input.taxes, input.taxExempt);
        expect(r.holds.lte(t.mul(r.stated))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("property, per_line: gap ≤ T·(lines + discounts)·0.5 + lines × tax terms ≤ T × (lines + discounts + lines × taxes) × 0.5", () => {
    fc.assert(
      fc.property(arbInvoiceInput, (input) => {
        const r = gapInMinorUnits({ ...input, taxRounding: "per_line" });
        expect(r.gap.lte(r.holds)).toBe(true);
        const t = taxFactor(input.taxes, input.taxExempt);
        const taxCount = input.taxExempt ? 0 : input.taxes.rates.length;
        const roundings = input.tokens.length * (1 + taxCount) + input.multipliers.length;
        expect(r.holds.lte(t.mul(d("0.5")).mul(BigInt(roundings)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("property: without taxes (T = 1) the stated bound holds as written", () => {
    fc.assert(
      fc.property(arbInvoiceInput, (input) => {
        const r = gapInMinorUnits({ ...input, taxExempt: true });
        expect(r.gap.lte(r.stated)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
