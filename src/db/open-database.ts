import { PGlite, types as pgliteTypes } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { rmSync } from "node:fs";
import { Readable } from "node:stream";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { ServiceError } from "../kernel/errors.ts";
import { type BackupStream, removeLeftSpools, spoolBackup } from "./backup-spool.ts";
import { connectTimeoutMs, DatabaseUnreachableError, reportingOutages } from "./database-outage.ts";
import {
  ensurePrivateDataDir,
  type LockHolder,
  liveLockHolder,
  lockDataDir,
  type PermissionWarning,
  staleLockHint,
} from "./data-dir-lock.ts";
import { type NamingOff, PoolStatements } from "./named-statements.ts";
import { bundledInOnePiece } from "./pglite-extension-bundle.ts";
import { recordDatabaseTraits } from "./database-traits.ts";
import { packDataDir } from "./pack-data-dir.ts";
import { PgliteDialect } from "./pglite-driver.ts";
import { PgliteSharedDialect } from "./pglite-socket-dialect.ts";
import {
  type PgliteSocketServer,
  type SharedNotifications,
  SOCKET_PORT,
  shareOverSocket,
  sharedSocketDir,
  socketPathOf,
} from "./pglite-socket-server.ts";
import { PgliteSessionQueue } from "./pglite-socket-session.ts";
import { removeLeftRestoreCopies } from "./restore-copies.ts";
import { type ModesTightened, tightenDataDir, tightenedMessage } from "./tighten-data-dir.ts";
import type { Database } from "./schema.ts";
import { APPLICATION_NAME } from "./application-name.ts";

export type DatabaseKind = "pglite" | "postgres";

export interface OpenDatabaseOptions {
  /** A postgres:// URL; when absent, PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory; `memory://` or undefined with `memory: true` keeps it in memory. */
  dataDir?: string | undefined;
  memory?: boolean;
  /**
   * PGlite in memory only: start from this dump (PGlite's `dumpDataDir`) instead of an empty cluster. Tests
   * start from a migrated one, which skips PGlite's initdb (about 1.1 of the 1.5 s an instance costs).
   */
  loadDataDir?: Blob;
  /** PostgreSQL only: a schema to use as search_path (tests isolate themselves this way). */
  schema?: string;
  poolSize?: number;
  /** PostgreSQL only: statements named per connection (src/db/named-statements.ts); true unless false. */
  namedStatements?: boolean;
  /**
   * PostgreSQL only: how long a statement waits for a lock before it fails (`lock_timeout`, set once on each
   * new connection); 0 or undefined leaves the server's (the role's, or DATABASE_URL's) as it is. `serve`'s.
   */
  lockTimeoutMs?: number | undefined;
  /** With named statements: told once if the pool turns them off (a pooler that loses them, say). */
  onNamingOff?: (off: NamingOff) => void;
  /** Told when the data directory had to be tightened to 0700; Node's warning on stderr by default. */
  onPermissionWarning?: PermissionWarning;
  /**
   * Told how many paths in the data directory were made owner-only, when any were: an info line, so nothing
   * without a logger (a command shows its warnings only: src/cli/with-context.ts).
   */
  onModesTightened?: ModesTightened;
  /** PGlite in a data directory: share it with other processes over a socket there (`serve` does). */
  share?: boolean;
  /** With `share`: notifications that socket clients' commits send on these channels, and who hears them. */
  sharedNotifications?: SharedNotifications;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** PGlite reached through the socket of the `serve` that holds it (pid), not opened here. */
  sharedBy?: number | undefined;
  /** PGlite opened with `share`: the socket other processes reach it on (undefined: the path is too long). */
  socketPath?: string | undefined;
  /** PGlite opened here only: the whole cluster as a tarball, which `loadDataDir` starts another from. */
  dumpDataDir?: () => Promise<Blob>;
  /**
   * PGlite opened here only: a backup, a gzipped tar of the data directory (pack-data-dir.ts), spooled to a
   * file in it and streamed from there (backup-spool.ts); `signal` stops it while it is being made.
   */
  backup?: (signal?: AbortSignal) => Promise<BackupStream>;
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
    ensurePrivateDataDir(options.dataDir, options.onPermissionWarning);
    dataDir = options.dataDir;
    // Another process's serve shares it: a command connects to that; a second serve refuses (below).
    const owner = liveLockHolder(dataDir);
    const socketDir = owner === undefined || options.share ? undefined : sharedSocketDir(dataDir);
    if (owner !== undefined && socketDir) return openSharedPglite(socketDir, owner, dataDir);
    unlock = lockDataDir(dataDir, options.share ? "serve" : "command");
    // A socket left by a serve that died: nobody answers on it, and a command must not try it.
    if (!options.share) rmSync(socketPathOf(dataDir), { force: true });
    // A half-made backup of a process that died while making it; nobody else packs here while this holds the lock.
    removeLeftSpools(dataDir);
    // And the unpacked copy of a restore that was killed: no restore runs while this holds the lock.
    removeLeftRestoreCopies(dataDir);
    // The database's files an older version made with the umask's modes (tighten-data-dir.ts): once, here,
    // where the lock is taken; a command that reaches a serve's socket above finds them tightened by it.
    let changed: number;
    try {
      changed = tightenDataDir(dataDir);
    } catch (error) {
      unlock(); // a path of another user's, say (EPERM): this process never opened the database
      throw error;
    }
    if (changed > 0) options.onModesTightened?.(tightenedMessage(changed), { changed });
  }
  // One options object: PGlite.create(undefined, options) would drop the options.
  let client: PGlite;
  try {
    client = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      ...(options.loadDataDir && !dataDir ? { loadDataDir: options.loadDataDir } : {}),
      // Trigram indexes serve the admin API's substring filters (migration 010). Its bundle is read in one
      // piece, not through PGlite's stream: pglite-extension-bundle.ts says why.
      extensions: { pg_trgm: bundledInOnePiece(pg_trgm, "pg_trgm") },
      // A checkpoint removes the WAL segments it no longer needs instead of renaming them as future ones:
      // recycled, up to 1 GB of old WAL stayed in DATA_DIR and in every backup (docs/operations.md, "Backups").
      // PostgreSQL's own setting (for file systems where a new file costs no more than an old one); a segment
      // needed later is made then, 16 MB zero-filled.
      startParams: [...PGlite.defaultStartParams, "-c", "wal_recycle=off"],
      parsers: {
        [pgliteTypes.INT8]: (value: string) => BigInt(value),
        [pgliteTypes.NUMERIC]: (value: string) => value,
      },
    });
  } catch (error) {
    unlock?.();
    throw error;
  }
  let socket: PgliteSocketServer | undefined;
  let dialect: PgliteDialect | PgliteSharedDialect = new PgliteDialect(client);
  if (options.share && dataDir) {
    const session = new PgliteSessionQueue();
    try {
      socket = await shareOverSocket(client, session, dataDir, options.sharedNotifications);
    } catch (error) {
      await client.close();
      unlock?.();
      throw error;
    }
    if (socket) dialect = new PgliteSharedDialect(client, session);
  }
  const db = new Kysely<Database>({ dialect });
  recordDatabaseTraits(db, { server: false, connections: 1, turns: { waiting: () => dialect.waiting() } });
  return {
    db,
    kind: "pglite",
    socketPath: socket?.path,
    dumpDataDir: async () => {
      const dump = await client.dumpDataDir("none");
      return dump instanceof Blob ? dump : new Blob([dump]);
    },
    backup: dataDir
      ? (signal) => spoolBackup(dataDir, (into, stop) => packDataDir(db, dataDir, into, stop), signal)
      : async () => {
          // In memory the database is whole in memory anyway, and PGlite's dump makes its archive whole there.
          const archive = Buffer.from(await (await client.dumpDataDir("gzip")).arrayBuffer());
          return { bytes: archive.byteLength, stream: Readable.from([archive]) };
        },
    close: async () => {
      // The socket first: no command's statement may reach a database that is closing.
      await socket?.close();
      await db.destroy();
      unlock?.();
    },
  };
}

/** The embedded database of a running `serve`, through its socket: one connection, like PGlite itself. */
async function openSharedPglite(
  socketDir: string,
  owner: LockHolder,
  dataDir: string,
): Promise<DatabaseHandle> {
  const pool = new pg.Pool({
    host: socketDir,
    port: SOCKET_PORT,
    user: "postgres",
    database: "postgres",
    // More would only queue on PGlite's one session, and a transaction on one connection waited for by a
    // query on another would never end.
    max: 1,
    types: typeParsers as pg.CustomTypesConfig,
  });
  keepLostConnectionsQuiet(pool);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: reportingOutages(pool) }) });
  try {
    await sql`SELECT 1`.execute(db);
  } catch (error) {
    await db.destroy();
    // node-postgres's own words ("connect ECONNREFUSED …/.s.PGSQL.5432"), not the outage's wrapping of them.
    const said = error instanceof DatabaseUnreachableError ? error.cause : error;
    // A serve removes a dead one's socket only once it has the lock and before it listens: starting, too.
    throw new ServiceError(
      "CONFLICT",
      `the embedded database in ${socketDir} is held by tokenbill process ${owner.pid}, whose socket does not ` +
        `answer (${(said as Error).message}): is that serve starting or stopping? Try again in a moment.` +
        staleLockHint(dataDir, owner),
    );
  }
  return { db, kind: "pglite", sharedBy: owner.pid, close: () => db.destroy() };
}

const typeParsers = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID) return (value: string) => BigInt(value);
    if (oid === NUMERIC_OID) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * A connection that ends unexpectedly makes its client emit "error", and an "error" nobody listens to ends the
 * process. The pool listens only while a client is idle; one lent out (between a transaction's statements,
 * say) would crash `serve` when the database restarts. So every client listens for its whole life: its next
 * statement fails instead (a DatabaseUnreachableError), and the pool drops it on release.
 */
function keepLostConnectionsQuiet(pool: pg.Pool): void {
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
}

/**
 * Sets `lock_timeout` on every new connection of the pool, once: the pool emits "connect" before it lends a
 * new client, whose statements run in order, so the SET comes before the first borrower's statement and costs
 * nothing after. A SET that fails (the connection lost at once) leaves the next statement to fail as well.
 */
function boundLockWaits(pool: pg.Pool, ms: number): void {
  pool.on("connect", (client) => {
    client.query(`SET lock_timeout = ${Math.trunc(ms)}`).catch(() => {});
  });
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: typeParsers as pg.CustomTypesConfig,
    // A server that does not answer (a network that drops packets) fails a request in bounded time instead
    // of holding it until the operating system gives up; so does a pool whose clients stay busy that long.
    connectionTimeoutMillis: connectTimeoutMs(url),
    // How the connections show in pg_stat_activity, unless DATABASE_URL or PGAPPNAME names them (libpq's rule).
    fallback_application_name: APPLICATION_NAME,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  keepLostConnectionsQuiet(pool);
  if (options.lockTimeoutMs) boundLockWaits(pool, options.lockTimeoutMs);
  const namedStatements =
    (options.namedStatements ?? true) ? new PoolStatements(options.onNamingOff) : undefined;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: reportingOutages(pool, namedStatements),
    }),
  });
  recordDatabaseTraits(db, {
    server: true,
    connections: options.poolSize ?? 10,
    ...(namedStatements ? { namedStatements } : {}),
  });
  return {
    db,
    kind: "postgres",
    close: async () => {
      await db.destroy();
    },
  };
}
