import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Decimal } from "./decimal.ts";
import { type CurrencyDisplay, formatDecimal, formatMinor, toMinorUnits } from "./money.ts";

const currency = (code: string, exponent: number, more: Partial<CurrencyDisplay> = {}): CurrencyDisplay => ({
  code,
  exponent,
  displayPrefix: "",
  displaySuffix: "",
  thousandsSeparator: ",",
  decimalsSeparator: ".",
  ...more,
});
const USD = currency("USD", 2, { displayPrefix: "$" });
const EUR = currency("EUR", 2, { displayPrefix: "€" });
const JPY = currency("JPY", 0, { displayPrefix: "¥" });
const KWD = currency("KWD", 3, { displaySuffix: " KWD" });
const EUR_DE = currency("EUR", 2, { displaySuffix: " €", thousandsSeparator: ".", decimalsSeparator: "," });

describe("§1 conversion scheme: USD 0.001 and EUR 0.00091 per token", () => {
  it.each([
    [1n, "$0.00100", "€0.00091"],
    [10n, "$0.01000", "€0.00910"],
    [100n, "$0.10000", "€0.09100"],
    [1000n, "$1.00000", "€0.91000"],
    [10000n, "$10.00000", "€9.10000"],
  ])("%s tokens → %s and %s", (tokens, usd, eur) => {
    expect(formatDecimal(Decimal.parse("0.001").mul(tokens), USD, 5)).toBe(usd);
    expect(formatDecimal(Decimal.parse("0.00091").mul(tokens), EUR, 5)).toBe(eur);
  });
});

describe("formatMinor", () => {
  it("groups thousands and pads minor digits", () => {
    expect(formatMinor(123450n, USD)).toBe("$1,234.50");
    expect(formatMinor(5n, USD)).toBe("$0.05");
    expect(formatMinor(0n, USD)).toBe("$0.00");
    expect(formatMinor(123456789012n, USD)).toBe("$1,234,567,890.12");
  });

  it("puts the minus sign before the prefix", () => {
    expect(formatMinor(-123450n, USD)).toBe("-$1,234.50");
    expect(formatMinor(-5n, USD)).toBe("-$0.05");
  });

  it("handles JPY (exponent 0), KWD (exponent 3) and continental separators", () => {
    expect(formatMinor(1234567n, JPY)).toBe("¥1,234,567");
    expect(formatMinor(1234567n, KWD)).toBe("1,234.567 KWD");
    expect(formatMinor(123450n, EUR_DE)).toBe("1.234,50 €");
  });

  it("rejects a nonsensical exponent", () => {
    expect(() => formatMinor(1n, currency("XXX", -1))).toThrow(/^currency\.exponent:/);
    expect(() => toMinorUnits(Decimal.ONE, 2.5)).toThrow(/^exponent:/);
  });
});

describe("toMinorUnits", () => {
  it("rounds half away from zero by default, half even as a setting", () => {
    expect(toMinorUnits(Decimal.parse("0.125"), 2)).toBe(13n);
    expect(toMinorUnits(Decimal.parse("0.125"), 2, "half_even")).toBe(12n);
    expect(toMinorUnits(Decimal.parse("0.135"), 2, "half_even")).toBe(14n);
    expect(toMinorUnits(Decimal.parse("-0.125"), 2)).toBe(-13n);
    expect(toMinorUnits(Decimal.parse("-0.125"), 2, "half_even")).toBe(-12n);
  });

  it("uses the currency's exponent: JPY 0, KWD 3", () => {
    expect(toMinorUnits(Decimal.parse("5.208"), 0)).toBe(5n);
    expect(toMinorUnits(Decimal.parse("1234.5"), 0)).toBe(1235n);
    expect(toMinorUnits(Decimal.parse("1234.5"), 0, "half_even")).toBe(1234n);
    expect(toMinorUnits(Decimal.parse("5.2085"), 3)).toBe(5209n);
    expect(toMinorUnits(Decimal.parse("5.2085"), 3, "half_even")).toBe(5208n);
    expect(formatMinor(toMinorUnits(Decimal.parse("5.2085"), 3), KWD)).toBe("5.209 KWD");
  });

  it("property: formatMinor of toMinorUnits equals formatDecimal at the exponent", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.integer({ min: 0, max: 8 }),
        (c, s) => {
          const amount = Decimal.of(c, s);
          expect(formatMinor(toMinorUnits(amount, 2), USD)).toBe(formatDecimal(amount, USD, 2));
        },
      ),
    );
  });
});
