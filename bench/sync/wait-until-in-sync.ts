import type { Kysely } from "kysely";
import type { Database } from "../../src/db/schema.ts";
import type { BenchSolusio } from "./emulator-with-latency.ts";

const tick = () => new Promise((r) => setTimeout(r, 20));

/**
 * Waits until `n` users exist in the emulator and every customer is in_sync. Counting the customers not yet
 * in_sync scans the table, a sizeable share of the thread that tokenbill and PGlite share when asked every
 * 20 ms from the start; a customer is in_sync only after its user exists, so the table is asked only at the end.
 */
export async function waitUntilInSync(
  solusio: Pick<BenchSolusio, "delivered">,
  db: Kysely<Database>,
  n: number,
) {
  while ((await solusio.delivered()) < n) await tick();
  for (;;) {
    const open = await db
      .selectFrom("customer")
      .select((eb) => eb.fn.countAll<bigint>().as("n"))
      .where("sync_state", "!=", "in_sync")
      .executeTakeFirstOrThrow();
    if (open.n === 0n) return;
    await tick();
  }
}

/** The in-process emulator seen through BenchSolusio's count (its state, no request). */
export function inProcessCount(emulator: {
  state: { users: { billingUserId: number | null; deletedAt: unknown }[] };
}): Pick<BenchSolusio, "delivered"> {
  return {
    delivered: async () =>
      emulator.state.users.filter((u) => u.billingUserId !== null && u.deletedAt === null).length,
  };
}
