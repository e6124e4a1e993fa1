import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal } from "../../domain/decimal.ts";
import { type TaxSet, userTokenUnitCost } from "../../domain/pricing.ts";
import type { PricingFacts } from "../../services/pricing/pricing-facts.ts";
import { OCTOBER, section4Usage, usageOf } from "../testing/billing-fixtures.ts";
import { usageRecordsOf } from "../usage/history-usage.ts";
import { buildInvoice } from "./build-invoice.ts";
import { type BillableUsage, recomputeUsage } from "./recompute-usage.ts";

// The invoice a billing run builds from usage (lines per server and per server's IPs, discounts and taxes
// from PricingFacts), checked against billing-rules §4.5 over random usage, discounts and tax sets.
// The bound that holds with positive taxes is T × (lines + discounts + taxes) × 0.5 (docs/billing.md);
// the stated one, (lines + discounts + taxes) × 0.5, is checked where T = 1.

function facts(input: {
  base: Decimal;
  exponent: number;
  multipliers: Decimal[];
  taxes: TaxSet;
  taxExempt: boolean;
}): PricingFacts {
  const cost = userTokenUnitCost({
    base: input.base,
    multipliers: input.multipliers,
    taxes: input.taxes,
    taxExempt: input.taxExempt,
  });
  return {
    customerId: 1n,
    base: input.base,
    multipliers: input.multipliers.map((m, i) => ({ name: `d${i}`, description: "", multiplier: m })),
    taxes: input.taxes,
    taxExempt: input.taxExempt,
    user: cost.user,
    currency: {
      code: "XTS",
      display_prefix: "",
      display_suffix: "",
      thousands_separator: ",",
      decimals_separator: ".",
      decimals: input.exponent,
    },
  };
}

const decimal = (maxCoefficient: number, maxScale: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: maxCoefficient }), fc.integer({ min: 0, max: maxScale }))
    .map(([c, s]) => Decimal.of(BigInt(c), s));

const multiplier = decimal(10_000, 4).filter((m) => m.lte(Decimal.ONE));
const rate = decimal(3000, 2).filter((r) => r.lte(Decimal.fromBigInt(100n)));

const usage = fc.record({
  server: fc.integer({ min: 1, max: 1_000_000 }),
  tph: fc.integer({ min: 0, max: 500 }),
  tpm: fc.integer({ min: 0, max: 200_000 }),
  startHour: fc.integer({ min: -200, max: 743 }),
  hours: fc.integer({ min: 0, max: 900 }),
  ips: fc.integer({ min: 0, max: 4 }),
});

type UsageSpec = typeof usage extends fc.Arbitrary<infer T> ? T : never;

function billable(u: UsageSpec, index: number): BillableUsage {
  const created = new Date(OCTOBER.start.getTime() + u.startHour * 3_600_000);
  const deleted = new Date(created.getTime() + (u.hours * 60 + 7) * 60_000);
  const record = usageOf({
    billingUserId: 1n,
    serverId: u.server * 10 + index,
    tph: u.tph,
    tpm: u.tpm,
    createdAt: created.toISOString(),
    deletedAt: deleted.toISOString(),
    ips: { count: u.ips, tph: 1, tpm: 500 },
  });
  return recomputeUsage(record).usage;
}

describe("buildInvoice", () => {
  it("builds the §4 example: lines 4900/5000/28 tokens, total 1020", () => {
    const usages = section4Usage(1n, 1).map((u) => recomputeUsage(u).usage);
    const invoice = buildInvoice(
      usages,
      facts({
        base: Decimal.parse("0.001"),
        exponent: 2,
        multipliers: [Decimal.parse("0.95")],
        taxes: {
          compound: true,
          rates: [
            { label: "City Tax", rate: Decimal.parse("6") },
            { label: "State Tax", rate: Decimal.parse("2") },
          ],
        },
        taxExempt: false,
      }),
      "half_away_from_zero",
    );
    expect(invoice.lines.map((l) => [l.tokens, l.amount])).toEqual([
      [4900n, 490n],
      [5000n, 500n],
      [28n, 3n],
    ]);
    expect([invoice.totals.subtotal, invoice.totals.net, invoice.totals.total]).toEqual([993n, 943n, 1020n]);
    expect(invoice.discounts).toEqual([{ name: "d0", multiplier: "0.95", amount: 50n }]);
    expect(invoice.taxes).toEqual([
      { label: "City Tax", rate: "6", amount: 57n },
      { label: "State Tax", rate: "2", amount: 20n },
    ]);
    // Stored invoices keep their fingerprint: a re-run compares with it, so its text must never drift.
    expect(invoice.fingerprint).toBe("95f5725831882354eddbb5245650a359");
  });

  it("is deterministic: the same usage in any order gives the same invoice and fingerprint", () => {
    const f = facts({
      base: Decimal.parse("0.00091"),
      exponent: 2,
      multipliers: [],
      taxes: { compound: false, rates: [] },
      taxExempt: false,
    });
    const usages = section4Usage(1n, 1).map((u) => recomputeUsage(u).usage);
    const a = buildInvoice(usages, f, "half_even");
    const b = buildInvoice([...usages].reverse(), f, "half_even");
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.lines).toEqual(a.lines);
  });

  it("§4.5: |total − Σ tokens × U| ≤ T × (lines + discounts + taxes) × 0.5 minor units; without tax, the stated bound", () => {
    fc.assert(
      fc.property(
        fc.array(usage, { minLength: 1, maxLength: 8 }),
        decimal(2_000_000, 9).filter((b) => !b.isZero()),
        fc.integer({ min: 0, max: 3 }),
        fc.array(multiplier, { maxLength: 3 }),
        fc.record({ compound: fc.boolean(), rates: fc.array(rate, { maxLength: 3 }) }),
        fc.boolean(),
        fc.constantFrom("half_away_from_zero" as const, "half_even" as const),
        (records, base, exponent, multipliers, taxSpec, taxExempt, rounding) => {
          const taxes: TaxSet = {
            compound: taxSpec.compound,
            rates: taxSpec.rates.map((r, i) => ({ label: `t${i}`, rate: r })),
          };
          const f = facts({ base, exponent, multipliers, taxes, taxExempt });
          const invoice = buildInvoice(records.map(billable), f, rounding);
          const cost = userTokenUnitCost({ base, multipliers, taxes, taxExempt });
          const exact = cost.user.mul(invoice.tokens).mulPow10(exponent);
          const gap = Decimal.fromBigInt(invoice.totals.total).sub(exact).abs();
          const roundings = BigInt(invoice.lines.length + invoice.discounts.length + invoice.taxes.length);
          const half = Decimal.parse("0.5");
          expect(gap.lte(cost.tax.mul(roundings).mul(half))).toBe(true);
          if (cost.tax.eq(Decimal.ONE)) expect(gap.lte(half.mul(roundings))).toBe(true);
          // Totals are consistent with their parts.
          expect(invoice.totals.net).toBe(
            invoice.totals.subtotal - invoice.discounts.reduce((a, d) => a + d.amount, 0n),
          );
          expect(invoice.totals.total).toBe(
            invoice.totals.net + invoice.taxes.reduce((a, t) => a + t.amount, 0n),
          );
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("buildInvoice with a server that changed plan (billing-rules §2.2)", () => {
  const at = (hours: number) => new Date(OCTOBER.start.getTime() + hours * 3_600_000);
  const rates = (id: number, tph: bigint, tpm: bigint) => ({
    id,
    name: `${tph}/${tpm}`,
    tokensPerHour: tph,
    tokensPerMonth: tpm,
    ipTokensPerHour: 1n,
    ipTokensPerMonth: 500n,
    backupPercent: Decimal.parse("10"),
  });
  const records = usageRecordsOf(
    { server: { id: 7, uuid: "u-7", name: "web-7" }, billingUserId: 1n, solusioUserId: 5 },
    {
      createdAt: at(0),
      deletedAt: null,
      plans: [
        { from: at(0), plan: rates(2, 7n, 5000n) },
        { from: at(400), plan: rates(3, 14n, 10000n) },
      ],
      backups: [{ at: at(644), enabled: true }],
      ips: [{ id: "a", attachedAt: at(0), detachedAt: null }],
    },
    OCTOBER,
  );
  const usages = records.map((r) => recomputeUsage(r).usage);
  const usd = (taxes: TaxSet) =>
    facts({ base: Decimal.parse("0.001"), exponent: 2, multipliers: [], taxes, taxExempt: false });

  it("writes per plan the runtime line, the IP line and the backup line, in the order the plans held", () => {
    const invoice = buildInvoice(usages, usd({ compound: false, rates: [] }), "half_away_from_zero");
    expect(
      invoice.lines.map((l) => [l.kind, l.planId, l.hours, l.charge, l.tokens, l.backupPercent, l.quantity]),
    ).toEqual([
      ["server", 2, 400n, "hourly", 2800n, null, 1n],
      ["additional_ips", 2, 400n, "hourly", 400n, null, 1n],
      ["server", 3, 344n, "hourly", 4816n, null, 1n],
      ["additional_ips", 3, 344n, "hourly", 344n, null, 1n],
      // Backups on for the last 100 of the 344 hours on 14/10000: round(4816 × 10 % × 100/344) = 140.
      ["backups", 3, 100n, "backup_share", 140n, "10", 1n],
    ]);
    expect(invoice.lines.every((l) => l.tokens === l.recomputedTokens)).toBe(true);
  });

  it("rounds taxes per invoice or per line as TAX_ROUNDING says", () => {
    const taxes = { compound: false, rates: [{ label: "VAT", rate: Decimal.parse("3") }] };
    const perInvoice = buildInvoice(usages, usd(taxes), "half_away_from_zero", "per_invoice");
    const perLine = buildInvoice(usages, usd(taxes), "half_away_from_zero", "per_line");
    // Line amounts 280 + 40 + 482 + 34 + 14 = 850 ¢. Per invoice: 3 % of 850 = 25.5 → 26. Per line:
    // 8.4 → 8, 1.2 → 1, 14.46 → 14, 1.02 → 1, 0.42 → 0: 24.
    expect(perInvoice.lines.map((l) => l.amount)).toEqual([280n, 40n, 482n, 34n, 14n]);
    expect([perInvoice.taxes[0]?.amount, perInvoice.totals.total]).toEqual([26n, 876n]);
    expect([perLine.taxes[0]?.amount, perLine.totals.total]).toEqual([24n, 874n]);
    expect(perLine.fingerprint).not.toBe(perInvoice.fingerprint);
  });
});
