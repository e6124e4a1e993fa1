import type { Kysely } from "kysely";
import type { RunningEmulator } from "../../emulator/start.ts";
import type { Database } from "../../src/db/schema.ts";

/** Users in the emulator that billing created (carrying a billing_user_id) and that are not deleted. */
export function delivered(emulator: RunningEmulator): number {
  return emulator.state.users.filter((u) => u.billingUserId !== null && u.deletedAt === null).length;
}

const tick = () => new Promise((r) => setTimeout(r, 20));

/**
 * Waits until `n` users exist in the emulator and every customer is in_sync. Counting the customers not yet
 * in_sync scans the table: asked every 20 ms from the start, it took a sizeable share of the one thread that
 * tokenbill, PGlite and the emulator share. The emulator's own list costs nothing to look at, and a customer
 * is in_sync only after its user exists there, so the table is asked only at the end.
 */
export async function waitUntilInSync(emulator: RunningEmulator, db: Kysely<Database>, n: number) {
  while (delivered(emulator) < n) await tick();
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
