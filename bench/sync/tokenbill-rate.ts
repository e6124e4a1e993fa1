import { systemContext } from "../../src/app/server.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createCustomer } from "../../src/services/customers/customers.ts";
import { logger, startTokenbillStack } from "./tokenbill-stack.ts";
import { delivered, waitUntilInSync } from "./wait-until-in-sync.ts";

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
  await waitUntilInSync(emulator, handle.db, n);
  const seconds = (performance.now() - started) / 1000;
  const users = delivered(emulator);
  await stack.close();
  if (users !== n) throw new Error(`expected ${n} users in the emulator, found ${users}`);
  return { rate: n / seconds, createSeconds };
}
