import type { Kysely } from "kysely";

/**
 * What a database handle allows at once, for work that spreads itself over connections (a billing run's
 * finalizing, src/billing/runs/finalize-all.ts). Recorded by open-database.ts for every pool it makes; a
 * handle it did not make (a transaction, a test's own) counts as one connection of an embedded database,
 * on which such work runs one step at a time.
 */
export interface DatabaseTraits {
  /** PostgreSQL's own server, where sessions can wait for each other's locks (advisory locks included). */
  server: boolean;
  /** The pool's most connections; PGlite has one session however reached. */
  connections: number;
}

const known = new WeakMap<Kysely<never>, DatabaseTraits>();

export function recordDatabaseTraits<D>(db: Kysely<D>, traits: DatabaseTraits): void {
  known.set(db as unknown as Kysely<never>, traits);
}

export function databaseTraits<D>(db: Kysely<D>): DatabaseTraits {
  return known.get(db as unknown as Kysely<never>) ?? { server: false, connections: 1 };
}
