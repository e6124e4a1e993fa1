import {
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  sql,
} from "kysely";
import type { DatabaseHandle } from "../../src/db/open-database.ts";

// An embedded test database is used again by the next test file of the same worker (files share a worker's
// modules: vitest.config.ts) instead of loading a new one from the migrated dump: loading took a median 2.0 s
// under the suite's load, 354 s of the `db` project's 652 worker-seconds (2026-12-05 20:44 UTC). Before it is
// handed out again, it is put back to the state it was loaded in, and checked to be there; an instance that
// cannot be (a test changed its schema, its roles, its migrations, or left it unusable) is closed instead.

/** What a freshly loaded instance holds, to put a used one back to. */
interface LoadedState {
  /** Every table but the migrator's own, emptied in one TRUNCATE. */
  tables: string[];
  /** The rows the migrations wrote, table by table, as JSON. */
  rows: { table: string; json: string }[];
  /** Each sequence's position (null: never used). */
  sequences: { name: string; lastValue: string | null; isCalled: boolean }[];
  /** A digest of the schema, the roles, the databases and the migrations applied. */
  fingerprint: string;
  /** Each table's row count and each sequence's position, as `contents` says them. */
  contents: string;
}

const MIGRATOR_TABLES = new Set(["kysely_migration", "kysely_migration_lock"]);
/** Instances kept per worker: a file opens one or two. */
const KEEP = 2;

const idle: DatabaseHandle[] = [];
let loaded: Promise<LoadedState> | undefined;

/**
 * A database for one test file: one given back by an earlier file and put back to its loaded state, or else
 * `open()`'s. Its `db` stops working when the file closes it, as a closed database's would, so that nothing the
 * file left running can reach the next file's data.
 */
export async function reusableDatabase(open: () => Promise<DatabaseHandle>): Promise<DatabaseHandle> {
  const handle = idle.pop() ?? (await open());
  loaded ??= readState(handle);
  await loaded;
  let closed = false;
  const lease: KyselyPlugin = {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      if (closed) throw new Error("this test database was closed");
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return args.result;
    },
  };
  return {
    ...handle,
    db: handle.db.withPlugin(lease),
    close: async () => {
      if (closed) return;
      closed = true;
      if (idle.length < KEEP && (await putBack(handle))) idle.push(handle);
      else await handle.close();
    },
  };
}

async function readState(handle: DatabaseHandle): Promise<LoadedState> {
  const { db } = handle;
  const tables = (
    await sql<{ name: string }>`
      SELECT relname AS name FROM pg_class
      WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY relname`.execute(db)
  ).rows
    .map((r) => r.name)
    .filter((name) => !MIGRATOR_TABLES.has(name));
  const rows: LoadedState["rows"] = [];
  for (const table of tables) {
    const json = (
      await sql<{ json: string | null }>`SELECT json_agg(t)::text AS json FROM ${sql.table(table)} t`.execute(
        db,
      )
    ).rows[0]?.json;
    if (json) rows.push({ table, json });
  }
  const sequences = (
    await sql<{ name: string; last_value: string | null }>`
      SELECT sequencename AS name, last_value::text AS last_value FROM pg_sequences
      WHERE schemaname = 'public' ORDER BY sequencename`.execute(db)
  ).rows.map((r) => ({ name: r.name, lastValue: r.last_value, isCalled: r.last_value !== null }));
  return {
    tables,
    rows,
    sequences,
    fingerprint: await fingerprint(handle),
    contents: await contents(handle, tables),
  };
}

/** Each table's row count and each sequence's position: a row a trigger made during the put-back shows here. */
async function contents({ db }: DatabaseHandle, tables: string[]): Promise<string> {
  const counts = tables.map((t) => sql`${t} || '=' || (SELECT count(*) FROM ${sql.table(t)})`);
  const row = await sql<{ contents: string }>`
    SELECT concat_ws(' ', ${sql.join(counts)},
      (SELECT string_agg(sequencename || '=' || coalesce(last_value::text, '-'), ' ' ORDER BY sequencename)
         FROM pg_sequences WHERE schemaname = 'public')) AS contents`.execute(db);
  return row.rows[0]!.contents;
}

/** Puts a used instance back to its loaded state; false when it is not there afterwards, or cannot be. */
async function putBack(handle: DatabaseHandle): Promise<boolean> {
  const state = await loaded!;
  const { db } = handle;
  try {
    // A transaction a test left open ends here (outside one, ROLLBACK only warns).
    await sql`ROLLBACK`.execute(db);
    // The session's settings, prepared statements, temporary tables, LISTENs and advisory locks.
    await sql`DISCARD ALL`.execute(db);
    // Without triggers: the rows go back as they were, and make none of their own (a currency's insert would
    // log a pricing change).
    await sql`SET session_replication_role = replica`.execute(db);
    await sql`TRUNCATE ${sql.join(state.tables.map((t) => sql.table(t)))} RESTART IDENTITY CASCADE`.execute(
      db,
    );
    for (const { table, json } of state.rows) {
      await sql`INSERT INTO ${sql.table(table)} SELECT * FROM json_populate_recordset(NULL::${sql.table(table)}, ${json}::json)`.execute(
        db,
      );
    }
    for (const { name, lastValue, isCalled } of state.sequences) {
      if (lastValue === null) await sql`ALTER SEQUENCE ${sql.table(name)} RESTART`.execute(db);
      else
        await sql`SELECT setval(quote_ident(${name})::regclass, ${lastValue}::bigint, ${isCalled})`.execute(
          db,
        );
    }
    await sql`RESET session_replication_role`.execute(db);
    // Counters a test may read (a vacuum's, a table's dead rows) start again from nothing, as when loaded.
    await sql`SELECT pg_stat_reset()`.execute(db);
    // The write-ahead log the file wrote is let go, so that an instance used many times stays its size.
    await sql`CHECKPOINT`.execute(db);
    return (
      (await fingerprint(handle)) === state.fingerprint &&
      (await contents(handle, state.tables)) === state.contents
    );
  } catch {
    return false;
  }
}

/** A digest of what a test could change that TRUNCATE does not put back. */
async function fingerprint({ db }: DatabaseHandle): Promise<string> {
  const row = await sql<{ digest: string }>`
    SELECT md5(string_agg(item, E'\n' ORDER BY item)) AS digest FROM (
      SELECT 'namespace ' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'
      UNION ALL
      SELECT 'relation ' || relnamespace::regnamespace || '.' || relname || ' ' || relkind::text || relpersistence::text
        FROM pg_class WHERE relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)
          AND relpersistence <> 't'
      UNION ALL
      SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
          || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
      UNION ALL
      SELECT 'constraint ' || conrelid::regclass || '.' || conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'index ' || pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'view ' || oid::regclass || ' ' || pg_get_viewdef(oid) FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm')
      UNION ALL
      SELECT 'trigger ' || tgrelid::regclass || '.' || tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal
      UNION ALL
      SELECT 'routine ' || oid::regprocedure || ' ' || md5(prosrc) FROM pg_proc
        WHERE pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
      UNION ALL
      SELECT 'type ' || oid::regtype FROM pg_type WHERE typnamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'label ' || enumtypid::regtype || ' ' || enumlabel FROM pg_enum
      UNION ALL
      SELECT 'policy ' || polrelid::regclass || '.' || polname FROM pg_policy
      UNION ALL
      SELECT 'extension ' || extname || ' ' || extversion FROM pg_extension
      UNION ALL
      SELECT 'role ' || rolname || ' ' || rolsuper::text || ' ' || rolcanlogin::text FROM pg_roles
      UNION ALL
      SELECT 'database ' || datname || ' ' || datallowconn FROM pg_database
      UNION ALL
      SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
      UNION ALL
      SELECT 'system setting ' || name || '=' || setting FROM pg_settings WHERE source = 'configuration file'
      UNION ALL
      SELECT 'migration ' || name FROM kysely_migration
      UNION ALL
      SELECT 'migration lock ' || is_locked FROM kysely_migration_lock
    ) AS items(item)`.execute(db);
  return row.rows[0]!.digest;
}
