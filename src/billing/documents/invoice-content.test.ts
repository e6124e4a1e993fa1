import { describe, expect, it } from "vitest";
import { Decimal } from "../../domain/decimal.ts";
import { computeInvoiceTotals } from "../../domain/invoice-math.ts";
import { type CurrencyDisplay, formatMinor } from "../../domain/money.ts";
import { october2026Invoice, USD } from "./fixtures/october-2026-invoice.ts";
import { resizeBackupsIpsInvoice } from "./fixtures/resize-backups-ips-invoice.ts";
import {
  describeInvoice,
  describeLine,
  formatCount,
  formatInstant,
  formatPeriodRange,
  formatRate,
  formatUnitCost,
  taxLabel,
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
    expect(doc.taxes).toEqual(
      totals.taxes.map((t) => ({ label: t.label, rate: t.rate.toString(), base: t.base, amount: t.amount })),
    );
    expect([doc.subtotal, doc.net, doc.total]).toEqual([993n, 943n, 1020n]);
  });
});

describe("the resize, backups and IPs fixture", () => {
  const doc = resizeBackupsIpsInvoice;

  it("holds the billing-rules §2.2 figures: 2800 + 4816 on two plans, backups 140 and 500, IPs 510", () => {
    expect(doc.lines.map((l) => [l.kind, l.plan, l.hours, l.quantity, l.tokens])).toEqual([
      ["server", "1 Core, 1 GB RAM", 400n, undefined, 2800n], // 400 × 7
      ["additional_ips", "1 Core, 1 GB RAM", 400n, 1n, 400n], // 400 × 1, under the 500 cap
      ["server", "2 Cores, 2 GB RAM", 344n, undefined, 4816n], // 344 × 14
      ["additional_ips", "2 Cores, 2 GB RAM", 344n, 1n, 688n], // 344 × 2, under the 1000 cap
      ["backups", "2 Cores, 2 GB RAM", 100n, undefined, 140n], // 4816 × 10 % × 100/344
      ["server", "1 Core, 1 GB RAM", 744n, undefined, 5000n], // 5208 capped
      ["additional_ips", "1 Core, 1 GB RAM", 754n, 2n, 510n], // 744 h capped at 500, + 10 h
      ["backups", "1 Core, 1 GB RAM", 744n, undefined, 500n], // 5000 × 10 %
    ]);
    expect(4816n * 10n * 100n).toBe(140n * 100n * 344n); // 140 exactly, no rounding involved
  });

  it("holds the totals the domain's invoice maths computes for its lines", () => {
    const totals = computeInvoiceTotals({
      lines: doc.lines.map((l) => ({ tokens: l.tokens })),
      base: Decimal.parse("0.001"),
      discounts: [{ name: "Loyalty Discount", multiplier: Decimal.parse("0.9") }],
      taxes: { compound: false, rates: [{ label: "Sales Tax", rate: Decimal.parse("8.875") }] },
      taxExempt: false,
      exponent: 2,
    });
    expect(doc.lines.map((l) => l.amount)).toEqual(totals.lineAmounts);
    expect(doc.discounts).toEqual(totals.discounts);
    expect(doc.taxes).toEqual(
      totals.taxes.map((t) => ({ label: t.label, rate: t.rate.toString(), base: t.base, amount: t.amount })),
    );
    // 1486 − round(148.6) = 1337; 1337 × 8.875 % = 118.66 → 119.
    expect([doc.subtotal, doc.net, doc.total]).toEqual([1486n, 1337n, 1456n]);
    expect([totals.subtotal, totals.net, totals.total]).toEqual([1486n, 1337n, 1456n]);
  });

  it("describes each line by server and what it charges, the plan in its own column", () => {
    expect(describeInvoice(doc).lineRows.map((r) => r.slice(0, 5))).toEqual([
      ["web-1 (server 201)", "1 Core, 1 GB RAM", "400", "Hourly", "2,800"],
      ["web-1 (server 201) · Additional IPs ×1", "1 Core, 1 GB RAM", "400", "Hourly", "400"],
      ["web-1 (server 201)", "2 Cores, 2 GB RAM", "344", "Hourly", "4,816"],
      ["web-1 (server 201) · Additional IPs ×1", "2 Cores, 2 GB RAM", "344", "Hourly", "688"],
      ["web-1 (server 201) · Backups 10%", "2 Cores, 2 GB RAM", "100", "Backup share", "140"],
      ["db-1 (server 202)", "1 Core, 1 GB RAM", "744", "Monthly cap", "5,000"],
      ["db-1 (server 202) · Additional IPs ×2", "1 Core, 1 GB RAM", "754", "Monthly cap", "510"],
      ["db-1 (server 202) · Backups 10%", "1 Core, 1 GB RAM", "744", "Backup share", "500"],
    ]);
  });

  it("explains what Hours counts when IP or backup lines are present, and only then", () => {
    expect(describeInvoice(doc).lineNote).toMatch(/IP-hours.*hours with backups on/);
    expect(describeInvoice(october2026Invoice).lineNote).toBeNull();
  });

  it("shows the tax on its base: Sales Tax 8.875% on $13.37", () => {
    expect(describeInvoice(doc).totals).toEqual([
      { label: "Subtotal", value: "$14.86", kind: "sum" },
      { label: "Loyalty Discount", value: "-$1.49", kind: "adjustment" },
      { label: "Net", value: "$13.37", kind: "sum" },
      { label: "Sales Tax 8.875% on $13.37", value: "$1.19", kind: "adjustment" },
      { label: "Total (USD)", value: "$14.56", kind: "total" },
    ]);
  });
});

describe("describeInvoice", () => {
  it("lists totals in §4 order: subtotal, discounts, net, taxes, total", () => {
    expect(describeInvoice(october2026Invoice).totals).toEqual([
      { label: "Subtotal", value: "$9.93", kind: "sum" },
      { label: "Special Client Group Discount", value: "-$0.50", kind: "adjustment" },
      { label: "Net", value: "$9.43", kind: "sum" },
      { label: "City Tax 6% on $9.43", value: "$0.57", kind: "adjustment" },
      { label: "State Tax 2% on $10.00", value: "$0.20", kind: "adjustment" },
      { label: "Total (USD)", value: "$10.20", kind: "total" },
    ]);
  });

  it("shows what credit or payments left due: ¥105 with ¥42 credit applied asks for ¥63", () => {
    const JPY = { ...USD, code: "JPY", exponent: 0, displayPrefix: "¥" };
    const yen = {
      ...october2026Invoice,
      currency: JPY,
      status: "partially_paid" as const,
      subtotal: 105n,
      discounts: [],
      net: 105n,
      taxes: [],
      total: 105n,
      amountDue: 63n,
    };
    const content = describeInvoice(yen);
    expect(content.totals.slice(-3)).toEqual([
      { label: "Total (JPY)", value: "¥105", kind: "total" },
      { label: "Payments and credit", value: "-¥42", kind: "adjustment" },
      { label: "Amount due", value: "¥63", kind: "due" },
    ]);
    expect(content.note).toBe(
      "Partly paid: please pay the rest, ¥63, by 2026-11-15, quoting INV-2026-000001.",
    );
    // Owed in full, or a draft or void invoice: no such rows.
    for (const doc of [
      { ...yen, status: "finalized" as const, amountDue: 105n },
      { ...yen, status: "void" as const, amountDue: 0n },
    ]) {
      expect(describeInvoice(doc).totals.map((t) => t.label)).not.toContain("Amount due");
    }
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

  it("reads a line without a kind as a server line, and a backup or IP line without its figures plainly", () => {
    const { kind: _, ...legacy } = october2026Invoice.lines[0]!;
    expect(describeLine(legacy, USD)).toBe("web-1 (server 101)");
    expect(describeLine({ ...legacy, kind: "additional_ips" }, USD)).toBe(
      "web-1 (server 101) · Additional IPs",
    );
    expect(describeLine({ ...legacy, kind: "backups", backupPercent: null }, USD)).toBe(
      "web-1 (server 101) · Backups",
    );
    expect(describeLine({ ...legacy, kind: "backups", backupPercent: "12.50" }, EUR_DE)).toBe(
      "web-1 (server 101) · Backups 12,5%",
    );
    expect(describeLine({ ...legacy, kind: "additional_ips", quantity: 1200n }, EUR_DE)).toBe(
      "web-1 (server 101) · Additional IPs ×1.200",
    );
  });

  it("labels a tax with its base when the document has one, and with its rate alone otherwise", () => {
    const money = (minor: bigint) => formatMinor(minor, EUR_DE);
    expect(taxLabel({ label: "MwSt", rate: "19", base: 123456n, amount: 23457n }, money, EUR_DE)).toBe(
      "MwSt 19% on 1.234,56 €",
    );
    expect(taxLabel({ label: "MwSt", rate: "19", amount: 23457n }, money, EUR_DE)).toBe("MwSt (19%)");
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
