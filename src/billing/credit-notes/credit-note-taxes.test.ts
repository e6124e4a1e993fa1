import { describe, expect, it } from "vitest";
import { creditNoteTaxes } from "./credit-note-taxes.ts";

const cityAndState = [
  { label: "City Tax", rate: "6" },
  { label: "State Tax", rate: "2" },
];

describe("credit note taxes (billing-rules §4 on the net)", () => {
  it("taxes the §4 example's net $9.43 like its invoice: $0.57 + $0.20 = $10.20", () => {
    const r = creditNoteTaxes({
      net: 943n,
      rates: cityAndState,
      compound: true,
      exponent: 2,
      rounding: "half_away_from_zero",
    });
    expect(r.taxes.map((t) => t.amount)).toEqual([57n, 20n]);
    expect(r.total).toBe(1020n);
  });

  it("compounds only when the invoice did: $10.00 at 6 % then 2 % is $0.60 + $0.20 simple, $0.60 + $0.21 compound", () => {
    const simple = creditNoteTaxes({
      net: 1000n,
      rates: cityAndState,
      compound: false,
      exponent: 2,
      rounding: "half_even",
    });
    const compound = creditNoteTaxes({
      net: 1000n,
      rates: cityAndState,
      compound: true,
      exponent: 2,
      rounding: "half_even",
    });
    expect(simple.taxes.map((t) => t.amount)).toEqual([60n, 20n]);
    // 2 % of 10.60 = 0.212 → 0.21
    expect(compound.taxes.map((t) => t.amount)).toEqual([60n, 21n]);
  });

  it("has no taxes when the invoice had none", () => {
    expect(
      creditNoteTaxes({ net: 500n, rates: [], compound: false, exponent: 0, rounding: "half_even" }),
    ).toEqual({
      taxes: [],
      total: 500n,
    });
  });
});
