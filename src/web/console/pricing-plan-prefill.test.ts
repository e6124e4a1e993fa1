import { describe, expect, it } from "vitest";
import { MAX_CALCULATOR_TOKENS_PER_HOUR, parseCalculatorTokensPerHour } from "../../domain/calculator.ts";
import { TPH_LIST_MAX_LENGTH } from "../../services/pricing/price-calculator.ts";
import { prefilledTokensPerHour } from "./pricing-plan-pages.ts";

// The console's calculator opens on the listed plans' tokens per hour: a list the calculator itself takes.

describe("prefilledTokensPerHour", () => {
  it("lists each figure once, in order, leaving out 0 and what the calculator cannot price", () => {
    expect(prefilledTokensPerHour([7n, 14n, 7n, 0n, MAX_CALCULATOR_TOKENS_PER_HOUR + 1n, 28n])).toBe(
      "7,14,28",
    );
    expect(prefilledTokensPerHour([MAX_CALCULATOR_TOKENS_PER_HOUR])).toBe(
      String(MAX_CALCULATOR_TOKENS_PER_HOUR),
    );
    expect(prefilledTokensPerHour([2n ** 63n - 1n])).toBe("");
  });

  it("stops before the field's length, so 100 plans of five digits still give a list it takes", () => {
    const figures = Array.from({ length: 100 }, (_, i) => BigInt(10_000 + i));
    const list = prefilledTokensPerHour(figures);
    expect(list.length).toBeLessThanOrEqual(TPH_LIST_MAX_LENGTH);
    expect(list.length).toBeGreaterThan(TPH_LIST_MAX_LENGTH - 6);
    expect(parseCalculatorTokensPerHour(list)).toEqual(figures.slice(0, list.split(",").length));
  });
});
