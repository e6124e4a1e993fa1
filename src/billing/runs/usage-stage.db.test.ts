import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { UsageRecord } from "../../domain/usage-record.ts";
import { billingContext, createCustomers, usageOf } from "../testing/billing-fixtures.ts";
import { MemoryUsageSource } from "../usage/memory-usage-source.ts";
import { listBillingAnomalies } from "./list-billing-anomalies.ts";
import { runBilling } from "./run-billing.ts";

// A run keeps its usage in a staging table, not in memory (usage-stage.ts): what used to be sets and maps
// of the whole month (duplicates, unknown users, the cross-check's tally) is now found in the database,
// page by page, and the stage is gone when the run ends.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

async function stageTables(): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables
    WHERE schemaname = current_schema() AND (tablename LIKE 'billing\\_usage\\_%' OR tablename LIKE 'billing\\_check\\_%')
    ORDER BY 1`.execute(handle.db);
  return rows.map((r) => r.name);
}

const server = (billingUserId: bigint | null, serverId: number): UsageRecord =>
  usageOf({
    billingUserId,
    serverId,
    tph: 7,
    tpm: 5000,
    createdAt: "2026-10-01T00:00:00Z",
    deletedAt: "2026-10-02T00:00:00Z",
  });

describe("a run's usage stage", () => {
  it("finds duplicates and unknown users across staging pages, bills the rest once, and drops the stage", async () => {
    const [a, b] = await createCustomers(handle, [
      { email: "stage-a@example.com" },
      { email: "stage-b@example.com" },
    ]);
    // 4,600 records: more than two staging pages of 2,000. Server 1 comes back as the very last record (a
    // duplicate two pages later), and user 777 (no customer) has a server in every page.
    const records: UsageRecord[] = [];
    for (let i = 1; i <= 4_600; i++) records.push(server(i % 1000 === 0 ? 777n : i % 2 ? a! : b!, i));
    records.push({ ...server(a!, 1), tokens: 999n });
    let runId = "";
    const summary = await runBilling({
      ctx: billingContext(handle),
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource(records), onStart: (r) => (runId = r.id) },
    });
    expect(summary).toMatchObject({
      usage_records: 4_601,
      customers: 2,
      invoices: { created: 2, finalized: 2 },
      anomalies: { by_kind: { duplicate_usage: 1, unknown_billing_user: 1 } },
    });
    const lines = await handle.db
      .selectFrom("invoice_line")
      .innerJoin("invoice", "invoice.id", "invoice_line.invoice_id")
      .select(["invoice.customer_id", (eb) => eb.fn.countAll<bigint>().as("n")])
      .where("invoice.customer_id", "in", [a!, b!])
      .groupBy("invoice.customer_id")
      .orderBy("invoice.customer_id")
      .execute();
    // 4,600 servers less user 777's four, half each; the duplicate of server 1 is not billed twice.
    expect(lines).toEqual([
      { customer_id: a, n: 2_300n },
      { customer_id: b, n: 2_296n },
    ]);
    const anomalies = await listBillingAnomalies({
      ctx: billingContext(handle),
      input: { id: runId, page: 1, per_page: 10 },
    });
    expect(anomalies.data.find((x) => x.kind === "unknown_billing_user")).toMatchObject({
      billing_user_id: 777,
      details: { servers: [1000, 2000, 3000, 4000], tokens: 4 * 168 },
    });
    expect(anomalies.data.find((x) => x.kind === "duplicate_usage")).toMatchObject({
      server_id: 1,
      details: { tokens: 999 },
    });
    expect(await stageTables()).toEqual([]);
  }, 60_000);

  it("cross-checks a second source in the database: differing and one-sided servers are reported", async () => {
    const [c] = await createCustomers(handle, [{ email: "check@example.com" }]);
    const billed = [server(c!, 9001), server(c!, 9002), server(c!, 9003)];
    const other = [server(c!, 9001), { ...server(c!, 9002), tokens: 100n }, server(c!, 9004)];
    let runId = "";
    const summary = await runBilling({
      ctx: billingContext(handle, {}, new Date("2026-12-02T00:00:00Z")),
      input: { period: "2026-11" },
      options: {
        source: new MemoryUsageSource(
          billed.map((r) => ({
            ...r,
            createdAt: new Date("2026-11-01T00:00:00Z"),
            deletedAt: new Date("2026-11-02T00:00:00Z"),
          })),
        ),
        crossCheck: new MemoryUsageSource(
          other.map((r) => ({
            ...r,
            createdAt: new Date("2026-11-01T00:00:00Z"),
            deletedAt: new Date("2026-11-02T00:00:00Z"),
          })),
          "snapshots",
        ),
        onStart: (r) => (runId = r.id),
      },
    });
    expect(summary.anomalies.by_kind).toEqual({ cross_check_mismatch: 1, cross_check_missing: 2 });
    const anomalies = await listBillingAnomalies({
      ctx: billingContext(handle),
      input: { id: runId, page: 1, per_page: 10 },
    });
    const byServer = Object.fromEntries(anomalies.data.map((x) => [x.server_id, [x.kind, x.details]]));
    expect(byServer).toEqual({
      9002: ["cross_check_mismatch", { billed_tokens: 168, snapshots_tokens: 100 }],
      9003: ["cross_check_missing", { billed_tokens: 168, missing_from: "snapshots" }],
      9004: ["cross_check_missing", { other_tokens: 168, missing_from: "billed usage" }],
    });
    expect(await stageTables()).toEqual([]);
  });

  it("drops a stage left behind by a run that is no longer running when the next run starts", async () => {
    const run = await handle.db.selectFrom("billing_run").select("id").executeTakeFirstOrThrow();
    const left = `billing_usage_${run.id.slice(4)}`;
    await sql`CREATE TABLE ${sql.table(left)} (seq bigint)`.execute(handle.db);
    expect(await stageTables()).toEqual([left]);
    await runBilling({
      ctx: billingContext(handle),
      input: { period: "2026-10" },
      options: { source: new MemoryUsageSource([]) },
    });
    expect(await stageTables()).toEqual([]);
  });
});
