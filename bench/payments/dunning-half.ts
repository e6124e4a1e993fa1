import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { pino } from "pino";
import { runDunning } from "../../src/billing/dunning/run-dunning.ts";
import { parseConfig } from "../../src/config.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { openDatabase } from "../../src/db/open-database.ts";
import { namedStatements } from "../named-statements.ts";
import { actors } from "../../src/kernel/actor.ts";
import { seedOpenInvoices } from "./seed-invoices.ts";

/**
 * Dunning evaluation (billing-rules §8) of `customers` customers with one open invoice each, `overdue` of
 * them 35 days past due (every rung of the default ladder is due: e-mails, lock, suspension), the others
 * not yet due. Prints the evaluation's wall time, the steps it took and the process's peak RSS.
 */
export async function runDunningHalf(url: string, customers: number, overdue: number): Promise<void> {
  const schema = `bench_dunning_${randomBytes(4).toString("hex")}`;
  const admin = await openDatabase({ url, poolSize: 1 });
  await sql.raw(`CREATE SCHEMA ${schema}`).execute(admin.db);
  // serve's default DATABASE_POOL_SIZE, as the configuration below says: a round evaluates up to 4 customers at
  // once, never more than half the pool.
  const handle = await openDatabase({ url, schema, poolSize: 10, namedStatements: namedStatements() });
  try {
    await migrateToLatest(handle.db);
    process.stdout.write(
      `seeding ${customers.toLocaleString("en-US")} customers, ${overdue.toLocaleString("en-US")} overdue, in ${schema}…\n`,
    );
    await seedOpenInvoices(handle.db, customers, overdue);
    await sql`ANALYZE`.execute(handle.db);
    const asOf = new Date("2026-12-20T12:00:00Z");
    const ctx = {
      db: handle.db,
      config: parseConfig({ DATABASE_URL: url, LOG_LEVEL: "silent" }),
      logger: pino({ level: "silent" }),
      actor: actors.system("bench"),
      now: () => asOf,
    };
    const rssBefore = process.resourceUsage().maxRSS;
    const started = performance.now();
    const result = await runDunning({ ctx, input: { as_of: asOf.toISOString() } });
    const ms = performance.now() - started;
    const suspended = (
      await sql<{ n: string }>`SELECT count(*) AS n FROM customer WHERE status = 'suspended'`.execute(
        handle.db,
      )
    ).rows[0]!.n;
    process.stdout.write(
      [
        `dunning: ${result.customers_evaluated.toLocaleString("en-US")} customers evaluated, ${result.steps_total.toLocaleString("en-US")} steps, ${suspended} suspended`,
        `dunning wall time: ${(ms / 1000).toFixed(2)} s (${((ms * 1000) / customers).toFixed(1)} µs per customer on the books)`,
        `peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (${Math.round(rssBefore / 1024)} MB before dunning)`,
      ].join("\n") + "\n",
    );
  } finally {
    await handle.close();
    await sql.raw(`DROP SCHEMA ${schema} CASCADE`).execute(admin.db);
    await admin.close();
  }
}
