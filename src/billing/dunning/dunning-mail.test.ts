import { describe, expect, it } from "vitest";
import { actingSteps, daysBetween, stepsDue } from "./dunning-ladder.ts";
import { buildDunningEmail } from "./dunning-mail.ts";
import { parseConfig } from "../../config.ts";

const USD = {
  code: "USD",
  exponent: 2,
  displayPrefix: "$",
  displaySuffix: "",
  thousandsSeparator: ",",
  decimalsSeparator: ".",
};

describe("the ladder (billing-rules §8 defaults)", () => {
  const ladder = parseConfig({ LOG_LEVEL: "silent" }).DUNNING_LADDER;
  it("counts calendar days from the due date", () => {
    expect(daysBetween("2026-11-15", "2026-11-12")).toBe(-3);
    expect(daysBetween("2026-11-15", "2026-11-29")).toBe(14);
    expect(daysBetween("2026-02-27", "2026-03-01")).toBe(2);
  });
  it("has the §8 rungs on their days", () => {
    expect(stepsDue(ladder, -4)).toEqual([]);
    expect(stepsDue(ladder, -3).map((s) => s.step)).toEqual(["reminder"]);
    expect(stepsDue(ladder, 0).map((s) => s.step)).toEqual(["reminder"]);
    expect(stepsDue(ladder, 1).map((s) => s.step)).toEqual(["reminder", "first_overdue"]);
    expect(stepsDue(ladder, 7).at(-1)).toEqual({
      step: "second_overdue",
      days: 7,
      email: "second_overdue",
      status: "locked",
    });
    expect(
      stepsDue(ladder, 14)
        .slice(-2)
        .map((s) => [s.step, s.status]),
    ).toEqual([
      ["final_notice", "suspended"],
      ["termination_candidate", undefined],
    ]);
  });
  it("acts on the latest e-mail and the strongest status among rungs due at once", () => {
    const acting = actingSteps(stepsDue(ladder, 20));
    expect(acting.email?.step).toBe("final_notice");
    expect(acting.status?.step).toBe("final_notice");
  });
  it("refuses a status rung before anything is overdue, and a name used twice", () => {
    expect(() =>
      parseConfig({ DUNNING_LADDER: JSON.stringify([{ step: "x", days: 0, status: "locked" }]) }),
    ).toThrow(/DUNNING_LADDER.0.days: a status step needs days >= 1/);
    expect(() =>
      parseConfig({
        DUNNING_LADDER: JSON.stringify([
          { step: "a", days: 1 },
          { step: "a", days: 2 },
        ]),
      }),
    ).toThrow(/is used twice or reserved/);
    expect(() => parseConfig({ DUNNING_LADDER: '[{"step":"a","days":1,"email":"spam"}]' })).toThrow(
      /DUNNING_LADDER.0.email/,
    );
  });
});

describe("dunning e-mails", () => {
  const base = {
    customer: { name: "Ada", email: "ada@example.com" },
    seller: { name: "Example Hosting", email: "billing@example.test" },
    from: "Example Hosting <noreply@example.test>",
    currency: USD,
    invoices: [
      { number: "INV-2026-000001", due_date: "2026-11-15", amount_due: 12_345n },
      { number: "INV-2026-000007", due_date: "2026-12-15", amount_due: 100_000n },
    ],
  };
  it("lists what is due and says what happened", () => {
    const mail = buildDunningEmail({ ...base, kind: "second_overdue" });
    expect(mail.subject).toBe("Second notice: account locked: $1,123.45 due to Example Hosting");
    expect(mail.to).toEqual({ name: "Ada", address: "ada@example.com" });
    expect(mail.replyTo).toBe("billing@example.test");
    expect(mail.text).toContain(
      "Invoice INV-2026-000001, due 2026-11-15: $123.45\nInvoice INV-2026-000007, due 2026-12-15: $1,000.00",
    );
    expect(mail.text).toContain("due on 2026-11-15, is still outstanding. Your account has been locked");
    expect(mail.text).toContain("Total due: $1,123.45");
  });
  it("names a currency written without prefix or suffix by its ISO code in the subject", () => {
    const bare = { ...USD, code: "KWD", exponent: 3, displayPrefix: "", displaySuffix: "" };
    const mail = buildDunningEmail({ ...base, currency: bare, kind: "reminder" });
    expect(mail.subject).toBe("Payment reminder: 112.345 KWD due to Example Hosting");
  });
  it("escapes the HTML part", () => {
    const mail = buildDunningEmail({
      ...base,
      kind: "reminder",
      customer: { name: "<b>Eve</b>", email: "e@x.test" },
    });
    expect(mail.html).toContain("Dear &lt;b&gt;Eve&lt;/b&gt;,");
    expect(mail.subject).toBe("Payment reminder: $1,123.45 due to Example Hosting");
  });
});
