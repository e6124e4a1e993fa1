import { describe, expect, it } from "vitest";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { minorUnitsOf } from "./invoice-amount.ts";

const USD: CurrencyDisplay = {
  code: "USD",
  exponent: 2,
  displayPrefix: "$",
  displaySuffix: "",
  thousandsSeparator: ",",
  decimalsSeparator: ".",
};
const EUR_DE: CurrencyDisplay = { ...USD, code: "EUR", thousandsSeparator: ".", decimalsSeparator: "," };
const JPY: CurrencyDisplay = { ...USD, code: "JPY", exponent: 0, displayPrefix: "¥" };

describe("minorUnitsOf", () => {
  it("converts major units exactly, beyond what a float holds", () => {
    expect(minorUnitsOf("5.14", USD)).toBe(514n);
    expect(minorUnitsOf(" 2 ", USD)).toBe(200n);
    expect(minorUnitsOf("0.1", USD)).toBe(10n);
    expect(minorUnitsOf("90071992547409.93", USD)).toBe(9007199254740993n);
    expect(minorUnitsOf("12,34", EUR_DE)).toBe(1234n);
    expect(minorUnitsOf("500", JPY)).toBe(500n);
  });

  it("refuses, naming the field, what it cannot read exactly", () => {
    const issue = (text: string, c = USD) => {
      try {
        minorUnitsOf(text, c, "amount");
      } catch (e) {
        return (e as { issues: { field: string; message: string }[] }).issues[0];
      }
      return undefined;
    };
    expect(issue("1.005")).toEqual({
      field: "amount",
      message: "USD has 2 decimals: enter at most that many",
    });
    expect(issue("1,000.00")?.message).toMatch(/without a currency sign or thousands separators/);
    expect(issue("$5")?.field).toBe("amount");
    expect(issue("-5")?.field).toBe("amount");
    expect(issue("1e3")?.field).toBe("amount");
    expect(issue("0.00")?.message).toBe("must be more than zero");
    expect(issue("")?.message).toBe("enter an amount");
    expect(issue("1.5", JPY)?.message).toBe("JPY has no minor unit: enter a whole amount");
    expect(issue("1.000,00", EUR_DE)?.field).toBe("amount");
  });
});
