import { describe, expect, it } from "vitest";
import { type ComputedInvoice, describeDifference } from "./describe-difference.ts";

// The case the billing-run review found: server 11 resized in the period, so its invoice has a line per plan
// (1512 tokens on plan 3, then 3360 on plan 4); only the VAT rate changed, 19 % → 20 %. USD at B 0.001:
// $1.51 + $3.36 = $4.87; VAT 19 % $0.93, total $5.80; VAT 20 % $0.97, total $5.84.

const stored = {
  id: "inv_1",
  customer_id: 7n,
  status: "finalized",
  number: "INV-2026-000042",
  total: 580n,
  tokens: 4872n,
  currency_code: "USD",
  discounts: [],
  taxes: [{ label: "VAT", rate: "19", amount: "93" }],
};

// Read back in no particular order, as a query without ORDER BY may give them.
const storedLines = [
  { position: 1, kind: "server", server_id: 11n, plan_id: 4n, tokens: 3360n, amount: 336n },
  { position: 0, kind: "server", server_id: 11n, plan_id: 3n, tokens: 1512n, amount: 151n },
];

const recomputed: ComputedInvoice = {
  facts: { currency: { code: "USD" } },
  lines: [
    { kind: "server", serverId: 11, planId: 3, tokens: 1512n, amount: 151n },
    { kind: "server", serverId: 11, planId: 4, tokens: 3360n, amount: 336n },
  ],
  tokens: 4872n,
  totals: { total: 584n },
  discounts: [],
  taxes: [{ label: "VAT", rate: "20", amount: 97n }],
};

describe("describeDifference", () => {
  it("finds no changed line on a resized server and names the tax that changed", () => {
    const anomaly = describeDifference(stored, storedLines, recomputed);
    expect(anomaly.kind).toBe("invoice_differs");
    expect(anomaly.details).toMatchObject({
      total: { stored: 580n, now: 584n },
      lines: [],
      discounts: [],
      taxes: [
        {
          name: "VAT",
          change: "changed",
          rate: { stored: "19", now: "20" },
          amount: { stored: 93n, now: 97n },
        },
      ],
    });
    expect(anomaly.message).toContain("taxes differ");
    expect(anomaly.message).not.toContain("lines");
  });

  it("points at the plan line that changed, and at discounts added or removed", () => {
    const anomaly = describeDifference(stored, storedLines, {
      ...recomputed,
      lines: [recomputed.lines[0]!, { ...recomputed.lines[1]!, tokens: 3000n, amount: 300n }],
      discounts: [{ name: "Loyalty", multiplier: "0.95", amount: 23n }],
      taxes: [{ label: "VAT", rate: "19.00", amount: 93n }],
    });
    expect(anomaly.details).toMatchObject({
      lines: [
        {
          line: "server:11 plan:4",
          change: "changed",
          tokens: { stored: 3360n, now: 3000n },
          amount: { stored: 336n, now: 300n },
        },
      ],
      discounts: [{ name: "Loyalty", change: "added", multiplier: "0.95", amount: 23n }],
      taxes: [],
    });
  });
});
