import { describe, expect, it } from "vitest";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { minorUnitsOf, paymentAmountHint } from "./invoice-amount.ts";

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
const CHF: CurrencyDisplay = { ...USD, code: "CHF", displayPrefix: "CHF ", thousandsSeparator: "’" };
const KWD: CurrencyDisplay = { ...USD, code: "KWD", exponent: 3, displayPrefix: "KD " };
const KWD_AR: CurrencyDisplay = {
  ...KWD,
  displayPrefix: "",
  displaySuffix: " د.ك",
  decimalsSeparator: "٫",
  thousandsSeparator: "٬",
};
// A decimal separator of two characters (the configuration allows up to 2) and "." grouping thousands.
const TWO: CurrencyDisplay = { ...USD, code: "XTS", decimalsSeparator: ",-", thousandsSeparator: "." };

/** The message minorUnitsOf refuses `text` with, or undefined when it takes it. */
function refusal(text: string, currency: CurrencyDisplay): string | undefined {
  try {
    minorUnitsOf(text, currency);
  } catch (e) {
    return (e as { issues: { message: string }[] }).issues[0]?.message;
  }
  return undefined;
}

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

describe("the examples the forms give", () => {
  // Until 2026-12-06 the payment form's hint printed the amount due as the invoice writes it ("¥3,000",
  // "CHF 100’000’000.00") and the refusal said "such as 12.34" in JPY: both refused when typed.
  const cases: [string, CurrencyDisplay, bigint, string][] = [
    ["JPY", JPY, 3000n, "3000"],
    ["CHF", CHF, 10_000_000_000n, "100000000.00"],
    ["USD", USD, 123456n, "1234.56"],
    ["EUR with a decimal comma", EUR_DE, 123456n, "1234,56"],
    ["KWD", KWD, 500n, "0.500"],
    ["KWD written with ٫", KWD_AR, 1_234_500n, "1234٫500"],
    ["a two-character separator", TWO, 123456n, "1234,-56"],
  ];
  it.each(cases)(
    "a payment's hint in %s names the amount due as the form takes it",
    (_, currency, due, typed) => {
      const hint = paymentAmountHint(due, currency);
      expect(hint).toContain(`For example ${typed} `);
      expect(minorUnitsOf(typed, currency)).toBe(due);
    },
  );

  it.each(cases)("the refusal's example in %s is taken", (_, currency) => {
    const said = refusal("1,000,000.00", currency) ?? "";
    const example = /such as (\S+),/.exec(said)?.[1] ?? "";
    expect(example, said).not.toBe("");
    expect(refusal(example, currency)).toBeUndefined();
  });

  it("gives an example of its own when nothing is due", () => {
    expect(paymentAmountHint(0n, JPY)).toContain("For example 12,");
  });
});

describe("the currency's own decimal separator", () => {
  // Until 2026-12-06 only "," was read besides ".": KWD written "0٫5" was refused, told "such as 12٫34".
  it('takes it, and "." too unless "." groups the currency\'s thousands', () => {
    expect(minorUnitsOf("0٫5", KWD_AR)).toBe(500n);
    expect(minorUnitsOf("0.5", KWD_AR)).toBe(500n);
    expect(minorUnitsOf("12,-3", TWO)).toBe(1230n);
    expect(refusal("12.3", TWO)).toMatch(/such as 12,-34,/);
    expect(minorUnitsOf("12.34", { ...EUR_DE, thousandsSeparator: " " })).toBe(1234n);
    expect(refusal("12.34", EUR_DE)).toMatch(/such as 12,34,/);
  });

  it("refuses thousands separators, a second separator and more decimals than the currency has", () => {
    expect(refusal("1٬000٫5", KWD_AR)).toMatch(/without a currency sign or thousands separators/);
    expect(refusal("1٫000٫5", KWD_AR)).toMatch(/such as 12٫345,/);
    expect(refusal("1٫0005", KWD_AR)).toBe("KWD has 3 decimals: enter at most that many");
    expect(refusal("12,", TWO)).toMatch(/such as/);
    expect(refusal("٫5", KWD_AR)).toMatch(/such as/);
    expect(refusal("١٢", KWD_AR)).toMatch(/such as/);
  });

  it("stays exact beyond what a float holds", () => {
    expect(minorUnitsOf("9007199254740٫993", KWD_AR)).toBe(9007199254740993n);
  });
});
