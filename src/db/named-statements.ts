import { createHash } from "node:crypto";

// On PostgreSQL (DATABASE_NAMED_STATEMENTS, on by default) a statement that reads or writes rows goes as a
// node-postgres named statement, so that each connection parses and plans it once and afterwards only binds
// and executes it. node-postgres otherwise sends every statement unnamed, and PostgreSQL parses and plans it
// again every time: about 60 % of its CPU for an admin write (docs/performance.md, "A write on PostgreSQL,
// profiled"). The PGlite driver does the same for the embedded database (pglite-driver.ts).
//
// A named statement belongs to one server connection, and PostgreSQL refuses one in two cases, which are
// handled here rather than left to the operator (docs/operations.md):
// - A pooler in transaction mode that does not track them (PgBouncer before 1.21, or without
//   `max_prepared_statements`) hands the next transaction another server connection, where the name is missing
//   (SQLSTATE 26000) or another client's is already there (42P05). Nothing else makes that happen, so the
//   first such refusal turns naming off for the whole pool, with one warning.
// - A prepared `select *` fails once its table's columns change under it (0A000, "cached plan must not change
//   result type"): a migration run by another process. The first such refusal starts a new generation of
//   names for the whole pool, so every connection prepares its statements afresh instead of each failing once.
// Either way the refused statement runs again unnamed when it may: outside a transaction. Inside one, that
// transaction is lost with it, and fails as a StatementRefusedError (database-outage.ts): a 503 with
// Retry-After, or a job's retry, since running it again works.

/**
 * The channel a migration NOTIFYs when it commits, with its schema as the payload (migrate.ts): processes
 * listening (the job listener, job-wakeups.ts) start a new generation of names at once (tablesChanged),
 * rather than at the first statement PostgreSQL refuses, which inside a transaction fails it.
 */
export const TABLES_CHANNEL = "tokenbill_tables";

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
/** Statements named per connection, over all generations (nothing is closed); beyond it, new texts go unnamed. */
export const NAMED_STATEMENT_LIMIT = 200;
/** Generations of names a pool goes through, the first included: the change of tables that would start one more turns naming off. */
export const GENERATION_LIMIT = 10;
/** SQLSTATE 26000: the server connection has no statement of that name (a pooler gave us another one). */
const NO_SUCH_STATEMENT = "26000";
/** SQLSTATE 42P05: the server connection already has a statement of that name (another client's, via a pooler). */
const DUPLICATE_STATEMENT = "42P05";
/** SQLSTATE 0A000: "cached plan must not change result type" (the table's columns changed). */
const RESULT_CHANGED = "0A000";

/** Names by SQL text, shared by every connection: the same text has the same name everywhere. */
const names = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 10_000;

/** The name a statement text goes under in a generation: a hash of the text, so equal texts share it. */
export function statementName(text: string, generation = 0): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `tokenbill_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    if (names.size < MAX_REMEMBERED_NAMES) names.set(text, name);
  }
  return generation === 0 ? name : `${name}_${generation}`;
}

export interface NamedQuery {
  name: string;
  text: string;
  values: unknown[];
}

/** A named statement and the generation of its name (not sent: node-postgres takes name, text, values). */
export interface NamedStatement {
  query: NamedQuery;
  generation: number;
}

/** Why a pool stopped naming statements, for its one warning. */
export type NamingOff = { reason: "pooler"; sqlstate: string } | { reason: "tables keep changing" };

/**
 * What the connections of one pool share: whether statements are named at all, and the generation of their
 * names. A new generation gives every statement a new name, so each connection prepares it again against the
 * tables as they are now; names of an earlier generation are never sent again.
 */
export class PoolStatements {
  #off: NamingOff | undefined;
  #generation = 0;

  constructor(private readonly onOff: (off: NamingOff) => void = () => {}) {}

  get naming(): boolean {
    return this.#off === undefined;
  }

  get generation(): number {
    return this.#generation;
  }

  /**
   * PostgreSQL refused a statement named in `generation` with `code`; false when the code is not a refusal of
   * its name. Connections that held names of the same generation are refused alike, each at its next use of
   * one, so only the first refusal of a generation starts the next.
   */
  refused(code: unknown, generation: number): boolean {
    if (code === NO_SUCH_STATEMENT || code === DUPLICATE_STATEMENT) {
      this.#turnOff({ reason: "pooler", sqlstate: code });
      return true;
    }
    if (code !== RESULT_CHANGED) return false;
    if (generation === this.#generation) this.tablesChanged();
    return true;
  }

  /** Another process changed tables (a migration): every statement is named afresh from now on. */
  tablesChanged(): void {
    if (this.#generation + 1 >= GENERATION_LIMIT) this.#turnOff({ reason: "tables keep changing" });
    else this.#generation++;
  }

  #turnOff(off: NamingOff): void {
    if (this.#off) return;
    this.#off = off;
    this.onOff(off);
  }
}

/** One connection's named statements: which texts go named, and what to do when one is refused. */
export class ConnectionStatements {
  /** Texts prepared on this connection in `#generation`. */
  readonly #named = new Set<string>();
  /** Names prepared on this connection in every generation: what it holds on the server. */
  #prepared = 0;
  #generation: number;
  #inTransaction = false;
  /** After a change of tables on this connection, nothing more is named on it. */
  #schemaChanged = false;

  constructor(
    private readonly pool = new PoolStatements(),
    private readonly limit = NAMED_STATEMENT_LIMIT,
  ) {
    this.#generation = pool.generation;
  }

  /**
   * The statement as node-postgres should send it: named when it reads or writes rows and this connection
   * may name it, else undefined (sent unnamed). Also follows the connection's transaction and schema changes.
   */
  prepare(text: string, values: readonly unknown[]): NamedStatement | undefined {
    if (BEGIN.test(text)) this.#inTransaction = true;
    else if (END.test(text)) this.#inTransaction = false;
    else if (SCHEMA_CHANGE.test(text) && !RUN_TABLES.test(text)) this.#schemaChanged = true;
    if (
      !this.pool.naming ||
      this.#schemaChanged ||
      values.length > MAX_PARAMETERS ||
      text.length > MAX_SQL_LENGTH ||
      !ROWS.test(text) ||
      RUN_TABLES.test(text)
    )
      return undefined;
    if (this.#generation !== this.pool.generation) {
      this.#generation = this.pool.generation;
      this.#named.clear();
    }
    if (!this.#named.has(text)) {
      if (this.#prepared >= this.limit) return undefined;
      this.#named.add(text);
      this.#prepared++;
    }
    const generation = this.#generation;
    return {
      query: { name: statementName(text, generation), text, values: values as unknown[] },
      generation,
    };
  }

  /**
   * What a named statement's failure means (PoolStatements.refused): "retry" when PostgreSQL refused its name
   * outside a transaction, so that it may simply run again unnamed; "transaction lost" when it refused it
   * inside one, which that refusal aborted; undefined when the failure is the statement's own.
   */
  refusal(error: unknown, statement: NamedStatement): "retry" | "transaction lost" | undefined {
    const code = (error as { code?: unknown } | null)?.code;
    if (!this.pool.refused(code, statement.generation)) return undefined;
    return this.#inTransaction ? "transaction lost" : "retry";
  }

  /** A statement failed: one that opened a transaction did not open it. */
  failed(text: string): void {
    if (BEGIN.test(text)) this.#inTransaction = false;
  }
}
