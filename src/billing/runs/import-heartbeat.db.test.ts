import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";
import { billingContext, createCustomers, usageOf } from "../testing/billing-fixtures.ts";
import { runBilling } from "./run-billing.ts";

// A slow usage read must keep the run's heartbeat fresh: staged progress alone beat every 20,000 records, so a
// smaller book read slowly from SolusIO went minutes without a beat and, after 10, another run took the period
// over as abandoned while this one was alive, and its progress read `importing 0/0` throughout. Here records
// trickle in for about a second, a beat is due every 100 ms of progress, and the source looks at the run's row
// while it still has records to give.

const OCTOBER = { start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-11-01T00:00:00Z") };

let handle: DatabaseHandle;
let usage: UsageRecord[];
beforeAll(async () => {
  handle = await createTestDatabase();
  const ids = await createCustomers(
    handle,
    Array.from({ length: 12 }, (_, i) => ({ email: `slow${i}@example.com` })),
  );
  usage = ids.flatMap((id) =>
    usageOf({
      billingUserId: id,
      tph: 7,
      tpm: 5000,
      createdAt: "2026-10-01T00:00:00Z",
      deletedAt: null,
      period: OCTOBER,
    }),
  );
});
afterAll(async () => handle?.close());

/** Gives a record every 80 ms, and reads the run's heartbeat before the last one. */
class TricklingSource implements UsageSource {
  readonly name = "trickle";
  heartbeats: Date[] = [];
  processed: number[] = [];
  constructor(private readonly records: UsageRecord[]) {}
  async *fetchUsage(_period: UsagePeriod): AsyncIterable<UsageRecord> {
    for (const record of this.records) {
      await sleep(80);
      const row = await handle.db
        .selectFrom("billing_run")
        .select(["heartbeat_at", "processed", "phase"])
        .where("state", "=", "running")
        .executeTakeFirstOrThrow();
      this.heartbeats.push(row.heartbeat_at);
      if (row.phase === "importing") this.processed.push(row.processed);
      yield record;
    }
  }
}

describe("a run whose usage arrives slowly", () => {
  it("writes its heartbeat while records arrive, not only every 20,000 records", async () => {
    const source = new TricklingSource(usage);
    // The heartbeat's clock is the context's: a real one, so that beats carry later times.
    const ctx = { ...billingContext(handle), now: () => new Date() };
    const summary = await runBilling({
      ctx,
      input: { period: "2026-10" },
      options: { source, heartbeatMs: 100 },
    });
    expect(summary.invoices.created).toBe(12);
    const first = source.heartbeats[0]!.getTime();
    const last = source.heartbeats.at(-1)!.getTime();
    // About 0.9 s of reading: the row's heartbeat moved on with it (it stayed at the start before).
    expect(source.heartbeats.length).toBe(12);
    expect(last - first).toBeGreaterThanOrEqual(500);
  });

  it("shows how many records it has read while they arrive, not only every 20,000 staged", async () => {
    const source = new TricklingSource(usage);
    const ctx = { ...billingContext(handle), now: () => new Date() };
    await runBilling({ ctx, input: { period: "2026-10" }, options: { source, heartbeatMs: 100 } });
    // All 12 records fit one staged page: the row's count moved with the records read, before the page.
    expect(source.processed).toHaveLength(12);
    expect(source.processed).toEqual([...source.processed].sort((a, b) => a - b));
    const midway = source.processed.filter((n) => n > 0 && n < 12);
    expect(midway.length).toBeGreaterThanOrEqual(3);
  });
});
