import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type pg from "pg";
import type { Logger } from "pino";
import { connectTimeoutMs } from "../db/database-outage.ts";
import { databaseTraits } from "../db/database-traits.ts";
import { TABLES_CHANNEL } from "../db/named-statements.ts";
import { APPLICATION_NAME } from "../db/application-name.ts";
import type { Database } from "../db/schema.ts";
import { within } from "../kernel/within.ts";

// How a runner learns that a job was written, so that it claims it at once instead of at its next poll
// (the poll stays, as the fallback for anything missed). Every enqueue does both of these:
//  - NOTIFY in the statement that writes the job. PostgreSQL delivers it when (and only if) the transaction
//    commits, to every session that LISTENs: the runners of every instance on the database.
//  - a signal to the runners of this process. On PGlite it is the only way (one in-process session), and it
//    is "after commit" by construction: the PGlite driver lends its single connection to one transaction at
//    a time, so the claim the signal starts queues behind the writing transaction and reads its commit.

export const JOB_CHANNEL = "tokenbill_job";

/**
 * The NOTIFY of a job write, for the RETURNING list of the statement that writes jobs. The payload is the
 * schema, so that tokenbills (or test files) sharing a database in different schemas wake only their own.
 */
export const notifyJobWritten = sql<null>`pg_notify(${sql.lit(JOB_CHANNEL)}, current_schema())`;

/**
 * The listener's check of itself: once connected it sends a notice on this channel through the pool and
 * expects to hear it. It does not when its LISTEN was lost to a pooler in transaction mode, or when
 * DATABASE_LISTEN_URL reaches another database; the runner would then wait for its poll, so that is logged.
 */
const PROBE_CHANNEL = "tokenbill_listener_probe";

/** Where a runner hears of new jobs; it subscribes when it starts and unsubscribes when it stops. */
export interface JobWakeups {
  /** Resolves once `wake` will be called for jobs written from now on. */
  subscribe(wake: () => void): Promise<() => Promise<void>>;
}

const localListeners = new Set<() => void>();

/** Tells this process's runners that jobs were written (enqueue calls it after its statement). */
export function signalJobsWritten(): void {
  for (const wake of localListeners) wake();
}

/** Wake-ups from enqueues in this process: enough for PGlite, which no other process writes to. */
export const localWakeups: JobWakeups = {
  async subscribe(wake) {
    localListeners.add(wake);
    return async () => {
      localListeners.delete(wake);
    };
  },
};

/** The wake-ups `serve` uses: LISTEN on PostgreSQL (the database's `url`), this process's signal on PGlite. */
export function wakeupsFor(url: string | undefined, db: Kysely<Database>, logger: Logger): JobWakeups {
  if (!url) return localWakeups;
  const statements = databaseTraits(db).namedStatements;
  return postgresWakeups({
    url,
    db,
    logger,
    ...(statements ? { onTablesChanged: () => statements.tablesChanged() } : {}),
  });
}

export interface PostgresWakeupsOptions {
  /** The database's URL: the listener holds a connection of its own (a pooled one would drop LISTEN). */
  url: string;
  /** The pool the runner uses, asked for its schema (the NOTIFY payload this runner answers to). */
  db: Kysely<Database>;
  logger: Logger;
  /** First wait before reconnecting a lost listener, doubled up to 30 s. */
  reconnectMs?: number;
  /** How often the listener checks that its connection still answers (30 s). */
  checkEveryMs?: number;
  /** How long a check may wait for its answer before the connection counts as lost (10 s). */
  answerWithinMs?: number;
  /**
   * Called when a migration of the pool's schema commits (named-statements.ts, TABLES_CHANNEL), by whichever
   * process: the listener is the one connection that hears it.
   */
  onTablesChanged?: () => void;
  /** How long the listener waits to hear its own probe, sent through the pool, before it warns (5 s). */
  probeWithinMs?: number;
}

/**
 * LISTEN on a dedicated connection: jobs written by any instance wake this runner once committed. A lost
 * connection is reopened with backoff; the runner polls meanwhile and is woken once on reconnecting, for
 * whatever was written while nobody listened.
 *
 * A listening connection sends nothing of its own, so a connection that died silently (the database's host
 * crashed or rebooted, a firewall or NAT forgot an idle connection) would never say so: the runner would
 * fall back to its poll for good, with nothing in the log. So the listener asks its connection for an answer
 * every `checkEveryMs` (which also keeps such middleboxes from forgetting it), and one that does not answer
 * within `answerWithinMs` is dropped and reopened like one that was reset.
 */
export function postgresWakeups(options: PostgresWakeupsOptions): JobWakeups {
  const checkEveryMs = options.checkEveryMs ?? 30_000;
  const answerWithinMs = options.answerWithinMs ?? 10_000;
  return {
    async subscribe(wake) {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(options.db);
      const schema = rows[0]?.schema ?? "public";
      const probeWithinMs = options.probeWithinMs ?? 5_000;
      let probe: { payload: string; timer: NodeJS.Timeout } | undefined;
      let deafTold = false;
      const firstDelay = options.reconnectMs ?? 1_000;
      let client: pg.Client | undefined;
      let closed = false;
      let delay = firstDelay;
      let retry: NodeJS.Timeout | undefined;
      let lostAt: number | undefined;

      const connect = async (): Promise<void> => {
        // Loaded here, not with the module: every verb that enqueues a job imports this file, and a CLI
        // command's --help (or a mistake on its line) then loaded node-postgres for nothing.
        const { default: postgres } = await import("pg");
        const next = new postgres.Client({
          connectionString: options.url,
          // A database that does not answer fails the attempt (and it is retried) instead of holding it.
          connectionTimeoutMillis: connectTimeoutMs(options.url),
          fallback_application_name: `${APPLICATION_NAME} job listener`,
        });
        next.on("notification", (message) => {
          if (message.channel === PROBE_CHANNEL) {
            if (probe && message.payload === probe.payload) {
              clearTimeout(probe.timer);
              // The quiet outcome of the check, said at debug level so that it can be seen (and waited for).
              options.logger.debug("the job listener hears notices sent through the database pool");
            }
            return;
          }
          if (message.payload !== schema) return;
          if (message.channel === JOB_CHANNEL) wake();
          else if (message.channel === TABLES_CHANNEL) options.onTablesChanged?.();
        });
        next.on("error", (error) => lost(next, error));
        next.on("end", () => lost(next, new Error("connection ended")));
        try {
          await next.connect();
          await next.query(`LISTEN ${JOB_CHANNEL}; LISTEN ${TABLES_CHANNEL}; LISTEN ${PROBE_CHANNEL}`);
        } catch (error) {
          drop(next);
          throw error;
        }
        if (closed) {
          await next.end().catch(() => {});
          return;
        }
        client = next;
        delay = firstDelay;
        sendProbe();
        if (lostAt !== undefined) {
          options.logger.info({ lostForMs: Date.now() - lostAt }, "job listener reconnected");
          lostAt = undefined;
        }
      };

      /** Sends the listener's probe through the pool; a probe not heard within probeWithinMs is told of, once. */
      const sendProbe = () => {
        if (deafTold) return;
        if (probe) clearTimeout(probe.timer);
        const payload = `${schema}:${randomBytes(6).toString("hex")}`;
        const timer = setTimeout(() => {
          deafTold = true;
          options.logger.warn(
            { waitedMs: probeWithinMs },
            "the job listener does not hear notices sent through the database pool, so jobs wait for the runner's poll: behind a pooler in transaction mode, set DATABASE_LISTEN_URL to reach the database directly; if it is set, check that it reaches the same database as DATABASE_URL",
          );
        }, probeWithinMs);
        timer.unref();
        probe = { payload, timer };
        // A pool that cannot send it (the database went away) teaches nothing about the listener.
        sql`select pg_notify(${PROBE_CHANNEL}, ${payload})`
          .execute(options.db)
          .catch(() => clearTimeout(timer));
      };

      const lost = (which: pg.Client, error: Error) => {
        if (closed || which !== client) return;
        client = undefined;
        lostAt = Date.now();
        drop(which);
        options.logger.warn(
          { err: error, retryInMs: delay },
          "job listener lost its connection; polling meanwhile",
        );
        reconnectLater();
      };

      const reconnectLater = () => {
        retry = setTimeout(() => {
          retry = undefined;
          connect().then(wake, (error: unknown) => {
            options.logger.warn({ err: error, retryInMs: delay }, "job listener could not reconnect");
            delay = Math.min(30_000, delay * 2);
            if (!closed) reconnectLater();
          });
        }, delay);
        retry.unref();
      };

      let checking = false;
      const check = setInterval(() => {
        const which = client;
        if (!which || checking) return;
        checking = true;
        answersWithin(which, answerWithinMs)
          .catch((error: Error) => lost(which, error))
          .finally(() => {
            checking = false;
          });
      }, checkEveryMs);
      check.unref();

      try {
        await connect();
      } catch (error) {
        clearInterval(check);
        throw error;
      }
      return async () => {
        closed = true;
        clearInterval(check);
        if (probe) clearTimeout(probe.timer);
        if (retry) clearTimeout(retry);
        const last = client;
        client = undefined;
        await last?.end().catch(() => {});
      };
    },
  };
}

/** Resolves once `client` answers a trivial statement; rejects when it fails or takes longer than `ms`. */
async function answersWithin(client: pg.Client, ms: number): Promise<void> {
  if (!(await within(client.query("SELECT 1"), ms)).settled) throw new Error(`no answer within ${ms} ms`);
}

/**
 * Closes a connection at once, whatever state it is in. `end()` says goodbye to the server and waits for the
 * socket to close, which on a silent connection may take until the operating system gives up.
 */
function drop(client: pg.Client): void {
  client.connection.stream.destroy();
}
