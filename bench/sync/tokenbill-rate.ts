import { systemContext } from "../../src/app/server.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createCustomer } from "../../src/services/customers/customers.ts";
import type { RunningEmulator } from "../../emulator/start.ts";
import { logger, startTokenbillStack } from "./tokenbill-stack.ts";

/**
 * N customers created in tokenbill by `concurrency` creators (as concurrent admin requests would) and
 * delivered to the emulator by the job runner; the clock stops when every customer is in_sync.
 */
export async function tokenbillRate(
  n: number,
  concurrency: number,
  latencyMs: number,
): Promise<{ rate: number; createSeconds: number }> {
  const stack = await startTokenbillStack(concurrency, latencyMs);
  const { handle, emulator, runner } = stack;
  const ctx = systemContext(handle, stack.config, logger, actors.system("bench"), stack.integration);
  await runner.start();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await createCustomer({
          ctx,
          input: { email: `bench${i}@example.com`, country: "DE", currency: "EUR" },
        });
      }
    }),
  );
  const createSeconds = (performance.now() - started) / 1000;
  // Counting the customers not yet in_sync scans the table: asked every 20 ms from the start, it took a
  // sizeable share of the one thread that tokenbill, PGlite and the emulator share. The emulator's own list
  // costs nothing to look at, and a customer is in_sync only after its user exists there.
  while (delivered(emulator) < n) await new Promise((r) => setTimeout(r, 20));
  for (;;) {
    const open = await handle.db
      .selectFrom("customer")
      .select((eb) => eb.fn.countAll<bigint>().as("n"))
      .where("sync_state", "!=", "in_sync")
      .executeTakeFirstOrThrow();
    if (open.n === 0n) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  const users = delivered(emulator);
  await stack.close();
  if (users !== n) throw new Error(`expected ${n} users in the emulator, found ${users}`);
  return { rate: n / seconds, createSeconds };
}

/** Users in the emulator that billing created (carrying a billing_user_id) and that are not deleted. */
function delivered(emulator: RunningEmulator): number {
  return emulator.state.users.filter((u) => u.billingUserId !== null && u.deletedAt === null).length;
}
