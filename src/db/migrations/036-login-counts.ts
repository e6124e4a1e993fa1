import type { Kysely } from "kysely";
import { runStatements } from "../run-statements.ts";

// The login limiter's counts on PostgreSQL (src/web/login-limiter.ts), so that every instance behind a
// balancer sees the same ones: kept in each process, N instances gave a guesser N times the attempts. The
// shape is rate-limiter-flexible's Postgres store's (key, points, expire in epoch milliseconds), with a key
// of any length (an e-mail alone may have 254 characters). Rows an hour past their expiry are deleted by
// the store. The embedded database (one process) keeps its counts in memory and never writes here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `CREATE TABLE login_count (
       key text PRIMARY KEY,
       points integer NOT NULL DEFAULT 0,
       expire bigint
     );`,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE IF EXISTS login_count;`);
}
