import { type Kysely, sql } from "kysely";
import type { Database } from "../../src/db/schema.ts";

// A migrated test database's state as loaded, read once, so that a database a test file used can be put back
// to it and checked to be there before the next file gets it (reusable-pglite.ts). What is put back and checked
// is one schema's (`public` in PGlite) and, since nothing else shares the embedded instance, its roles,
// databases and settings too.

type Db = Kysely<Database>;

/** What a newly migrated database holds, to put a used one back to. */
export interface LoadedState {
  schema: string;
  /** Every table but the migrator's own, emptied in one TRUNCATE. */
  tables: string[];
  /** The rows the migrations wrote, table by table, as JSON. */
  rows: { table: string; json: string }[];
  /** Each sequence's position (null: never used). */
  sequences: { name: string; lastValue: string | null; isCalled: boolean }[];
  /** Each relation's size as the planner knows it (pages, rows), as JSON: TRUNCATE leaves an index's at 0. */
  sizes: string;
  /** A digest of the schema's objects and the migrations applied (`fingerprint`). */
  fingerprint: string;
  /** Each table's row count, each sequence's position, the planner's statistics (`contents`). */
  contents: string;
}

const MIGRATOR_TABLES = new Set(["kysely_migration", "kysely_migration_lock"]);

/** Reads the state of a database just migrated. */
export async function readState(db: Db, schema: string): Promise<LoadedState> {
  const tables = (
    await sql<{ name: string }>`
      SELECT relname AS name FROM pg_class
      WHERE relnamespace = ${schema}::regnamespace AND relkind IN ('r', 'p') ORDER BY relname`.execute(db)
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
      WHERE schemaname = ${schema} ORDER BY sequencename`.execute(db)
  ).rows.map((r) => ({ name: r.name, lastValue: r.last_value, isCalled: r.last_value !== null }));
  const sizes = (
    await sql<{ json: string }>`
      SELECT json_agg(json_build_object('relname', relname, 'relpages', relpages, 'reltuples', reltuples,
        'relallvisible', relallvisible))::text AS json
      FROM pg_class WHERE relnamespace = ${schema}::regnamespace`.execute(db)
  ).rows[0]!.json;
  return {
    schema,
    tables,
    rows,
    sequences,
    sizes,
    fingerprint: await fingerprint(db, schema),
    contents: await contents(db, schema, tables),
  };
}

/**
 * Empties every table and writes the migrations' rows back, restarts the sequences, and puts the planner's
 * view back (an ANALYZE a test ran would otherwise choose the next file's plans: its statistics are dropped,
 * each relation's pages and rows set as loaded, which TRUNCATE leaves at 0 for an index): in `db`'s session, whose
 * search_path is the schema. Triggers are off meanwhile: the rows go back as they were and make none of their
 * own (a currency's insert would log a pricing change). Needs a superuser, as the tests' databases have.
 */
export async function restoreRows(db: Db, state: LoadedState): Promise<void> {
  await sql`SET session_replication_role = replica`.execute(db);
  await sql`TRUNCATE ${sql.join(state.tables.map((t) => sql.table(t)))} RESTART IDENTITY CASCADE`.execute(db);
  for (const { table, json } of state.rows) {
    await sql`
      INSERT INTO ${sql.table(table)}
      SELECT * FROM json_populate_recordset(NULL::${sql.table(table)}, ${json}::json)`.execute(db);
  }
  for (const { name, lastValue, isCalled } of state.sequences) {
    if (lastValue === null) await sql`ALTER SEQUENCE ${sql.table(name)} RESTART`.execute(db);
    else
      await sql`SELECT setval(quote_ident(${name})::regclass, ${lastValue}::bigint, ${isCalled})`.execute(db);
  }
  await sql`
    DELETE FROM pg_statistic WHERE starelid IN (
      SELECT oid FROM pg_class WHERE relnamespace = ${state.schema}::regnamespace)`.execute(db);
  await sql`
    UPDATE pg_class c SET relpages = s.relpages, reltuples = s.reltuples, relallvisible = s.relallvisible
    FROM json_to_recordset(${state.sizes}::json) AS s(relname name, relpages int, reltuples real, relallvisible int)
    WHERE c.relnamespace = ${state.schema}::regnamespace AND c.relname = s.relname`.execute(db);
  await sql`RESET session_replication_role`.execute(db);
}

/** Whether `db` is in the state read: its objects, rows, sequences and statistics. */
export async function isAsLoaded(db: Db, state: LoadedState): Promise<boolean> {
  return (
    (await fingerprint(db, state.schema)) === state.fingerprint &&
    (await contents(db, state.schema, state.tables)) === state.contents
  );
}

/**
 * Each table's row count, each sequence's position and the planner's statistics on the schema's relations: a
 * row a trigger made during the put-back, or statistics left from an ANALYZE, show here.
 */
async function contents(db: Db, schema: string, tables: string[]): Promise<string> {
  const counts = tables.map((t) => sql`${t} || '=' || (SELECT count(*) FROM ${sql.table(t)})`);
  const row = await sql<{ contents: string }>`
    SELECT concat_ws(' ', ${sql.join(counts)},
      (SELECT string_agg(sequencename || '=' || coalesce(last_value::text, '-'), ' ' ORDER BY sequencename)
         FROM pg_sequences WHERE schemaname = ${schema}),
      (SELECT 'statistics=' || count(*) FROM pg_statistic s JOIN pg_class c ON c.oid = s.starelid
         WHERE c.relnamespace = ${schema}::regnamespace),
      (SELECT string_agg(relname || ':' || relpages || '/' || reltuples || '/' || relallvisible, ' ' ORDER BY relname)
         FROM pg_class WHERE relnamespace = ${schema}::regnamespace)) AS contents`.execute(db);
  return row.rows[0]!.contents;
}

/**
 * A digest of what a test could change that emptying the tables does not put back: the schema's relations,
 * columns, constraints, indexes, views, triggers, routines and types, the migrations applied, and the
 * instance's schemas, roles, databases and settings.
 */
async function fingerprint(db: Db, schema: string): Promise<string> {
  const cluster = sql`
      UNION ALL
      SELECT 'namespace ' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'
      UNION ALL
      SELECT 'extension ' || extname || ' ' || extversion FROM pg_extension
      UNION ALL
      SELECT 'role ' || rolname || ' ' || rolsuper::text || ' ' || rolcanlogin::text FROM pg_roles
      UNION ALL
      SELECT 'database ' || datname || ' ' || datallowconn FROM pg_database
      UNION ALL
      SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
      UNION ALL
      SELECT 'system setting ' || name || '=' || setting FROM pg_settings WHERE source = 'configuration file'`;
  const row = await sql<{ digest: string }>`
    SELECT md5(string_agg(item, E'\n' ORDER BY item)) AS digest FROM (
      SELECT 'relation ' || relname || ' ' || relkind::text || relpersistence::text
        FROM pg_class WHERE relnamespace = ${schema}::regnamespace
      UNION ALL
      SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
          || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = ${schema}::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
      UNION ALL
      SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = ${schema}::regnamespace
      UNION ALL
      SELECT 'index ' || pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = ${schema}::regnamespace
      UNION ALL
      SELECT 'view ' || relname || ' ' || pg_get_viewdef(oid) FROM pg_class
        WHERE relnamespace = ${schema}::regnamespace AND relkind IN ('v', 'm')
      UNION ALL
      SELECT 'trigger ' || c.relname || '.' || t.tgname || ' ' || t.tgenabled::text
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = ${schema}::regnamespace AND NOT t.tgisinternal
      UNION ALL
      SELECT 'routine ' || proname || '(' || pg_get_function_identity_arguments(oid) || ') ' || md5(prosrc)
        FROM pg_proc WHERE pronamespace = ${schema}::regnamespace
      UNION ALL
      SELECT 'type ' || typname FROM pg_type WHERE typnamespace = ${schema}::regnamespace
      UNION ALL
      SELECT 'label ' || t.typname || ' ' || e.enumlabel
        FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typnamespace = ${schema}::regnamespace
      UNION ALL
      SELECT 'policy ' || c.relname || '.' || p.polname
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = ${schema}::regnamespace
      UNION ALL
      -- When each ran too: a test that sets it (billing-start's) must not hand its instants to the next file.
      SELECT 'migration ' || name || ' ' || timestamp FROM kysely_migration
      UNION ALL
      SELECT 'migration lock ' || is_locked FROM kysely_migration_lock
      ${cluster}
    ) AS items(item)`.execute(db);
  return row.rows[0]!.digest;
}
