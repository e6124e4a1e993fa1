import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  conversionScheme,
  defaultMonthlyStep,
  HOURS_IN_AGGREGATED_MONTH,
  MAX_CALCULATOR_TOKENS_PER_HOUR,
  parseCalculatorTokensPerHour,
  planTable,
  suggestMonthlyTokens,
} from "./calculator.ts";
import { Decimal } from "./decimal.ts";
import { type CurrencyDisplay, formatDecimal, formatMinor, toMinorUnits } from "./money.ts";
import { MAX_TOKENS } from "./tokens.ts";

const USD: CurrencyDisplay = {
  code: "USD",
  exponent: 2,
  displayPrefix: "$",
  displaySuffix: "",
  thousandsSeparator: ",",
  decimalsSeparator: ".",
};
const EUR: CurrencyDisplay = { ...USD, code: "EUR", displayPrefix: "€" };
const usd = (amount: Decimal) => formatMinor(toMinorUnits(amount, USD.exponent), USD);

describe("§6 monthly-price calculator, USD 0.001", () => {
  const rows = planTable([7n, 14n, 21n, 28n], Decimal.parse("0.001"));

  it.each([
    [0, 7n, 5208n, "$5.21", 5000n, "$5.00"],
    [1, 14n, 10416n, "$10.42", 10000n, "$10.00"],
    [2, 21n, 15624n, "$15.62", 15000n, "$15.00"],
    [3, 28n, 20832n, "$20.83", 20000n, "$20.00"],
  ] as const)("row %i: %s tph → %s tokens (%s), suggested %s (%s)", (i, tph, agg, aggUsd, tpm, tpmUsd) => {
    const row = rows[i]!;
    expect(row.tokensPerHour).toBe(tph);
    expect(row.aggregatedTokens).toBe(agg);
    expect(usd(row.aggregatedMoney)).toBe(aggUsd);
    expect(row.suggestedMonthlyTokens).toBe(tpm);
    expect(usd(row.suggestedMoney)).toBe(tpmUsd);
  });

  it("keeps the money columns exact", () => {
    expect(rows[0]!.aggregatedMoney.toString()).toBe("5.208");
    expect(rows[3]!.aggregatedMoney.toString()).toBe("20.832");
  });

  it("rejects a negative tokens-per-hour figure", () => {
    expect(() => planTable([7n, -1n], Decimal.ONE)).toThrow(/^tokensPerHour\[1\]:/);
  });

  it("prices a tph up to the largest whose month fits in a stored token count, and refuses one more", () => {
    expect(MAX_CALCULATOR_TOKENS_PER_HOUR).toBe(12397005425880075n);
    expect(MAX_CALCULATOR_TOKENS_PER_HOUR * HOURS_IN_AGGREGATED_MONTH).toBeLessThanOrEqual(MAX_TOKENS);
    expect((MAX_CALCULATOR_TOKENS_PER_HOUR + 1n) * HOURS_IN_AGGREGATED_MONTH).toBeGreaterThan(MAX_TOKENS);
    const [row] = planTable([MAX_CALCULATOR_TOKENS_PER_HOUR], Decimal.ONE);
    expect([row!.aggregatedTokens, row!.suggestedMonthlyTokens]).toEqual([
      9223372036854775800n,
      9n * 10n ** 18n,
    ]);
    expect(() => planTable([7n, MAX_CALCULATOR_TOKENS_PER_HOUR + 1n], Decimal.ONE)).toThrow(
      /^tokensPerHour\[1\]: must be at most 12397005425880075/,
    );
    expect(parseCalculatorTokensPerHour("7, 12397005425880075")).toEqual([7n, 12397005425880075n]);
    expect(() => parseCalculatorTokensPerHour("7,9223372036854775807")).toThrow(
      /^tph: must be at most 12397005425880075 \(got 9223372036854775807\)/,
    );
  });
});

describe("suggestMonthlyTokens", () => {
  it.each([
    [0n, 0n],
    [7n, 7n], // one digit: step 5 × 10^-1 is below one token, so the figure stays
    [10n, 10n],
    [17n, 15n],
    [99n, 95n],
    [744n, 700n],
    [5208n, 5000n],
    [5499n, 5000n],
    [5500n, 5500n],
    [10416n, 10000n],
    [744000n, 700000n],
  ])("%s → %s", (aggregated, suggested) => {
    expect(suggestMonthlyTokens(aggregated)).toBe(suggested);
  });

  it("takes the step as a setting, and treats a step below 1 as 1", () => {
    const tens = (d: number) => (d < 2 ? 1n : 10n ** BigInt(d - 1));
    expect(suggestMonthlyTokens(5208n, tens)).toBe(5000n);
    expect(suggestMonthlyTokens(15624n, tens)).toBe(10000n);
    expect(suggestMonthlyTokens(5208n, () => 0n)).toBe(5208n);
  });

  it("rejects negative input", () => {
    expect(() => suggestMonthlyTokens(-1n)).toThrow(/^aggregated:/);
  });

  it("property: rounds down to a multiple of the step, by less than one step, never to 0 from ≥ 1", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), (n) => {
        const s = suggestMonthlyTokens(n);
        const step = defaultMonthlyStep(n.toString().length);
        expect(s <= n && n - s < step && s % step === 0n).toBe(true);
        if (n > 0n) expect(s > 0n).toBe(true);
      }),
    );
  });

  it("an aggregated month is 24 × 31 hours", () => {
    expect(HOURS_IN_AGGREGATED_MONTH).toBe(24n * 31n);
  });
});

describe("conversionScheme", () => {
  it("reproduces the §1 table exactly", () => {
    const rows = conversionScheme([
      { code: "USD", unitCost: Decimal.parse("0.001") },
      { code: "EUR", unitCost: Decimal.parse("0.00091") },
    ]);
    const shown = rows.map((r) => [
      r.tokens,
      formatDecimal(r.amounts[0]!.amount, USD, 5),
      formatDecimal(r.amounts[1]!.amount, EUR, 5),
    ]);
    expect(shown).toEqual([
      [1n, "$0.00100", "€0.00091"],
      [10n, "$0.01000", "€0.00910"],
      [100n, "$0.10000", "€0.09100"],
      [1000n, "$1.00000", "€0.91000"],
      [10000n, "$10.00000", "€9.10000"],
    ]);
    expect(rows[4]!.amounts[1]!.amount.toString()).toBe("9.1");
  });

  it("accepts other token counts", () => {
    const rows = conversionScheme([{ code: "USD", unitCost: Decimal.parse("0.001") }], [5n]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.amounts[0]!.amount.toString()).toBe("0.005");
  });
});
