import type { Logger } from "pino";
import { migratedByNewerVersion, newerMigrations } from "../db/migrate.ts";
import type { Db } from "../kernel/context.ts";
import { type Clock, startClock } from "../jobs/schedule-clock.ts";

// serve checks the migrations once, at its start (migrate.ts refuses a database a newer version migrated). An
// instance left running through an upgrade would go on writing to a schema it does not know, so it asks again
// on a clock (one read of the short migration table; no request pays for it), and once a newer version has
// migrated it says so once, stops its background work and answers /readyz 503 (docs/operations.md).

/** How often a running serve looks for migrations it does not know: the bound on how long it goes on. */
export const SCHEMA_CHECK_MS = 30_000;

export interface NewerSchemaWatch {
  /** The migrations this version does not know, once one has been seen; undefined until then. */
  newer(): readonly string[] | undefined;
  /** One check now, as the clock makes them. */
  check(): Promise<void>;
  stop(): Promise<void>;
}

export function startNewerSchemaWatch(options: {
  db: Db;
  logger: Logger;
  now: () => Date;
  /** Called once, when the first unknown migration is seen: stop what writes in the background. */
  onNewer: (newer: readonly string[]) => Promise<void>;
  intervalMs?: number;
}): NewerSchemaWatch {
  const { db, logger, now } = options;
  const interval = options.intervalMs ?? SCHEMA_CHECK_MS;
  let seen: readonly string[] | undefined;
  let clock: Clock | undefined;
  const check = async () => {
    if (seen) return;
    // A database that cannot be read now fails this check (the clock logs it at warn) and is asked again.
    const newer = await newerMigrations(db);
    if (seen || newer.length === 0) return;
    seen = Object.freeze(newer);
    logger.error(
      { migrations: newer },
      `${migratedByNewerVersion(newer)}. This instance stops its job runner, schedules and housekeeping, and ` +
        'answers /readyz 503: stop it and start the newer version (docs/operations.md, "Starting and upgrading")',
    );
    await options.onNewer(seen);
    void clock?.stop();
  };
  clock = startClock({
    name: "schema check",
    logger,
    now,
    first: new Date(now().getTime() + interval),
    next: (at) => new Date(at.getTime() + interval),
    fire: check,
  });
  return { newer: () => seen, check, stop: () => clock.stop() };
}
