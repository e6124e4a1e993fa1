import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema.ts";

/** Every table a money event writes (payment, refund, credit note: rows, ledger, job, audit). */
const MONEY_TABLES = ["payment", "refund", "credit_note", "ledger_entry", "job", "audit_log"] as const;

/** Row counts of every table a money event writes: a refused call must leave them all unchanged. */
export async function moneyRowCounts(
  db: Kysely<Database>,
): Promise<Record<(typeof MONEY_TABLES)[number], number>> {
  const counts = {} as Record<(typeof MONEY_TABLES)[number], number>;
  for (const table of MONEY_TABLES)
    counts[table] = Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<bigint>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return counts;
}
