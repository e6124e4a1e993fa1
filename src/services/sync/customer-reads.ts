import type { Kysely, Selectable } from "kysely";
import type { CustomerTable, Database } from "../../db/schema.ts";

/** What a sync job reads of its customer when it starts. */
export type SyncedCustomer = Pick<
  Selectable<CustomerTable>,
  "id" | "email" | "status" | "limit_group" | "solusio_user_id" | "sync_error"
>;

type Waiter = { resolve(row: SyncedCustomer | undefined): void; reject(error: unknown): void };

const FAILED = Symbol("read ahead failed");

/** A read ahead that no job took within this long (its job was given back at a stop) is dropped. */
const READ_AHEAD_KEPT_MS = 60_000;

export interface CustomerReader {
  /** The customer as it is now (read at or after the job's claim), or undefined when it is gone. */
  read(id: bigint): Promise<SyncedCustomer | undefined>;
  /** Reads these customers in one statement for jobs claimed together; each job's `read` takes its row once. */
  readAhead(ids: readonly bigint[]): void;
}

/**
 * Reads customers for sync jobs with as few statements as the runner allows. The runner claims several jobs
 * at once and tells the handler (readAhead): their customers are read then, by one `WHERE id IN (…)`. A read
 * that finds none waiting is gathered with the others asked for in the same turn of the event loop
 * (setImmediate) and answered by one statement too. Either way the row is read after the job was claimed,
 * and a change made since has a job of its own, queued behind this one, that syncs it.
 */
export function customerReader(db: Kysely<Database>): CustomerReader {
  let waiting: Map<bigint, Waiter[]> | undefined;
  const ahead = new Map<bigint, { row: Promise<SyncedCustomer | undefined | typeof FAILED>; at: number }>();

  const select = async (ids: readonly bigint[]) => {
    const rows = await db
      .selectFrom("customer")
      .select(["id", "email", "status", "limit_group", "solusio_user_id", "sync_error"])
      .where("id", "in", ids)
      .execute();
    return new Map(rows.map((r) => [r.id, r]));
  };

  const readAll = async (batch: Map<bigint, Waiter[]>): Promise<void> => {
    try {
      const byId = await select([...batch.keys()]);
      for (const [id, waiters] of batch) for (const w of waiters) w.resolve(byId.get(id));
    } catch (error) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
    }
  };

  const readAhead = (ids: readonly bigint[]) => {
    const now = Date.now();
    for (const [id, entry] of ahead) if (now - entry.at > READ_AHEAD_KEPT_MS) ahead.delete(id);
    if (ids.length === 0) return;
    // A failed read ahead is not an error of its own (nothing may reject unhandled): each job then reads
    // again when it starts.
    const rows = select(ids).catch((): typeof FAILED => FAILED);
    for (const id of ids)
      ahead.set(id, {
        row: rows.then((byId) => (typeof byId === "symbol" ? FAILED : byId.get(id))),
        at: now,
      });
  };

  const read = (id: bigint): Promise<SyncedCustomer | undefined> => {
    const early = ahead.get(id);
    if (early) {
      ahead.delete(id);
      return early.row.then((row) => (row === FAILED ? read(id) : row));
    }
    return new Promise((resolve, reject) => {
      if (!waiting) {
        const batch = new Map<bigint, Waiter[]>();
        waiting = batch;
        setImmediate(() => {
          waiting = undefined;
          void readAll(batch);
        });
      }
      const waiters = waiting.get(id) ?? [];
      waiters.push({ resolve, reject });
      waiting.set(id, waiters);
    });
  };

  return { read, readAhead };
}
