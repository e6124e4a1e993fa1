import { describe, expect, it } from "vitest";
import { workedExampleStatement } from "./fixtures/money-in-documents.ts";
import { statementCsv } from "./statement-csv.ts";

describe("statement CSV", () => {
  it("lists billing-rules §7's worked example with decimal and minor-unit amounts, CRLF-terminated", () => {
    expect(statementCsv(workedExampleStatement)).toBe(
      [
        "date,kind,reference,currency,amount,amount_minor,balance,balance_minor,received,refund_method,refunded_how",
        "2026-11-01,invoice,INV-2026-000001,USD,10.20,1020,10.20,1020,,,",
        "2026-11-05,payment,bank_transfer BANK-1,USD,-4.00,-400,6.20,620,,,",
        "2026-11-20,payment,bank_transfer BANK-2,USD,-10.00,-1000,-3.80,-380,,,",
        "2026-12-01,invoice,INV-2026-000002,USD,5.14,514,1.34,134,,,",
        "2026-12-01,credit_applied,INV-2026-000002,USD,-3.80,-380,1.34,134,,,",
        "",
      ].join("\r\n"),
    );
  });

  it("writes amounts in the currency's exponent, whatever its display format", () => {
    const jpy = { ...workedExampleStatement.currency, code: "JPY", exponent: 0, displayPrefix: "¥" };
    const bhd = { ...workedExampleStatement.currency, code: "BHD", exponent: 3, decimalsSeparator: "," };
    const entry = {
      date: "2026-11-01",
      kind: "invoice" as const,
      reference: "INV-1",
      amount: 1234567n,
      balance: 5n,
    };
    const one = (currency: typeof jpy) =>
      statementCsv({ ...workedExampleStatement, currency, entries: [entry] }).split("\r\n")[1];
    expect(one(jpy)).toBe("2026-11-01,invoice,INV-1,JPY,1234567,1234567,5,5,,,");
    expect(one(bhd)).toBe("2026-11-01,invoice,INV-1,BHD,1234.567,1234567,0.005,5,,,");
  });

  it("quotes fields with commas, quotes or line breaks (RFC 4180) and defuses spreadsheet formulas", () => {
    const entries = [
      "a,b",
      'say "hi"',
      "two\r\nlines",
      '=HYPERLINK("http://x")',
      "+1",
      "@SUM(A1)",
      "-2",
      "plain",
    ].map((reference) => ({
      date: "2026-11-01",
      kind: "payment" as const,
      reference,
      amount: -1n,
      balance: -1n,
    }));
    const rows = statementCsv({ ...workedExampleStatement, entries })
      .split("\r\n")
      .slice(1, -1);
    // The field with a line break spans two physical lines; rejoin it.
    expect(rows.join("\n")).toBe(
      [
        '2026-11-01,payment,"a,b",USD,-0.01,-1,-0.01,-1,,,',
        '2026-11-01,payment,"say ""hi""",USD,-0.01,-1,-0.01,-1,,,',
        '2026-11-01,payment,"two',
        'lines",USD,-0.01,-1,-0.01,-1,,,',
        `2026-11-01,payment,"'=HYPERLINK(""http://x"")",USD,-0.01,-1,-0.01,-1,,,`,
        "2026-11-01,payment,'+1,USD,-0.01,-1,-0.01,-1,,,",
        "2026-11-01,payment,'@SUM(A1),USD,-0.01,-1,-0.01,-1,,,",
        "2026-11-01,payment,'-2,USD,-0.01,-1,-0.01,-1,,,",
        "2026-11-01,payment,plain,USD,-0.01,-1,-0.01,-1,,,",
      ].join("\n"),
    );
  });

  it("gives a payment's own date in the last column when it was recorded on another day", () => {
    const entries = [
      {
        date: "2026-11-05",
        kind: "payment" as const,
        reference: "bank_transfer B-7",
        received: "2026-11-01",
        amount: -400n,
        balance: -400n,
      },
    ];
    expect(statementCsv({ ...workedExampleStatement, entries }).split("\r\n")[1]).toBe(
      "2026-11-05,payment,bank_transfer B-7,USD,-4.00,-400,-4.00,-400,2026-11-01,,",
    );
  });

  it("is only the header for a customer with no entries", () => {
    expect(statementCsv({ ...workedExampleStatement, entries: [], balance: 0n })).toBe(
      "date,kind,reference,currency,amount,amount_minor,balance,balance_minor,received,refund_method,refunded_how\r\n",
    );
  });

  it("names a refund's way back in its last two columns: the payment's method and the statement's words", () => {
    const refund = (method: string, words: string) => ({
      date: "2026-12-01",
      kind: "refund" as const,
      reference: "ref_1",
      refund: { method, words },
      amount: 250n,
      balance: 0n,
    });
    const rows = statementCsv({
      ...workedExampleStatement,
      entries: [
        refund("stripe", "refunded"),
        refund("bank_transfer", "paid back by bank transfer"),
        // A method the API refuses (payment-schemas.ts), were one ever stored: still no formula.
        refund("=cmd", "paid back by =cmd"),
      ],
    }).split("\r\n");
    expect(rows.slice(1, -1)).toEqual([
      "2026-12-01,refund,ref_1,USD,2.50,250,0.00,0,,stripe,refunded",
      "2026-12-01,refund,ref_1,USD,2.50,250,0.00,0,,bank_transfer,paid back by bank transfer",
      "2026-12-01,refund,ref_1,USD,2.50,250,0.00,0,,'=cmd,paid back by =cmd",
    ]);
  });
});
