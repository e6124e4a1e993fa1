import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { enqueueAll, type NewJob } from "./enqueue-job.ts";

// enqueueAll writes a whole list of jobs in one statement: what each row holds, the order of their ids (jobs
// sharing an ordering key run in id order), and slots already taken, here or earlier in the same list.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const dunning = (customer: number, options: { slot?: string; runAfter?: Date } = {}): NewJob => ({
  kind: "dunning.evaluate",
  payload: { customer_id: String(customer) },
  orderingKey: `dunning:${customer}`,
  ...options,
});

async function jobs() {
  return handle.db
    .selectFrom("job")
    .select(["id", "kind", "ordering_key", "payload", "slot", "run_after", "status"])
    .orderBy("id")
    .execute();
}

describe("enqueueAll", () => {
  it("writes every job in the list's order, with its key, payload, slot and start time", async () => {
    await handle.db.deleteFrom("job").execute();
    const later = new Date("2031-05-06T07:08:09.123Z");
    const before = Date.now();
    const list = Array.from({ length: 2500 }, (_, i) =>
      dunning(i + 1, i === 7 ? { slot: "slot-eight", runAfter: later } : {}),
    );
    await enqueueAll(handle.db, list);
    const rows = await jobs();
    expect(rows).toHaveLength(2500);
    expect(rows.map((r) => (r.payload as { customer_id: string }).customer_id)).toEqual(
      list.map((_, i) => String(i + 1)),
    );
    expect(rows[7]).toMatchObject({
      kind: "dunning.evaluate",
      ordering_key: "dunning:8",
      payload: { customer_id: "8" },
      slot: "slot-eight",
      run_after: later,
      status: "pending",
    });
    // Without a start time a job may start at once: the column's default, the transaction's now().
    expect(rows[0]!.slot).toBeNull();
    expect(rows[0]!.run_after.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    expect(rows[0]!.run_after.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it("skips a job whose slot is taken, by an earlier job or one before it in the list", async () => {
    await handle.db.deleteFrom("job").execute();
    await enqueueAll(handle.db, [dunning(1, { slot: "taken" })]);
    await enqueueAll(handle.db, [
      dunning(2, { slot: "taken" }),
      dunning(3, { slot: "twice" }),
      dunning(4, { slot: "twice" }),
      dunning(5),
    ]);
    const rows = await jobs();
    expect(rows.map((r) => [(r.payload as { customer_id: string }).customer_id, r.slot])).toEqual([
      ["1", "taken"],
      ["3", "twice"],
      ["5", null],
    ]);
  });

  it("refuses a payload its kind's schema rejects, writing nothing", async () => {
    await handle.db.deleteFrom("job").execute();
    const bad = { kind: "dunning.evaluate", payload: { customer: 1 } } as unknown as NewJob;
    await expect(enqueueAll(handle.db, [dunning(1), bad])).rejects.toThrow(
      /invalid dunning\.evaluate job payload/,
    );
    expect(await jobs()).toEqual([]);
  });
});
