import { Gauge, type Registry } from "prom-client";
import { databaseTraits } from "../db/database-traits.ts";
import type { Db } from "../kernel/context.ts";

/**
 * Named statements on PostgreSQL (src/db/named-statements.ts), read from the pool at scrape time: whether it
 * still names them (1) or turned them off (0: a pooler that loses them, or tables that kept changing), and
 * how many new generations of names it has started (a migration changed columns under it). Per process;
 * no series on the embedded database or with DATABASE_NAMED_STATEMENTS=off.
 */
export function namedStatementGauges(registry: Registry, db: Db): void {
  const statements = databaseTraits(db).namedStatements;
  if (!statements) return;
  new Gauge({
    name: "tokenbill_db_named_statements",
    help: "1 while this process's pool sends statements named (parsed and planned once a connection), 0 once it turned them off",
    registers: [registry],
    collect() {
      this.set(statements.naming ? 1 : 0);
    },
  });
  new Gauge({
    name: "tokenbill_db_statement_name_generation",
    help: "New generations of statement names this process's pool started, one each time a table's columns changed under its named statements",
    registers: [registry],
    collect() {
      this.set(statements.generation);
    },
  });
}
