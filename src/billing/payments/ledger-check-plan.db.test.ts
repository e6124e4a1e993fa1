import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import type { Database } from "../../db/schema.ts";
import { createCustomers } from "../testing/billing-fixtures.ts";

// The ledger's balance check (ledger_event_balanced, migrations 013, 017, 029) is a PL/pgSQL function, and
// PL/pgSQL keeps its query's plan per connection. A connection whose first checks ran while the ledger's
// statistics said it was empty kept a plan that read the whole ledger sequentially, for every check, until
// the table was analyzed again (a billing run's insert grew from 174 ms to 1,133 ms a batch). Shown here by
// the table's scan counters, not by time: the checks after the ledger grew must go through its event index.
// Runs on both databases: PGlite's planner and statistics are PostgreSQL's own.

let handle: DatabaseHandle;
let customer: bigint;
beforeAll(async () => {
  handle = await createTestDatabase();
  [customer] = (await createCustomers(handle, [{ email: "plan@example.com" }])) as [bigint];
});
afterAll(async () => handle?.close());

type Conn = Kysely<Database>;

/** `events` balanced events of two entries each (cash +5, credit −5), in one statement: two checks each. */
const postEvents = (conn: Conn, prefix: string, events: number) =>
  sql`INSERT INTO ledger_entry (event_id, event_kind, customer_id, currency_code, account, amount)
    SELECT ${prefix} || (n / 2), 'opening', ${customer}, 'USD',
      CASE WHEN n % 2 = 0 THEN 'cash' ELSE 'credit' END, CASE WHEN n % 2 = 0 THEN 5 ELSE -5 END
    FROM generate_series(0, ${events * 2 - 1}) AS n`.execute(conn);

/** The ledger's sequential scans and its event index's scans so far, this connection's included. */
async function scans(conn: Conn): Promise<{ seq: number; event: number }> {
  // A backend reports its counters when idle, at most once a second unless told to; a transaction reads
  // one snapshot of them.
  await sql`SELECT pg_stat_force_next_flush()`.execute(conn);
  await sql`SELECT pg_stat_clear_snapshot()`.execute(conn);
  const { rows } = await sql<{ seq: string; event: string }>`
    SELECT t.seq_scan::text AS seq, i.idx_scan::text AS event
    FROM pg_stat_user_tables t JOIN pg_stat_user_indexes i ON i.relid = t.relid
    WHERE t.relid = 'ledger_entry'::regclass AND i.indexrelid = 'ledger_entry_event'::regclass`.execute(conn);
  return { seq: Number(rows[0]!.seq), event: Number(rows[0]!.event) };
}

describe("the ledger's balance check", () => {
  it("finds an event's entries through the index after the ledger grew unanalyzed", async () => {
    await handle.db.connection().execute(async (conn) => {
      // Nothing may analyze the table behind the test's back (a new plan would hide the old one).
      await sql`ALTER TABLE ledger_entry SET (autovacuum_enabled = false)`.execute(conn);
      await sql`ANALYZE ledger_entry`.execute(conn);
      // Eight checks on an empty ledger: past the five custom plans after which the plan cache settles.
      await postEvents(conn, "few:", 4);
      // Thousands of entries, and no ANALYZE.
      await postEvents(conn, "bulk:", 2_000);
      const before = await scans(conn);
      await postEvents(conn, "more:", 5);
      const after = await scans(conn);
      expect({
        sequential: after.seq - before.seq,
        byEventIndex: after.event - before.event >= 10,
      }).toEqual({ sequential: 0, byEventIndex: true });
    });
  });
});
