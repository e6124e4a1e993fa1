import {
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  sql,
  type UnknownRow,
} from "kysely";
import { databaseTraits, recordDatabaseTraits } from "../../src/db/database-traits.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import { isAsLoaded, type LoadedState, readState, restoreRows } from "./loaded-state.ts";

// An embedded test database is used again by the next test file of the same worker (files share a worker's
// modules: vitest.config.ts) instead of loading a new one from the migrated dump: loading took a median 2.0 s
// under the suite's load, 354 s of the `db` project's 652 worker-seconds (2026-12-05 20:44 UTC). Before it is
// handed out again, it is put back to the state it was loaded in and checked to be there (loaded-state.ts); an
// instance that is not (a test changed its schema, its roles, its migrations, or left it unusable) is closed.

/** Instances kept per worker: a file opens one or two. */
const KEEP = 2;

const idle: { handle: DatabaseHandle; state: LoadedState }[] = [];

/**
 * A database for one test file: one given back by an earlier file and put back to its loaded state, or else
 * `open()`'s. Its `db` stops working when the file closes it, as a closed database's would, so that nothing the
 * file left running can reach the next file's data.
 */
export async function reusableDatabase(open: () => Promise<DatabaseHandle>): Promise<DatabaseHandle> {
  const kept = idle.pop();
  const handle = kept?.handle ?? (await open());
  const state = kept?.state ?? (await readState(handle.db, "public"));
  let closed = false;
  const lease: KyselyPlugin = {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      if (closed) throw new Error("this test database was closed");
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return args.result;
    },
  };
  const db = handle.db.withPlugin(lease);
  // Another Kysely instance on the same driver: what the handle allows is the same (PGlite's session turns).
  recordDatabaseTraits(db, databaseTraits(handle.db));
  return {
    ...handle,
    db,
    close: async () => {
      if (closed) return;
      closed = true;
      if (idle.length < KEEP && (await putBack(handle, state))) idle.push({ handle, state });
      else await handle.close();
    },
  };
}

/** Puts a used instance back to its loaded state; false when it is not there afterwards, or cannot be. */
async function putBack({ db }: DatabaseHandle, state: LoadedState): Promise<boolean> {
  try {
    // A transaction a test left open ends here (outside one, ROLLBACK only warns).
    await sql`ROLLBACK`.execute(db);
    // The session's settings, prepared statements, temporary tables, LISTENs and advisory locks.
    await sql`DISCARD ALL`.execute(db);
    await restoreRows(db, state);
    // Counters a test may read (a vacuum's, a table's dead rows) start again from nothing, as when loaded.
    await sql`SELECT pg_stat_reset()`.execute(db);
    // The write-ahead log the file wrote is let go, so that an instance used many times stays its size.
    await sql`CHECKPOINT`.execute(db);
    return await isAsLoaded(db, state);
  } catch {
    return false;
  }
}
