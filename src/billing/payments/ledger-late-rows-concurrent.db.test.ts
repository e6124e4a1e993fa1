import { sql } from "kysely";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { databasePerFile } from "../../../test/helpers/database-per-file.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import { type LatePass, recordLateLedgerRows } from "./ledger-late-rows.ts";
import { interleaved, lateOf, walkedBalances, watermark } from "./testing/late-rows-fixtures.ts";

// Every instance runs housekeeping on its own clock, so two passes over the late rows may run at once, each
// while an old instance goes on writing them. They must converge: every late row in ledger_late_entry once,
// counted as added by one pass, and the watermark only ever moving forward. On PostgreSQL the passes run on
// connections of their own, statement beside statement; on PGlite one after another on its one session.

const file = databasePerFile();

const ctx = () => ({ db: file.handle.db, logger: pino({ level: "silent" }) });

/** As if the bound had passed since the watermark's newest id was seen: the next pass is due to move it. */
const boundPassed = () =>
  sql`UPDATE ledger_late_scan SET seen_at = seen_at - interval '1 hour'`.execute(file.handle.db);

describe("two of housekeeping's passes over the late rows at once", () => {
  it("add each late row once, between them, and move the watermark one step a bound", async () => {
    const passes: LatePass[] = [];
    const customers: Awaited<ReturnType<typeof interleaved>>[] = [];
    // A batch of 2 rows a statement interleaves the passes' statements with each other and with the writes.
    const pass = () => recordLateLedgerRows(ctx(), { batchSize: 2 });
    for (let round = 0; round < 6; round++) {
      customers.push(await interleaved(file.handle, `late-before-${round}@example.com`));
      await boundPassed();
      const before = await watermark(file.handle.db);
      const [a, b, written] = await Promise.all([
        pass(),
        pass(),
        interleaved(file.handle, `late-beside-${round}@example.com`),
      ]);
      passes.push(a, b);
      customers.push(written);
      // Due once, moved once: to the id seen a bound ago, never on to the one the other pass just saw. On
      // PostgreSQL a transaction of another test file open since before it may hold it where it was.
      const after = await watermark(file.handle.db);
      expect([before.scanned_to, before.seen_to], `round ${round}`).toContain(after.scanned_to);
      expect(after.seen_to).toBeGreaterThanOrEqual(before.seen_to);
    }
    // Then passes a bound apart until one has read above the newest row.
    await waitUntil("the watermark above every row written", async () => {
      await boundPassed();
      passes.push(...(await Promise.all([pass(), pass()])));
      const mark = await watermark(file.handle.db);
      return mark.scanned_to >= mark.seen_to;
    });

    const ids = customers.map((c) => c.customer);
    expect((await lateOf(file.handle.db, ids)).map((r) => [r.customer_id, r.amount])).toEqual(
      ids.map((id) => [id, -500n]),
    );
    expect(passes.reduce((sum, p) => sum + p.added, 0)).toBe(customers.length);
    for (const c of customers)
      expect(await walkedBalances(file.handle, c.customer)).toEqual({
        [c.pay]: -500n,
        [c.fin]: 734n,
        [c.later]: 634n,
      });
  });
});
