import type { BackgroundWork } from "./background-work.ts";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { BackupStream } from "../db/backup-spool.ts";
import type { Database } from "../db/schema.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import type { Actor } from "./actor.ts";
import type { IdempotencyRequest } from "./idempotency.ts";

/** What every service verb receives: who acts, on which database, at what time. Built by each adapter. */
export interface ServiceContext {
  db: Kysely<Database>;
  config: Config;
  logger: Logger;
  /** Who acts (services/actor.ts); the audit log records its label. */
  actor: Actor;
  requestId?: string | undefined;
  now: () => Date;
  /** Absent when no SolusIO is configured and the sandbox is off. */
  solusio?: SolusioIntegration | undefined;
  /** Aborted when the process is stopping: long work (a billing run) stops at its next safe point. */
  signal?: AbortSignal | undefined;
  /** Where work the caller does not wait for is kept, to be stopped and awaited at close (a request's). */
  background?: BackgroundWork | undefined;
  /**
   * A backup of the embedded database this process holds (open-database.ts); absent on PostgreSQL and where
   * the database is reached through serve's socket. `signal` stops it while it is being made.
   */
  backup?: ((signal?: AbortSignal) => Promise<BackupStream>) | undefined;
  /** The request's Idempotency-Key, read by the verbs that honour one (credit notes, refunds). */
  idempotency?: IdempotencyRequest | undefined;
  /**
   * True on an instance a newer version has migrated the database under (src/http/newer-schema-refusal.ts):
   * the request was let through as a read, so what a read writes by the way (a session's idle clock) is not
   * written either.
   */
  readOnly?: boolean | undefined;
}

/** The database handle verbs work on: the pool, or an open transaction (transaction.ts). */
export type Db = Kysely<Database>;
export type Tx = Db;

export interface VerbArgs<I> {
  ctx: ServiceContext;
  input: I;
}
