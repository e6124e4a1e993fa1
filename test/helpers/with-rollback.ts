import { pino } from "pino";
import type { Kysely } from "kysely";
import { parseConfig } from "../../src/config.ts";
import type { Database } from "../../src/db/schema.ts";
import { type Actor, actors } from "../../src/kernel/actor.ts";
import type { TxContext } from "../../src/kernel/transaction.ts";

class RolledBack extends Error {}

/**
 * Runs `fn` with a service context whose database is a transaction that is rolled back afterwards, so
 * each verb test starts from the same database and leaves nothing behind (verbs join the open
 * transaction through withTransaction). Returns what `fn` returned.
 */
export async function withRollback<T>(
  db: Kysely<Database>,
  fn: (ctx: TxContext) => Promise<T>,
  options: { actor?: Actor; now?: Date } = {},
): Promise<T> {
  let result: T | undefined;
  try {
    await db.transaction().execute(async (trx) => {
      result = await fn({
        db: trx,
        config: parseConfig({ LOG_LEVEL: "silent" }),
        logger: pino({ level: "silent" }),
        actor: options.actor ?? actors.system("test"),
        now: () => options.now ?? new Date("2026-11-29T12:00:00Z"),
      });
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return result as T;
}
