import { type PGlite, protocol, types } from "@electric-sql/pglite";
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from "kysely";

// Kysely on PGlite, one statement per call into PostgreSQL where it can be.
//
// Why not kysely-pglite-dialect (which calls PGlite's query()): query() sends Parse, Describe, Bind,
// Describe, Execute and Sync as six separate calls, parses and plans the statement again every time, and
// copies PGlite's whole type-parser table (316 entries) for every result. Measured on PGlite 0.4.6 with
// `select 1`: 190–240 µs a statement through query(), 19 µs in PostgreSQL itself; the copy alone is 90 µs.
// An admin write runs about ten statements, all on the thread that answers GetTokenPricing.
//
// Here a statement that reads or writes rows is a named prepared statement, kept per SQL text (most-recently
// used first, bounded): the first run prepares it and learns its parameter and column types, every later run
// is one Bind + Execute + Sync, and PostgreSQL may reuse its plan. Other statements (BEGIN, COMMIT, DDL) go
// as one simple Query; DDL forgets every prepared statement, so none outlives a change to its tables.
// Parameters are serialized and columns parsed with PGlite's own serializers and parsers (the ones
// open-database.ts configures), so rows come back exactly as query() returned them.

const { serialize } = protocol;
const SYNC = serialize.sync();

/** Statements that read or write rows: prepared once per SQL text and reused. */
const REUSABLE = /^\s*(?:select|insert|update|delete|with|values)\b/i;
/** Statements that may change what a prepared statement reads: every prepared statement is dropped. */
const SCHEMA_CHANGE = /^\s*(?:create|alter|drop|truncate|comment|do|call|reindex|cluster|refresh)\b/i;
/** Prepared statements kept per session; the least recently used is closed beyond this. */
export const PREPARED_STATEMENT_LIMIT = 200;
/** Bulk statements are planned fresh each time: planning is a small share of them, and the texts vary. */
const MAX_REUSABLE_PARAMETERS = 100;
const MAX_REUSABLE_SQL_LENGTH = 8192;
/** SQLSTATE 26000: the prepared statement is gone (someone on the shared session ran DEALLOCATE or DISCARD). */
const INVALID_SQL_STATEMENT_NAME = "26000";
/** SQLSTATE 0A000, raised for a prepared statement whose result columns changed under it. */
const FEATURE_NOT_SUPPORTED = "0A000";

interface Column {
  name: string;
  type: number;
}

interface Prepared {
  name: string;
  parameterTypes: number[];
  columns: Column[];
}

type Message = Awaited<ReturnType<PGlite["execProtocolStream"]>>[number];

/** A RowDescription's columns: each name with its type's oid. */
function columnsOf(message: Message): Column[] {
  const fields = (message as unknown as { fields: { name: string; dataTypeID: number }[] }).fields;
  return fields.map((f) => ({ name: f.name, type: f.dataTypeID }));
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Rows affected as PGlite's query() counts them, from a CommandComplete tag ("UPDATE 3", "INSERT 0 1"). */
function affectedBy(tag: string): number {
  const words = tag.split(" ");
  switch (words[0]) {
    case "INSERT":
      return Number.parseInt(words[2]!, 10);
    case "UPDATE":
    case "DELETE":
    case "COPY":
    case "MERGE":
      return Number.parseInt(words[1]!, 10);
    default:
      return 0;
  }
}

/** The statements prepared in the session, by SQL text, least recently used first. */
class StatementCache {
  readonly #byText = new Map<string, Prepared>();
  /** Names to close before the next statement (evicted or forgotten). */
  #closing: string[] = [];
  #next = 0;

  constructor(private readonly capacity: number) {}

  get(text: string): Prepared | undefined {
    const prepared = this.#byText.get(text);
    if (prepared) {
      this.#byText.delete(text);
      this.#byText.set(text, prepared);
    }
    return prepared;
  }

  newName(): string {
    return `tokenbill_${++this.#next}`;
  }

  add(text: string, prepared: Prepared): void {
    this.#byText.set(text, prepared);
    if (this.#byText.size > this.capacity) {
      const [oldest] = this.#byText;
      this.forget(oldest![0]);
    }
  }

  forget(text: string): void {
    const prepared = this.#byText.get(text);
    if (!prepared) return;
    this.#byText.delete(text);
    this.#closing.push(prepared.name);
  }

  forgetAll(): void {
    for (const text of [...this.#byText.keys()]) this.forget(text);
  }

  /** Close messages for the statements forgotten since the last call (closing an unknown name is no error). */
  takeCloses(): Uint8Array[] {
    const closes = this.#closing.map((name) => serialize.close({ type: "S", name }));
    this.#closing = [];
    return closes;
  }
}

export class PgliteConnection implements DatabaseConnection {
  readonly #statements: StatementCache;

  constructor(private readonly client: PGlite) {
    this.#statements = new StatementCache(PREPARED_STATEMENT_LIMIT);
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.client._runExclusiveQuery(async () => {
      const result = await this.#run(query.sql, query.parameters);
      // As query() does: outside a transaction, the change reaches the file system before the answer.
      if (!this.client.isInTransaction()) await this.client.syncToFs();
      return result as QueryResult<R>;
    });
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    if (!Number.isInteger(chunkSize) || chunkSize <= 0)
      throw new Error("chunkSize must be a positive integer");
    const { rows } = await this.executeQuery<R>(query);
    for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
  }

  #run(sql: string, parameters: readonly unknown[]): Promise<QueryResult<unknown>> {
    if (
      REUSABLE.test(sql) &&
      parameters.length <= MAX_REUSABLE_PARAMETERS &&
      sql.length <= MAX_REUSABLE_SQL_LENGTH
    ) {
      return this.#runPrepared(sql, parameters);
    }
    if (SCHEMA_CHANGE.test(sql)) this.#statements.forgetAll();
    if (parameters.length === 0) return this.#runSimple(sql);
    return this.#runUnnamed(sql, parameters);
  }

  /** One call with Sync at the end, so an error leaves the session ready for the next statement. */
  #call(parts: Uint8Array[]): Promise<Message[]> {
    return this.client.execProtocolStream(concat([...this.#statements.takeCloses(), ...parts, SYNC]), {
      syncToFs: false,
    });
  }

  async #describe(name: string, sql: string): Promise<Prepared> {
    const messages = await this.#call([
      serialize.parse({ name, text: sql }),
      serialize.describe({ type: "S", name }),
    ]);
    const prepared: Prepared = { name, parameterTypes: [], columns: [] };
    for (const message of messages) {
      if (message.name === "parameterDescription") {
        prepared.parameterTypes = (message as unknown as { dataTypeIDs: number[] }).dataTypeIDs;
      } else if (message.name === "rowDescription") {
        prepared.columns = columnsOf(message);
      }
    }
    return prepared;
  }

  async #runPrepared(
    sql: string,
    parameters: readonly unknown[],
    retried = false,
  ): Promise<QueryResult<unknown>> {
    let prepared = this.#statements.get(sql);
    if (!prepared) {
      prepared = await this.#describe(this.#statements.newName(), sql);
      this.#statements.add(sql, prepared);
    }
    try {
      return await this.#execute(prepared, parameters);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // A statement PostgreSQL no longer has, or no longer can run as prepared, is prepared again. Outside a
      // transaction nothing ran, so that happens at once; inside one, the transaction has failed already.
      if (code === INVALID_SQL_STATEMENT_NAME) {
        this.#statements.forgetAll();
        if (!retried && !this.client.isInTransaction()) return this.#runPrepared(sql, parameters, true);
      }
      if (code === FEATURE_NOT_SUPPORTED) this.#statements.forget(sql);
      throw error;
    }
  }

  async #runUnnamed(sql: string, parameters: readonly unknown[]): Promise<QueryResult<unknown>> {
    return this.#execute(await this.#describe("", sql), parameters);
  }

  async #execute(prepared: Prepared, parameters: readonly unknown[]): Promise<QueryResult<unknown>> {
    const values = parameters.map((value, i) => this.#serialize(value, prepared.parameterTypes[i]!));
    const messages = await this.#call([
      serialize.bind({ statement: prepared.name, values }),
      serialize.execute({}),
    ]);
    return this.#collect(messages, prepared.columns);
  }

  async #runSimple(sql: string): Promise<QueryResult<unknown>> {
    return this.#collect(await this.#call([serialize.query(sql)]), undefined);
  }

  /** As PGlite's query() serializes a parameter: by the type PostgreSQL inferred for it. */
  #serialize(value: unknown, type: number): string | null {
    if (value === null || value === undefined) return null;
    const serializer = this.client.serializers[type];
    return serializer ? serializer(value) : String(value);
  }

  /** Rows (each column through PGlite's parser for its type) and the rows affected. */
  #collect(messages: Message[], known: Column[] | undefined): QueryResult<unknown> {
    const parsers = this.client.parsers;
    let columns = known ?? [];
    const rows: Record<string, unknown>[] = [];
    let affected = 0;
    for (const message of messages) {
      if (message.name === "rowDescription") {
        columns = columnsOf(message);
        rows.length = 0;
      } else if (message.name === "dataRow") {
        const values = (message as unknown as { fields: (string | null)[] }).fields;
        const row: Record<string, unknown> = {};
        for (let i = 0; i < columns.length; i++) {
          const column = columns[i]!;
          row[column.name] = types.parseType(values[i] ?? null, column.type, parsers);
        }
        rows.push(row);
      } else if (message.name === "commandComplete") {
        affected += affectedBy((message as unknown as { text: string }).text);
      }
    }
    return affected ? { rows, numAffectedRows: BigInt(affected) } : { rows };
  }
}

/** One connection, as PGlite is one session: a second acquire waits until the first is released. */
export class PgliteDriver implements Driver {
  readonly #connection: PgliteConnection;
  #inUse = false;
  readonly #waiting: (() => void)[] = [];

  constructor(private readonly client: PGlite) {
    this.#connection = new PgliteConnection(client);
  }

  async init(): Promise<void> {}

  /** Acquisitions waiting for the connection (give-way.ts). */
  get waiting(): number {
    return this.#waiting.length;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#inUse) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#inUse = true;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#inUse = false;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const level = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : "";
    const mode = settings.accessMode ? ` ${settings.accessMode}` : "";
    await connection.executeQuery(CompiledQuery.raw(`start transaction${level}${mode}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async destroy(): Promise<void> {
    if (!this.client.closed) await this.client.close();
  }
}

export class PgliteDialect implements Dialect {
  #driver: PgliteDriver | undefined;

  constructor(private readonly client: PGlite) {}

  createDriver(): Driver {
    this.#driver = new PgliteDriver(this.client);
    return this.#driver;
  }

  /** Turns waiting for the session: Kysely makes one driver per instance (withPlugin shares it). */
  waiting(): number {
    return this.#driver?.waiting ?? 0;
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect takes any database
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
