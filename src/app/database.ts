import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { autovacuumWarning } from "../db/autovacuum-check.ts";
import { migrateToLatest } from "../db/migrate.ts";
import type { NamingOff } from "../db/named-statements.ts";
import { type DatabaseHandle, openDatabase } from "../db/open-database.ts";
import { JOB_CHANNEL, signalJobsWritten } from "../jobs/job-wakeups.ts";
import type { Actor } from "../kernel/actor.ts";
import type { ServiceContext } from "../kernel/context.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { closePreservingExitCode } from "./close-database.ts";

// The database as every entry point opens it (serve, CLI commands, jobs), and the context for work no HTTP
// request starts. Apart from the HTTP server (server.ts), so a command loads no web framework it does not use.

export async function openMigratedDatabase(
  config: Config,
  logger: Logger,
  /**
   * Opened for serve: an embedded database is shared with the CLI over a socket in DATA_DIR
   * (src/db/pglite-socket-server.ts), and PostgreSQL's lock waits are bounded by DATABASE_LOCK_TIMEOUT_MS, so
   * a request never waits as long as another session holds a row. Commands wait as long as the server lets
   * them: an operator runs them in a terminal and sees them wait.
   */
  serve = false,
): Promise<DatabaseHandle> {
  const handle = await openDatabase({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    lockTimeoutMs: serve ? config.DATABASE_LOCK_TIMEOUT_MS : undefined,
    namedStatements: config.DATABASE_NAMED_STATEMENTS === "on",
    onNamingOff: (off) => logger.warn(off, namingOffMessage(off)),
    dataDir: config.DATA_DIR,
    share: serve,
    // A job a command writes through the socket wakes this process's runners, as one written here does.
    sharedNotifications: {
      channels: [JOB_CHANNEL],
      onNotification: (channel) => {
        if (channel === JOB_CHANNEL) signalJobsWritten();
      },
    },
    onPermissionWarning: (message, details) => logger.warn(details, message),
    onModesTightened: (message, details) => logger.info(details, message),
  });
  if (serve && handle.kind === "pglite" && config.DATA_DIR !== "memory://")
    if (handle.socketPath)
      logger.info({ socket: handle.socketPath }, "commands share the database through this socket");
    else logger.warn("DATA_DIR's path is too long for a socket: commands on it refuse while serve runs");
  try {
    const applied = await migrateToLatest(handle.db);
    if (applied.length > 0) logger.info({ applied, database: handle.kind }, "migrations applied");
    // serve's start is where docs/configuration.md says this is told: every command repeated it on stderr.
    const maintenance = serve && handle.kind === "postgres" ? await autovacuumWarning(handle.db) : undefined;
    if (maintenance) logger.warn(maintenance);
    return handle;
  } catch (error) {
    // Closed before the error goes up: an embedded database's socket and lock would otherwise keep `serve`
    // running (and the data directory held) after it has said it cannot start.
    await closePreservingExitCode(handle);
    throw error;
  }
}

/** The warning when the pool stops naming statements (src/db/named-statements.ts): what happened, what to do. */
export function namingOffMessage(off: NamingOff): string {
  return off.reason === "pooler"
    ? "named statements turned off: a connection lost one or found another client's (SQLSTATE " +
        `${off.sqlstate}), which a pooler in transaction mode does; set DATABASE_NAMED_STATEMENTS=off to skip ` +
        "the statement this refused, or let the pooler keep them (PgBouncer 1.21 or later, max_prepared_statements)"
    : "named statements turned off: tables changed under them again and again; a restart names them afresh";
}

/** `tokenbill migrate`: applies pending migrations and says which. */
export async function migrateDatabase(config: Config, logger: Logger): Promise<string[]> {
  const handle = await openDatabase({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    dataDir: config.DATA_DIR,
    onPermissionWarning: (message, details) => logger.warn(details, message),
    onModesTightened: (message, details) => logger.info(details, message),
  });
  try {
    return await migrateToLatest(handle.db);
  } finally {
    await closePreservingExitCode(handle);
  }
}

/** A context for work that no HTTP request starts (CLI commands, jobs). */
export function systemContext(
  handle: Pick<DatabaseHandle, "db">,
  config: Config,
  logger: Logger,
  actor: Actor,
  solusio?: SolusioIntegration,
): ServiceContext {
  return { db: handle.db, config, logger, actor, now: () => new Date(), solusio };
}
