import type { Kysely, Selectable } from "kysely";
import type { CustomerTable, Database } from "../../db/schema.ts";

/** What a sync job reads of its customer when it starts. */
export type SyncedCustomer = Pick<
  Selectable<CustomerTable>,
  "id" | "email" | "status" | "limit_group" | "solusio_user_id"
>;

type Waiter = { resolve(row: SyncedCustomer | undefined): void; reject(error: unknown): void };

/**
 * Reads customers for the sync jobs that start together in one statement. The runner starts a whole
 * claimed batch in one turn of the event loop, so the reads asked for in that turn are gathered until the
 * next (setImmediate) and answered by one `WHERE id IN (…)`: one statement per claim instead of one per job
 * on PGlite's single connection. Each job still reads its customer after it was claimed, as before.
 */
export function customerReader(db: Kysely<Database>): (id: bigint) => Promise<SyncedCustomer | undefined> {
  let waiting: Map<bigint, Waiter[]> | undefined;

  const readAll = async (batch: Map<bigint, Waiter[]>): Promise<void> => {
    try {
      const rows = await db
        .selectFrom("customer")
        .select(["id", "email", "status", "limit_group", "solusio_user_id"])
        .where("id", "in", [...batch.keys()])
        .execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const [id, waiters] of batch) for (const w of waiters) w.resolve(byId.get(id));
    } catch (error) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
    }
  };

  return (id) =>
    new Promise((resolve, reject) => {
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
}
