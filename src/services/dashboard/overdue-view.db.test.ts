import type { KyselyPlugin } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { createDunCustomer, issueInvoice } from "../../billing/dunning/dunning-fixtures.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { type Actor, actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { overdueTotals } from "./overdue-totals.ts";
import { viewOverdueTotals } from "./overdue-view.ts";

// The dashboard's overdue totals are shared by a process's views for a minute: at a million overdue invoices
// computing them took 3.7–4.8 s, on every view of the console's first page.

let handle: DatabaseHandle;
let customerId: bigint;
let computations = 0;

beforeAll(async () => {
  handle = await createTestDatabase();
  customerId = await createDunCustomer(handle.db, { email: "late@example.com" });
  await issueInvoice(handle.db, { customerId, total: 500n, dueDate: "2026-02-10" });
});
afterAll(async () => {
  await handle?.close();
});

/**
 * A database object of its own (so a cache of its own) that counts the overdue computations run through it:
 * the statements that join the due-date extensions.
 */
function countedDb() {
  const counter: KyselyPlugin = {
    transformQuery: (args) => {
      if (JSON.stringify(args.node).includes("invoice_due_extension")) computations++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return handle.db.withPlugin(counter);
}

function contextAt(db: ServiceContext["db"], now: () => Date, actor: Actor = actors.cli()): ServiceContext {
  return { db, config: parseConfig({ LOG_LEVEL: "silent" }), logger: pino({ level: "silent" }), actor, now };
}

describe("the dashboard's overdue totals", () => {
  it("are computed once a minute for every view, and again on a new day", async () => {
    const db = countedDb();
    let now = new Date("2026-02-20T10:00:00Z");
    const ctx = contextAt(db, () => now);
    const before = computations;
    const first = await viewOverdueTotals(ctx);
    expect(first).toEqual({
      totals: [{ currency: "USD", amount: 500n, invoices: 1 }],
      computedAt: "2026-02-20T10:00:00.000Z",
      computing: false,
    });
    // Another invoice falls overdue: views within the minute show the figures computed, without a query.
    await issueInvoice(handle.db, { customerId, total: 250n, dueDate: "2026-02-11" });
    now = new Date("2026-02-20T10:00:59Z");
    expect(await viewOverdueTotals(ctx)).toEqual(first);
    expect(computations - before).toBe(1);
    now = new Date("2026-02-20T10:01:00Z");
    expect((await viewOverdueTotals(ctx)).totals).toEqual([{ currency: "USD", amount: 750n, invoices: 2 }]);
    expect(computations - before).toBe(2);
    // Due on the 20th: overdue from the 21st, within a minute of the figures before, which are of another day.
    await issueInvoice(handle.db, { customerId, total: 5n, dueDate: "2026-02-20" });
    now = new Date("2026-02-20T23:59:50Z");
    expect((await viewOverdueTotals(ctx, { freshMs: 86_400_000 })).totals[0]?.invoices).toBe(2);
    now = new Date("2026-02-21T00:00:10Z");
    const nextDay = await viewOverdueTotals(ctx, { freshMs: 86_400_000 });
    expect(nextDay.totals).toEqual([{ currency: "USD", amount: 755n, invoices: 3 }]);
    expect(nextDay.computedAt).toBe("2026-02-21T00:00:10.000Z");
  });

  it("shows what it has while a computation outlasts the wait, and shares one computation between views", async () => {
    const db = countedDb();
    let now = new Date("2026-03-01T10:00:00Z");
    const ctx = contextAt(db, () => now);
    // A computation that ends when the test says: the real one, held back.
    let release = () => {};
    let started = 0;
    const slow = async (c: ServiceContext) => {
      started++;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return overdueTotals({ ctx: c, input: {} });
    };
    // Nothing computed yet, and the computation outlasts the wait: the view says so, and both views share it.
    const [a, b] = await Promise.all([
      viewOverdueTotals(ctx, { waitMs: 20, compute: slow }),
      viewOverdueTotals(ctx, { waitMs: 20, compute: slow }),
    ]);
    expect(a).toEqual({ totals: [], computedAt: null, computing: true });
    expect(b).toEqual(a);
    expect(started).toBe(1);
    const waiting = viewOverdueTotals(ctx, { compute: slow });
    release();
    const done = await waiting;
    expect(done).toMatchObject({ computedAt: "2026-03-01T10:00:00.000Z", computing: false });
    expect(done.totals[0]?.invoices).toBe(3);
    expect(started).toBe(1);
    // Older than a minute, and the new computation outlasts the wait: the last figures, marked as updating.
    now = new Date("2026-03-01T10:05:00Z");
    expect(await viewOverdueTotals(ctx, { waitMs: 20, compute: slow })).toEqual({ ...done, computing: true });
    expect(started).toBe(2);
    release();
  });

  it("passes a failed computation to the views that wait for it, and computes again at the next view", async () => {
    const ctx = contextAt(countedDb(), () => new Date("2026-03-02T10:00:00Z"));
    const failing = async () => {
      throw new Error("database gone");
    };
    await expect(viewOverdueTotals(ctx, { compute: failing })).rejects.toThrow("database gone");
    expect((await viewOverdueTotals(ctx)).totals[0]?.invoices).toBe(3);
  });

  it("are for staff only", async () => {
    const ctx = contextAt(countedDb(), () => new Date("2026-03-01T10:00:00Z"), actors.customer(customerId));
    await expect(viewOverdueTotals(ctx)).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});
