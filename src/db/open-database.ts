import { PGlite, types as pgliteTypes } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { Kysely, PostgresDialect } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import { ensurePrivateDir, lockDataDir, type PermissionWarning } from "./data-dir-lock.ts";
import type { Database } from "./schema.ts";

export type DatabaseKind = "pglite" | "postgres";

export interface OpenDatabaseOptions {
  /** A postgres:// URL; when absent, PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; `memory://` or undefined with `memory: true` keeps it in memory. */
  dataDir?: string | undefined;
  memory?: boolean;
  /** PostgreSQL only: a schema to use as search_path (tests isolate themselves this way). */
  schema?: string;
  poolSize?: number;
  /** Told when the data directory had to be tightened to 0700; Node's warning on stderr by default. */
  onPermissionWarning?: PermissionWarning;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  close(): Promise<void>;
}

// PGlite and node-postgres disagree on int8 and numeric: PGlite yields number-or-bigint, pg yields strings.
// Both are set to the same here: int8 → bigint (tokens, minor units, ids), numeric → exact decimal string.
const INT8_OID = 20;
const NUMERIC_OID = 1700;

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options);
  return openPglite(options);
}

async function openPglite(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  let dataDir: string | undefined;
  let unlock: (() => void) | undefined;
  if (!options.memory && options.dataDir && options.dataDir !== "memory://") {
    // The database files and the key files beside them are for the owner only (data-dir-lock.ts).
    ensurePrivateDir(options.dataDir, options.onPermissionWarning);
    dataDir = options.dataDir;
    unlock = lockDataDir(dataDir);
  }
  // One options object: PGlite.create(undefined, options) would drop the options.
  let client: PGlite;
  try {
    client = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      // Trigram indexes serve the admin API's substring filters (migration 010).
      extensions: { pg_trgm },
      parsers: {
        [pgliteTypes.INT8]: (value: string) => BigInt(value),
        [pgliteTypes.NUMERIC]: (value: string) => value,
      },
    });
  } catch (error) {
    unlock?.();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return {
    db,
    kind: "pglite",
    close: async () => {
      await db.destroy();
      unlock?.();
    },
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const typeParsers = {
    getTypeParser(oid: number, format?: "text" | "binary") {
      if (oid === INT8_OID) return (value: string) => BigInt(value);
      if (oid === NUMERIC_OID) return (value: string) => value;
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: typeParsers as pg.CustomTypesConfig,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: "postgres",
    close: async () => {
      await db.destroy();
    },
  };
}
