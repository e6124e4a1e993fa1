import { createHash } from "node:crypto";

// DATABASE_NAMED_STATEMENTS=on (PostgreSQL only, off by default): a statement that reads or writes rows goes
// as a node-postgres named statement, so that each connection parses and plans it once and afterwards only
// binds and executes it. node-postgres otherwise sends every statement unnamed, and PostgreSQL parses and
// plans it again every time: about 60 % of its CPU for an admin write (docs/performance.md, "A write on
// PostgreSQL, profiled"). The PGlite driver does the same for the embedded database (pglite-driver.ts).
//
// Off by default, because a named statement belongs to one server connection: a pooler in transaction mode
// (PgBouncer without `max_prepared_statements`) hands the next transaction another one, where it is missing.
// And a prepared `select *` fails once its table's columns change under it (SQLSTATE 0A000): after a
// migration run by another process, such a statement runs again unnamed, and inside a transaction that
// transaction fails once (docs/operations.md).

/** Statements that read or write rows: named once per SQL text. */
const ROWS = /^\s*(?:select|insert|update|delete|with)\b/i;
/** A change of tables (a migration): statements named before it may no longer fit them. */
const SCHEMA_CHANGE = /^\s*(?:create|alter|drop|truncate|comment|do|call|reindex|cluster|refresh)\b/i;
/** A billing run's own tables, made and dropped by every run: their statements are never named. */
const RUN_TABLES = /\b(?:billing_usage_|billing_check_|usage_estimate_)/;
const BEGIN = /^\s*(?:begin|start\s+transaction)\b/i;
const END = /^\s*(?:commit|end|abort|rollback(?!\s+to\b))\b/i;
/** Bulk statements are planned fresh each time: planning is a small share of them, and their texts vary. */
const MAX_PARAMETERS = 100;
const MAX_SQL_LENGTH = 8192;
/** Statements named per connection; beyond it, new texts go unnamed (nothing is closed). */
export const NAMED_STATEMENT_LIMIT = 200;
/** SQLSTATE 26000: the connection has no statement of that name (a pooler gave another connection). */
const NO_SUCH_STATEMENT = "26000";
/** SQLSTATE 0A000: "cached plan must not change result type" (the table's columns changed). */
const RESULT_CHANGED = "0A000";

/** Names by SQL text, shared by every connection: the same text has the same name everywhere. */
const names = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 10_000;

function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `tokenbill_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    if (names.size < MAX_REMEMBERED_NAMES) names.set(text, name);
  }
  return name;
}

export interface NamedQuery {
  name: string;
  text: string;
  values: unknown[];
}

/** One connection's named statements: which texts go named, and what to do when one is refused. */
export class ConnectionStatements {
  readonly #named = new Set<string>();
  readonly #refused = new Set<string>();
  #inTransaction = false;
  /** After a change of tables on this connection, nothing more is named on it. */
  #schemaChanged = false;

  constructor(private readonly limit = NAMED_STATEMENT_LIMIT) {}

  /**
   * The statement as node-postgres should send it: named when it reads or writes rows and this connection
   * may name it, else undefined (sent unnamed). Also follows the connection's transaction and schema changes.
   */
  prepare(text: string, values: readonly unknown[]): NamedQuery | undefined {
    if (BEGIN.test(text)) this.#inTransaction = true;
    else if (END.test(text)) this.#inTransaction = false;
    else if (SCHEMA_CHANGE.test(text) && !RUN_TABLES.test(text)) this.#schemaChanged = true;
    if (
      this.#schemaChanged ||
      values.length > MAX_PARAMETERS ||
      text.length > MAX_SQL_LENGTH ||
      !ROWS.test(text) ||
      RUN_TABLES.test(text) ||
      this.#refused.has(text)
    )
      return undefined;
    if (!this.#named.has(text)) {
      if (this.#named.size >= this.limit) return undefined;
      this.#named.add(text);
    }
    return { name: nameOf(text), text, values: values as unknown[] };
  }

  /**
   * Whether a named statement's failure means only that its name no longer works here (the connection lost
   * it, or its table changed). Such a text goes unnamed on this connection from now on; the answer is true
   * when the statement may simply run again unnamed, which a transaction it aborted does not allow.
   */
  retryUnnamed(text: string, error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== NO_SUCH_STATEMENT && code !== RESULT_CHANGED) return false;
    this.#refused.add(text);
    return !this.#inTransaction;
  }

  /** A statement failed: one that opened a transaction did not open it. */
  failed(text: string): void {
    if (BEGIN.test(text)) this.#inTransaction = false;
  }
}
