import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal } from "./decimal.ts";
import { discountFactor, type TaxSet, taxFactor, userTokenUnitCost } from "./pricing.ts";

const d = (s: string) => Decimal.parse(s);
const cityAndState = (compound: boolean): TaxSet => ({
  compound,
  rates: [
    { label: "City Tax", rate: d("6") },
    { label: "State Tax", rate: d("2") },
  ],
});

describe("§3 worked examples", () => {
  it("B 1.34, M 0.95, compound 6 % and 2 % → U = 1.3763676", () => {
    const u = userTokenUnitCost({
      base: d("1.34"),
      multipliers: [d("0.95")],
      taxes: cityAndState(true),
      taxExempt: false,
    });
    expect(u.discount.toString()).toBe("0.95");
    expect(u.tax.toString()).toBe("1.0812");
    expect(u.user.toString()).toBe("1.3763676");
    expect(u.user.toJSONNumber()).toBe(1.3763676);
  });

  it("the same with simple taxes → U = 1.37484", () => {
    const u = userTokenUnitCost({
      base: d("1.34"),
      multipliers: [d("0.95")],
      taxes: cityAndState(false),
      taxExempt: false,
    });
    expect(u.tax.toString()).toBe("1.08");
    expect(u.user.toString()).toBe("1.37484");
  });

  it("B 1, no discount, compound 6 % and 2 % → U = 1.0812", () => {
    const u = userTokenUnitCost({
      base: d("1"),
      multipliers: [],
      taxes: cityAndState(true),
      taxExempt: false,
    });
    expect(u.discount.toString()).toBe("1");
    expect(u.user.toString()).toBe("1.0812");
  });

  it("§4's USD figure: B 0.001, M 0.95, compound 6 % and 2 % → U = 0.00102714", () => {
    const u = userTokenUnitCost({
      base: d("0.001"),
      multipliers: [d("0.95")],
      taxes: cityAndState(true),
      taxExempt: false,
    });
    expect(u.user.toString()).toBe("0.00102714");
  });
});

describe("factors", () => {
  it("multiplies group and customer discounts", () => {
    expect(discountFactor([d("0.95"), d("0.9")]).toString()).toBe("0.855");
    expect(discountFactor([d("0"), d("1")]).toString()).toBe("0");
  });

  it("rejects multipliers outside [0, 1] and negative tax rates", () => {
    expect(() => discountFactor([d("0.95"), d("1.01")])).toThrow(
      /^multipliers\[1\]: must be between 0 and 1/,
    );
    expect(() => discountFactor([d("-0.1")])).toThrow(/between 0 and 1/);
    expect(() => taxFactor({ compound: false, rates: [{ label: "x", rate: d("-1") }] }, false)).toThrow(
      /^taxes\.rates\[0\]\.rate: must be a non-negative percentage/,
    );
  });

  it("gives T = 1 with no rates or when exempt", () => {
    expect(taxFactor({ compound: true, rates: [] }, false).toString()).toBe("1");
    expect(taxFactor(cityAndState(true), true).toString()).toBe("1");
  });
});

const arbRate = fc.integer({ min: 0, max: 5000 }).map((n) => Decimal.of(BigInt(n), 2));
const arbMultiplier = fc.integer({ min: 0, max: 10_000 }).map((n) => Decimal.of(BigInt(n), 4));
const arbBase = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.integer({ min: 0, max: 12 }))
  .map(([c, s]) => Decimal.of(c, s));
const arbRates = fc
  .array(arbRate, { maxLength: 4 })
  .map((rs) => rs.map((rate, i) => ({ label: `T${i}`, rate })));

describe("properties", () => {
  it("U = B × M × T exactly", () => {
    fc.assert(
      fc.property(
        arbBase,
        fc.array(arbMultiplier, { maxLength: 3 }),
        arbRates,
        fc.boolean(),
        fc.boolean(),
        (base, ms, rates, compound, exempt) => {
          const taxes = { compound, rates };
          const u = userTokenUnitCost({ base, multipliers: ms, taxes, taxExempt: exempt });
          expect(u.user.eq(base.mul(discountFactor(ms)).mul(taxFactor(taxes, exempt)))).toBe(true);
          expect(u.user.eq(u.base.mul(u.discount).mul(u.tax))).toBe(true);
        },
      ),
    );
  });

  it("compound T ≥ simple T for non-negative rates", () => {
    fc.assert(
      fc.property(arbRates, (rates) => {
        expect(
          taxFactor({ compound: true, rates }, false).gte(taxFactor({ compound: false, rates }, false)),
        ).toBe(true);
      }),
    );
  });

  it("a tax-exempt customer pays U = B × M", () => {
    fc.assert(
      fc.property(
        arbBase,
        fc.array(arbMultiplier, { maxLength: 3 }),
        arbRates,
        fc.boolean(),
        (base, ms, rates, compound) => {
          const u = userTokenUnitCost({ base, multipliers: ms, taxes: { compound, rates }, taxExempt: true });
          expect(u.user.eq(base.mul(Decimal.product(ms)))).toBe(true);
        },
      ),
    );
  });
});
