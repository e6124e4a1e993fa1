import { describe, expect, it } from "vitest";
import { InvoiceListQuery } from "./invoices/invoice-schemas.ts";
import { BillingRunListQuery } from "./runs/billing-run-schemas.ts";

// The lists' period filters (`tokenbill billing runs --period`, GET /billing-runs and /invoices?period=) read a
// period as a billing run does: a month that cannot exist is refused, not answered with an empty list.

describe.each([
  ["billing runs", BillingRunListQuery],
  ["invoices", InvoiceListQuery],
])("the %s list's period filter", (_name, query) => {
  it.each(["2026-13", "2026-00", "2026-1", "1969-12", "abcd-ef", ""])(
    "refuses %j naming the field",
    (period) => {
      const r = query.safeParse({ period });
      expect(r.success).toBe(false);
      expect(r.error?.issues).toEqual([
        expect.objectContaining({
          path: ["period"],
          message: 'must be a month written YYYY-MM, e.g. "2026-10"',
        }),
      ]);
    },
  );

  it("takes a month that exists", () => {
    expect(query.parse({ period: "2026-10" })).toMatchObject({ period: "2026-10" });
  });
});
