import { describe, expect, it } from "vitest";
import { Decimal } from "../../domain/decimal.ts";
import { computeInvoiceTotals } from "../../domain/invoice-math.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { october2026Invoice, USD } from "./fixtures/october-2026-invoice.ts";
import {
  describeInvoice,
  formatCount,
  formatInstant,
  formatPeriodRange,
  formatRate,
  formatUnitCost,
} from "./invoice-content.ts";

const EUR_DE: CurrencyDisplay = {
  code: "EUR",
  exponent: 2,
  displayPrefix: "",
  displaySuffix: " €",
  thousandsSeparator: ".",
  decimalsSeparator: ",",
};

describe("the §4 fixture", () => {
  it("holds the figures the domain's invoice maths computes for billing-rules §4", () => {
    const totals = computeInvoiceTotals({
      lines: october2026Invoice.lines.map((l) => ({ tokens: l.tokens })),
      base: Decimal.parse("0.001"),
      discounts: [{ name: "Special Client Group Discount", multiplier: Decimal.parse("0.95") }],
      taxes: {
        compound: true,
        rates: [
          { label: "City Tax", rate: Decimal.parse("6") },
          { label: "State Tax", rate: Decimal.parse("2") },
        ],
      },
      taxExempt: false,
      exponent: 2,
    });
    const doc = october2026Invoice;
    expect(doc.lines.map((l) => l.amount)).toEqual(totals.lineAmounts);
    expect([doc.subtotal, doc.net, doc.total]).toEqual([totals.subtotal, totals.net, totals.total]);
    expect(doc.discounts).toEqual(totals.discounts);
    expect(doc.taxes.map((t) => [t.label, t.amount])).toEqual(totals.taxes.map((t) => [t.label, t.amount]));
    expect([doc.subtotal, doc.net, doc.total]).toEqual([993n, 943n, 1020n]);
  });
});

describe("describeInvoice", () => {
  it("lists totals in §4 order: subtotal, discounts, net, taxes, total", () => {
    expect(describeInvoice(october2026Invoice).totals).toEqual([
      { label: "Subtotal", value: "$9.93", kind: "sum" },
      { label: "Special Client Group Discount", value: "-$0.50", kind: "adjustment" },
      { label: "Net", value: "$9.43", kind: "sum" },
      { label: "City Tax (6%)", value: "$0.57", kind: "adjustment" },
      { label: "State Tax (2%)", value: "$0.20", kind: "adjustment" },
      { label: "Total (USD)", value: "$10.20", kind: "total" },
    ]);
  });

  it("names charge kinds and passes unknown ones through", () => {
    const doc = {
      ...october2026Invoice,
      lines: [
        { ...october2026Invoice.lines[1]!, chargeKind: "monthly_cap" },
        { ...october2026Invoice.lines[1]!, chargeKind: "ip_hourly" },
      ],
    };
    expect(describeInvoice(doc).lineRows.map((r) => r[3])).toEqual(["Monthly cap", "ip_hourly"]);
  });

  it("leaves out an empty region and the optional tax id", () => {
    const { taxId: _, ...seller } = october2026Invoice.seller;
    const c = describeInvoice({
      ...october2026Invoice,
      seller,
      customer: { ...october2026Invoice.customer, region: null },
    });
    expect(c.billTo.lines).toEqual(["accounts@acme.test", "US", "Customer no. 1001"]);
    expect(c.seller.lines.some((l) => l.startsWith("Tax ID"))).toBe(false);
  });
});

describe("formatting helpers", () => {
  it("groups counts like the currency groups amounts", () => {
    expect(formatCount(1234567n, USD)).toBe("1,234,567");
    expect(formatCount(1234567n, EUR_DE)).toBe("1.234.567");
    expect(formatCount(0n, USD)).toBe("0");
  });

  it("shows unit costs exactly, with at least the currency's decimals", () => {
    expect(formatUnitCost("0.001", USD)).toBe("$0.001");
    expect(formatUnitCost("0.00100", USD)).toBe("$0.001");
    expect(formatUnitCost("0.00091", EUR_DE)).toBe("0,00091 €");
    expect(formatUnitCost("1", USD)).toBe("$1.00");
    expect(formatUnitCost("0.000000000001", USD)).toBe("$0.000000000001");
  });

  it("shows tax rates without trailing zeros, with the currency's decimals separator", () => {
    expect(formatRate("6", USD)).toBe("6%");
    expect(formatRate("7.50", USD)).toBe("7.5%");
    expect(formatRate("19.25", EUR_DE)).toBe("19,25%");
  });

  it("shows instants as text, never through the host's time zone", () => {
    expect(formatInstant("2026-10-01T00:00:00.000Z")).toBe("2026-10-01 00:00 UTC");
    expect(formatInstant("2026-10-01T00:00:00+02:00")).toBe("2026-10-01 00:00 UTC+02:00");
    expect(formatInstant("not an instant")).toBe("not an instant");
    expect(formatPeriodRange("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")).toBe(
      "2026-10-01 00:00 – 2026-11-01 00:00 UTC",
    );
    // Europe/Berlin: October 2026 starts in summer time and ends in winter time.
    expect(formatPeriodRange("2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00")).toBe(
      "2026-10-01 00:00 UTC+02:00 – 2026-11-01 00:00 UTC+01:00",
    );
  });
});
