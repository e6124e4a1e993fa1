import { type Kysely, sql } from "kysely";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { databasePerFile } from "../../../test/helpers/database-per-file.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import { up as migration049 } from "../../db/migrations/049-money-before-2026-12-07.ts";
import { lateRowsCheck } from "../../services/setup/ledger-late-rows-check.ts";
import { recordLateLedgerRows } from "./ledger-late-rows.ts";
import * as fixtures from "./testing/late-rows-fixtures.ts";

// Migration 049 found the late balance rows once; an instance of the previous version still running after it
// writes more (a billing run's rows and a payment's drawing one customer's ids at once). Housekeeping's pass
// finds them above its watermark, so the statement page brings them forward.

const file = databasePerFile();

const ctx = () => ({ db: file.handle.db, logger: pino({ level: "silent" }) });

const interleaved = (email: string) => fixtures.interleaved(file.handle, email);
const walkedBalances = (customer: bigint) => fixtures.walkedBalances(file.handle, customer);
const lateOf = (customers: bigint[]) => fixtures.lateOf(file.handle.db, customers);
const writeInOrder = (customer: bigint, rows: fixtures.LedgerRow[]) =>
  fixtures.writeInOrder(file.handle.db, customer, rows);

describe("housekeeping's pass over the ledger's late balance rows", () => {
  it("adds the rows an old instance interleaves after migration 049, once, and the statement page is right", async () => {
    const { customer, pay, fin, later } = await interleaved("late-after-049@example.com");
    // Written after the migrations ran (createTestDatabase): the page is off by the payment's credit row.
    expect(await walkedBalances(customer)).toEqual({ [pay]: -500n, [fin]: 1234n, [later]: 634n });
    const before = await lateRowsCheck(file.handle.db);
    expect(before).toMatchObject({ name: "statement late rows", ok: false });
    expect(before.detail).toContain(String(customer));

    const first = await recordLateLedgerRows(ctx());
    expect(await walkedBalances(customer)).toEqual({ [pay]: -500n, [fin]: 734n, [later]: 634n });
    expect(first.added).toBe(1);
    expect(await lateRowsCheck(file.handle.db)).toMatchObject({ ok: true });
    expect(await lateRowsCheck(file.handle.db)).not.toHaveProperty("not_checked");

    const again = await recordLateLedgerRows(ctx(), { batchSize: 1 }); // and one row a statement
    expect(again.added).toBe(0);
    expect((await lateOf([customer])).map((r) => r.amount)).toEqual([-500n]);
    expect(await walkedBalances(customer)).toEqual({ [pay]: -500n, [fin]: 734n, [later]: 634n });
  });

  it("finds what migration 049's pass over the whole ledger finds", async () => {
    const a = await interleaved("late-same-a@example.com");
    const b = await interleaved("late-same-b@example.com");
    // b: a refund's balance row above the later payment's first row too, two events later.
    await writeInOrder(b.customer, [
      { event: `test:refund-${b.customer}`, kind: "refund", account: "cash", amount: -50n },
      { event: `test:pay3-${b.customer}`, kind: "payment", account: "cash", amount: 70n },
      { event: `test:pay3-${b.customer}`, kind: "payment", account: "credit", amount: -70n },
      { event: `test:pay4-${b.customer}`, kind: "payment", account: "cash", amount: 30n },
      { event: `test:pay4-${b.customer}`, kind: "payment", account: "credit", amount: -30n },
      { event: `test:refund-${b.customer}`, kind: "refund", account: "credit", amount: 50n },
    ]);
    const customers = [a.customer, b.customer];
    await recordLateLedgerRows(ctx(), { batchSize: 2 });
    const byPass = await lateOf(customers);
    expect(byPass.map((r) => r.amount)).toEqual([-500n, -500n, 50n]);
    await file.handle.db.deleteFrom("ledger_late_entry").where("customer_id", "in", customers).execute();
    await migration049(file.handle.db as unknown as Kysely<unknown>);
    expect(await lateOf(customers)).toEqual(byPass);
  });

  it("moves its watermark only once a pass has read above it the bound after the newest id was seen", async () => {
    const scan = () => file.handle.db.selectFrom("ledger_late_scan").selectAll().executeTakeFirstOrThrow();
    const start = await scan();
    // Migration 050 saw the newest id moments ago: a transaction that had drawn an id below it may be open.
    expect((await recordLateLedgerRows(ctx())).scannedTo).toBe(start.scanned_to);
    expect(await scan()).toEqual(start);

    // On PostgreSQL another test file's transaction in this database, open since before the mark was seen,
    // holds the move until it ends (ledger-late-rows-open.db.test.ts): the next pass moves it.
    const moved = await waitUntil("a pass that moves the watermark", async () => {
      const pass = await recordLateLedgerRows(ctx(), { boundMs: 0 });
      return (await scan()).seen_at > start.seen_at ? pass : undefined;
    });
    expect(moved.scannedTo).toBe(start.seen_to);
    const now = await scan();
    expect(now.scanned_to).toBe(start.seen_to);
    const { newest } = (
      await sql<{ newest: bigint }>`SELECT max(id) AS newest FROM ledger_entry`.execute(file.handle.db)
    ).rows[0]!;
    expect(now.seen_to).toBe(newest);

    // Rows interleaved above the new watermark are found, and the doctor reads only above it.
    const c = await interleaved("late-above-mark@example.com");
    expect((await lateRowsCheck(file.handle.db)).detail).toContain(String(c.customer));
    expect((await recordLateLedgerRows(ctx(), { boundMs: 0 })).added).toBe(1);
    expect(await walkedBalances(c.customer)).toEqual({ [c.pay]: -500n, [c.fin]: 734n, [c.later]: 634n });
  });
});
