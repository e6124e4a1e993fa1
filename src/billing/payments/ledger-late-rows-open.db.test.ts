import { type Kysely, sql } from "kysely";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { databasePerFile } from "../../../test/helpers/database-per-file.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import type { Database } from "../../db/schema.ts";
import { recordLateLedgerRows } from "./ledger-late-rows.ts";
import {
  customerWithDraft,
  insertRows,
  lateOf,
  walkedBalances,
  watermark,
  writeInOrder,
} from "./testing/late-rows-fixtures.ts";

// Ledger ids are drawn at insert and seen at commit, so the pass's watermark may move past an id only once the
// transaction that drew it has ended. Until 2026-12-07 that rested on the transaction lasting less than a bound
// (15 minutes) alone: one open longer had its rows below the watermark when it committed, never read, and the
// statement page off by them for good. PostgreSQL only: PGlite's one session runs one transaction at a time.

const onPostgres = Boolean(process.env["DATABASE_URL"]);

const file = databasePerFile();

type Line = { level: number; msg: string; pid?: number; since?: string };

/** A pass's context whose log lines are kept. */
function logged() {
  const lines: Line[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { ctx: { db: file.handle.db, logger }, lines };
}

/** A transaction on a connection of its own, left open until `end` is called. */
async function openTransaction(db: Kysely<Database>) {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  let opened!: (trx: Kysely<Database>) => void;
  const trx = new Promise<Kysely<Database>>((resolve) => {
    opened = resolve;
  });
  const done = db.connection().execute(async (conn) => {
    await sql`BEGIN`.execute(conn);
    opened(conn);
    await ended;
    await sql`COMMIT`.execute(conn);
  });
  const open = await trx;
  // now() in a transaction is when it began: pg_stat_activity's xact_start for it.
  const { rows } = await sql<{ pid: number; started: Date }>`
    SELECT pg_backend_pid() AS pid, now() AS started`.execute(open);
  return {
    trx: open,
    pid: rows[0]!.pid,
    started: rows[0]!.started,
    commit: async () => {
      end();
      await done;
    },
  };
}

describe.runIf(onPostgres)("housekeeping's pass beside a transaction still writing ledger rows", () => {
  it("keeps its watermark below the transaction's rows however long it is open, and adds them once after", async () => {
    const c = await customerWithDraft(file.handle, "late-open@example.com");
    const open = await openTransaction(file.handle.db);
    let committed = false;
    try {
      // The payment's cash row in the open transaction, the finalization committed above it, then the
      // payment's credit row: late, and invisible to every pass until the transaction commits.
      const [cash] = (await insertRows(open.trx, c.customer, [
        { event: c.pay, kind: "payment", account: "cash", amount: 500n },
      ])) as [bigint];
      await writeInOrder(file.handle.db, c.customer, [
        { event: c.fin, kind: "invoice_finalized", account: "receivable", amount: 1234n, invoice: c.invoice },
        { event: c.fin, kind: "invoice_finalized", account: "sales", amount: -1234n },
      ]);
      const [credit] = (await insertRows(open.trx, c.customer, [
        { event: c.pay, kind: "payment", account: "credit", amount: -500n },
      ])) as [bigint];
      await writeInOrder(file.handle.db, c.customer, [
        { event: c.later, kind: "payment", account: "cash", amount: 100n },
        { event: c.later, kind: "payment", account: "credit", amount: -100n },
      ]);

      // A bound of 0: the transaction is older than the bound at every pass, as one open for hours would be.
      const { ctx, lines } = logged();
      for (let i = 0; i < 3; i++) await recordLateLedgerRows(ctx, { boundMs: 0 });
      const held = await watermark(file.handle.db);
      const warnings = lines.filter((l) => l.level === 40);

      await open.commit();
      committed = true;
      await waitUntil("the watermark past the committed rows", async () => {
        await recordLateLedgerRows(ctx, { boundMs: 0 });
        return BigInt((await watermark(file.handle.db)).scanned_to) >= credit;
      });
      expect((await lateOf(file.handle.db, [c.customer])).map((r) => [r.entry_id, r.amount])).toEqual([
        [String(credit), -500n],
      ]);
      expect(await walkedBalances(file.handle, c.customer)).toEqual({
        [c.pay]: -500n,
        [c.fin]: 734n,
        [c.later]: 634n,
      });
      expect(BigInt(held.scanned_to)).toBeLessThan(cash);
      // Said, naming the transaction, as a bound exceeded: the pass is safe, but the watermark waits on it.
      // The warning names the oldest transaction holding the watermark: this one, unless another test file on
      // the same database (CI's PostgreSQL stage runs files at once) held one open since before it.
      const said = warnings.find((l) => /open transaction/.test(l.msg));
      expect(said).toBeDefined();
      if (said!.pid !== open.pid)
        expect(new Date(said!.since!).getTime()).toBeLessThanOrEqual(open.started.getTime());
    } finally {
      if (!committed) await open.commit();
    }
  });
});
