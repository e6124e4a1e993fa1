import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { voidInvoice } from "../invoices/void-invoice.ts";
import { billingContext, julyOfThreeCustomers, type usageOf } from "../testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { runBilling } from "./run-billing.ts";

// The review's case: Cleo's July invoice is voided ("wrong tax rule, to be reissued") and July is run again.
// The void invoice keeps her (customer, period) slot, so the run bills nothing for her: it must say so.

const AFTER_JULY = new Date("2026-08-01T01:00:00Z");

let handle: DatabaseHandle;
let cleo: bigint;
let usage: ReturnType<typeof usageOf>[];
beforeAll(async () => {
  handle = await createTestDatabase();
  const july = await julyOfThreeCustomers(handle, [
    "cleo@example.com",
    "dora@example.com",
    "emil@example.com",
  ]);
  const ids = july.ids;
  cleo = ids[0]!;
  usage = july.usage;
});
afterAll(async () => handle?.close());

const ctx = () => billingContext(handle, {}, AFTER_JULY);
const run = async () => {
  let runId = "";
  const summary = await runBilling({
    ctx: ctx(),
    input: { period: "2026-07" },
    options: { source: new MemoryUsageSource(usage), onStart: (r) => (runId = r.id) },
  });
  return { summary, runId };
};

describe("a run that meets a void invoice", () => {
  it("reports the usage no live invoice bills, naming the void invoice and the amount", async () => {
    const first = await run();
    expect(first.summary.invoices).toMatchObject({ created: 3 });
    const invoice = await handle.db
      .selectFrom("invoice")
      .select(["id", "number", "total"])
      .where("customer_id", "=", cleo)
      .where("period", "=", "2026-07")
      .executeTakeFirstOrThrow();
    expect(invoice.total).toBe(500n);
    await voidInvoice({ ctx: ctx(), input: { id: invoice.id, reason: "wrong tax rule, to be reissued" } });

    const again = await run();
    expect(again.summary.invoices).toMatchObject({ created: 0, already_present: 3 });
    expect(again.summary.anomalies.by_kind).toEqual({ invoice_void: 1 });
    const anomaly = await handle.db
      .selectFrom("billing_anomaly")
      .selectAll()
      .where("billing_run_id", "=", again.runId)
      .executeTakeFirstOrThrow();
    expect(anomaly.customer_id).toBe(cleo);
    expect(anomaly.message).toContain(`invoice ${invoice.number} of customer ${cleo} for 2026-07 is void`);
    expect(anomaly.message).toContain("computed 500 USD minor units (5000 tokens)");
    expect(anomaly.message).toContain(`reissue the invoice (POST /api/v1/invoices/${invoice.id}/reissue`);
    expect(anomaly.details).toMatchObject({
      invoice_id: invoice.id,
      number: invoice.number,
      status: "void",
      void_reason: "wrong tax rule, to be reissued",
      unbilled: { total: 500, tokens: 5000, currency: "USD" },
    });
  });
});
