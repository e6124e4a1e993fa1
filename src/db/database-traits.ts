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
  /** PostgreSQL with named statements (named-statements.ts): whether the pool still names them, and their generation. */
  namedStatements?: { readonly naming: boolean; readonly generation: number; tablesChanged(): void };
  /** PGlite's one session, taken in turns (give-way.ts): how many turns wait for it now. */
  turns?: { waiting(): number };
}

// Keyed by the Kysely instance itself: a transaction is another instance, so it is not found here.
const known = new WeakMap<object, DatabaseTraits>();

export function recordDatabaseTraits(db: object, traits: DatabaseTraits): void {
  known.set(db, traits);
}

/** `db`: a Kysely instance. */
export function databaseTraits(db: object): DatabaseTraits {
  return known.get(db) ?? { server: false, connections: 1 };
}
