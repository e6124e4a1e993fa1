import { systemContext } from "../../src/app/database.ts";
import { actors } from "../../src/kernel/actor.ts";
import { createCustomer } from "../../src/services/customers/customers.ts";
import { type BenchSolusio, emulatorProcess } from "./emulator-with-latency.ts";
import { logger, startTokenbillStack, type TokenbillStack } from "./tokenbill-stack.ts";
import { waitUntilInSync } from "./wait-until-in-sync.ts";

export interface TokenbillRates {
  /** Users delivered per second by the job runner alone, the customers' jobs already queued. */
  deliverRate: number;
  /** Customers created and delivered per second, the runner working while they are created. */
  createAndDeliverRate: number;
  createSeconds: number;
}

/**
 * Two runs over fresh databases, each with N customers created by `concurrency` creators (as concurrent admin
 * requests would). Delivery alone: the customers are created while the runner is stopped, and the clock runs
 * from the runner's start until every customer is in_sync: the sync rate that the direct `POST users` rate
 * compares with. Creation and delivery together: the runner works from the start, sharing the process (and on
 * PGlite the one database connection) with the creators.
 */
export async function tokenbillRates(
  n: number,
  concurrency: number,
  latencyMs: number,
): Promise<TokenbillRates> {
  let solusio = await emulatorProcess(latencyMs);
  const queued = await startTokenbillStack(concurrency, solusio);
  await createCustomers(queued, n, concurrency);
  const deliverStarted = performance.now();
  await queued.runner.start();
  await waitUntilInSync(solusio, queued.handle.db, n);
  const deliverSeconds = (performance.now() - deliverStarted) / 1000;
  await closeChecked(queued, solusio, n);

  solusio = await emulatorProcess(latencyMs);
  const live = await startTokenbillStack(concurrency, solusio);
  await live.runner.start();
  const started = performance.now();
  await createCustomers(live, n, concurrency);
  const createSeconds = (performance.now() - started) / 1000;
  await waitUntilInSync(solusio, live.handle.db, n);
  const seconds = (performance.now() - started) / 1000;
  await closeChecked(live, solusio, n);
  return { deliverRate: n / deliverSeconds, createAndDeliverRate: n / seconds, createSeconds };
}

async function createCustomers(stack: TokenbillStack, n: number, concurrency: number): Promise<void> {
  const ctx = systemContext(stack.handle, stack.config, logger, actors.system("bench"), stack.integration);
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
}

async function closeChecked(stack: TokenbillStack, solusio: BenchSolusio, n: number): Promise<void> {
  const users = await solusio.delivered();
  await stack.close();
  await solusio.close();
  if (users !== n) throw new Error(`expected ${n} users in the emulator, found ${users}`);
}
