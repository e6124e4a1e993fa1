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

  it("never credits more of a tax than the invoice has left of it: 19 % of 3.00 is 0.57, with 0.30 left it is 0.30", () => {
    const vat = [{ label: "VAT", rate: "19" }];
    const base = { net: 300n, rates: vat, compound: false, exponent: 2, rounding: "half_even" as const };
    expect(creditNoteTaxes(base)).toEqual({
      taxes: [{ label: "VAT", rate: "19", amount: 57n }],
      total: 357n,
    });
    expect(creditNoteTaxes({ ...base, taxLeft: [57n] }).total).toBe(357n);
    expect(creditNoteTaxes({ ...base, taxLeft: [30n] })).toEqual({
      taxes: [{ label: "VAT", rate: "19", amount: 30n }],
      total: 330n,
    });
    expect(creditNoteTaxes({ ...base, taxLeft: [0n] }).total).toBe(300n);
    // Compound: each rate is capped on its own; the second is still computed on the net and the first's full tax.
    const capped = creditNoteTaxes({
      net: 1000n,
      rates: cityAndState,
      compound: true,
      exponent: 2,
      rounding: "half_even",
      taxLeft: [10n, 100n],
    });
    expect(capped.taxes.map((t) => t.amount)).toEqual([10n, 21n]);
    expect(capped.total).toBe(1031n);
  });
});
