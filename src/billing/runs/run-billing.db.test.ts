import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { getInvoice } from "../invoices/get-invoice.ts";
import { listInvoices } from "../invoices/list-invoices.ts";
import { listBillingAnomalies } from "./list-billing-anomalies.ts";
import {
  billingContext,
  createCustomers,
  createSection4Customer,
  section4Usage,
  usageOf,
} from "../testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { launchBillingRun } from "./launch-billing-run.ts";
import { runBilling } from "./run-billing.ts";

// A billing run end to end on the database: the §4 example's figures, and every way usage can be odd
// (unknown or missing billing user, SolusIO disagreeing with §2) reported rather than dropped.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

describe("runBilling", () => {
  it("bills the billing-rules §4 example: 993 − 50 = 943, City Tax 57, State Tax 20, total 1020", async () => {
    const customer = await createSection4Customer(handle);
    const ctx = billingContext(handle);
    const summary = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(section4Usage(customer, 1)) },
    });
    expect(summary).toMatchObject({
      state: "completed",
      usage_records: 3,
      customers: 1,
      invoices: { created: 1, already_present: 0, finalized: 1, by_status: { finalized: 1 } },
      totals: [{ currency: "USD", invoices: 1, subtotal: 993n, discounts: 50n, taxes: 77n, total: 1020n }],
      anomalies: { total: 0 },
    });
    const { data } = await listInvoices({ ctx, input: { page: 1, per_page: 10, customer_id: customer } });
    const invoice = await getInvoice({ ctx, input: { id: data[0]!.id } });
    expect(invoice).toMatchObject({
      number: "INV-2026-000001",
      status: "finalized",
      period: "2026-10",
      period_start: "2026-10-01T00:00:00.000Z",
      period_end: "2026-11-01T00:00:00.000Z",
      issue_date: "2026-11-01",
      due_date: "2026-11-15",
      base_token_unit_cost: "0.001",
      tokens: 9928n,
      subtotal: 993n,
      discounts: [{ name: "Special Client Group Discount", multiplier: "0.95", amount: 50n }],
      discount_total: 50n,
      net: 943n,
      taxes: [
        { label: "City Tax", rate: "6", amount: 57n },
        { label: "State Tax", rate: "2", amount: 20n },
      ],
      tax_compound: true,
      tax_total: 77n,
      total: 1020n,
    });
    expect(invoice.lines!.map((l) => [l.kind, l.hours, l.charge_kind, l.tokens, l.amount])).toEqual([
      ["server", 700n, "hourly", 4900n, 490n],
      ["server", 730n, "monthly_cap", 5000n, 500n],
      ["server", 1n, "hourly", 28n, 3n],
    ]);
  });

  it("reports unknown and missing billing users and SolusIO/§2 disagreements, billing SolusIO's figure", async () => {
    const [known] = await createCustomers(handle, [{ email: "odd@example.com" }]);
    const ctx = billingContext(handle);
    const source = new MemoryUsageSource([
      usageOf({
        billingUserId: known!,
        tph: 7,
        tpm: 5000,
        createdAt: "2026-10-01T00:00:00Z",
        deletedAt: "2026-10-01T10:00:00Z",
        serverId: 51,
        reportedTokens: 77n,
      }),
      usageOf({
        billingUserId: 999_999n,
        tph: 7,
        tpm: 5000,
        createdAt: "2026-10-01T00:00:00Z",
        deletedAt: null,
        serverId: 52,
      }),
      usageOf({
        billingUserId: 999_999n,
        tph: 7,
        tpm: 0,
        createdAt: "2026-10-02T00:00:00Z",
        deletedAt: "2026-10-02T01:00:00Z",
        serverId: 53,
      }),
      usageOf({
        billingUserId: null,
        tph: 7,
        tpm: 5000,
        createdAt: "2026-10-01T00:00:00Z",
        deletedAt: "2026-10-01T01:00:00Z",
        serverId: 54,
      }),
      usageOf({
        billingUserId: known!,
        tph: 7,
        tpm: 5000,
        createdAt: "2026-10-01T00:00:00Z",
        deletedAt: "2026-10-01T01:00:00Z",
        serverId: 51,
      }),
    ]);
    let runId = "";
    const summary = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source, onStart: (run) => (runId = run.id) },
    });
    expect(summary.anomalies.by_kind).toEqual({
      duplicate_usage: 1,
      missing_billing_user: 1,
      token_mismatch: 1,
      unknown_billing_user: 1,
    });
    const anomalies = await listBillingAnomalies({ ctx, input: { id: runId, page: 1, per_page: 50 } });
    const unknown = anomalies.data.find((a) => a.kind === "unknown_billing_user")!;
    expect(unknown).toMatchObject({ billing_user_id: 999_999, details: { servers: [52, 53], tokens: 5007 } });
    const mismatch = anomalies.data.find((a) => a.kind === "token_mismatch")!;
    expect(mismatch).toMatchObject({
      server_id: 51,
      details: { solusio: { tokens: 77, hours: 10 }, recomputed: { tokens: 70 } },
    });
    const invoices = await listInvoices({ ctx, input: { page: 1, per_page: 10, customer_id: known! } });
    // SolusIO's 77 tokens are billed; tokenbill's 70 is kept beside them on the line.
    const invoice = await getInvoice({ ctx, input: { id: invoices.data[0]!.id } });
    expect(invoice.lines!.map((l) => [l.tokens, l.recomputed_tokens])).toEqual([[77n, 70n]]);
  });

  it("refuses a period that has not ended plus the grace window, naming the field", async () => {
    const ctx = billingContext(handle, {}, new Date("2026-11-01T00:30:00Z"));
    await expect(
      runBilling({ ctx, input: { period: "2026-10" }, options: { source: new MemoryUsageSource([]) } }),
    ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "period" }] });
    await expect(
      runBilling({ ctx, input: { period: "2026-13" }, options: { source: new MemoryUsageSource([]) } }),
    ).rejects.toMatchObject({ code: "VALIDATION", issues: [{ field: "period" }] });
  });

  it("checks the period before SolusIO or the usage source's configuration: a mistyped month is what is said", async () => {
    // USAGE_SOURCE is solusio (the default) without SOLUSIO_URL, and the SolusIO at hand must not be asked
    // (binding the database to it would be a write before the refusal).
    const ctx = {
      ...billingContext(handle),
      solusio: {
        get connection(): never {
          throw new Error("SolusIO was asked");
        },
      } as unknown as ServiceContext["solusio"],
    };
    for (const period of ["2026-13", "2026-1", "abcd-ef", "", "2026-11"]) {
      await expect(runBilling({ ctx, input: { period } })).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "period" }],
      });
      await expect(launchBillingRun({ ctx, input: { period } })).rejects.toMatchObject({
        code: "VALIDATION",
        issues: [{ field: "period" }],
      });
    }
  });

  it("reports a month without any usage after an invoiced one as an anomaly, not as a quiet month", async () => {
    // 2026-10 was invoiced by the tests above; November comes back empty, as from a wrong or empty SolusIO.
    const ctx = billingContext(handle, {}, new Date("2026-12-02T00:00:00Z"));
    const summary = await runBilling({
      ctx,
      input: { period: "2026-11" },
      options: { source: new MemoryUsageSource([]) },
    });
    expect(summary.state).toBe("completed");
    expect(summary.anomalies.by_kind).toEqual({ no_usage: 1 });
    const anomalies = await listBillingAnomalies({
      ctx,
      input: { id: summary.run_id, page: 1, per_page: 10 },
    });
    expect(anomalies.data[0]).toMatchObject({
      kind: "no_usage",
      details: { previous_period: "2026-10", previous_invoices: expect.any(Number) },
    });
    expect(anomalies.data[0]!.message).toContain("tokenbill solusio doctor");
    // A month with nothing before it is just a quiet month.
    const quiet = await runBilling({
      ctx,
      input: { period: "2026-08" },
      options: { source: new MemoryUsageSource([]) },
    });
    expect(quiet.anomalies.total).toBe(0);
  });
});
