import { type Kysely, sql } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";

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
  return url ? postgresWakeups({ url, db, logger }) : localWakeups;
}

export interface PostgresWakeupsOptions {
  /** The database's URL: the listener holds a connection of its own (a pooled one would drop LISTEN). */
  url: string;
  /** The pool the runner uses, asked for its schema (the NOTIFY payload this runner answers to). */
  db: Kysely<Database>;
  logger: Logger;
  /** First wait before reconnecting a lost listener, doubled up to 30 s. */
  reconnectMs?: number;
}

/**
 * LISTEN on a dedicated connection: jobs written by any instance wake this runner once committed. A lost
 * connection is reopened with backoff; the runner polls meanwhile and is woken once on reconnecting, for
 * whatever was written while nobody listened.
 */
export function postgresWakeups(options: PostgresWakeupsOptions): JobWakeups {
  return {
    async subscribe(wake) {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(options.db);
      const schema = rows[0]?.schema ?? "public";
      const firstDelay = options.reconnectMs ?? 1_000;
      let client: pg.Client | undefined;
      let closed = false;
      let delay = firstDelay;
      let retry: NodeJS.Timeout | undefined;

      const connect = async (): Promise<void> => {
        const next = new pg.Client({ connectionString: options.url });
        next.on("notification", (message) => {
          if (message.channel === JOB_CHANNEL && message.payload === schema) wake();
        });
        next.on("error", (error) => lost(next, error));
        next.on("end", () => lost(next, new Error("connection ended")));
        await next.connect();
        await next.query(`LISTEN ${JOB_CHANNEL}`);
        if (closed) {
          await next.end().catch(() => {});
          return;
        }
        client = next;
        delay = firstDelay;
      };

      const lost = (which: pg.Client, error: Error) => {
        if (closed || which !== client) return;
        client = undefined;
        which.end().catch(() => {});
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

      await connect();
      return async () => {
        closed = true;
        if (retry) clearTimeout(retry);
        const last = client;
        client = undefined;
        await last?.end().catch(() => {});
      };
    },
  };
}
