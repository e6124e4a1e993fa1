import { setImmediate as nextTurn } from "node:timers/promises";
import { startTestServer } from "../../test/helpers/test-server.ts";
import { emulatorWithLatency } from "./emulator-with-latency.ts";
import { startTokenbillStack } from "./tokenbill-stack.ts";

/**
 * At idle, one customer at a time: the time from `POST /api/v1/customers` (tokenbill's real HTTP server)
 * until the user exists in the emulator. The server is given no hook to wake the runner: the job's own
 * wake-up (NOTIFY on PostgreSQL, in-process on PGlite) has to bring it to the runner. Returns the times in ms.
 */
export async function pickupLatency(creations: number, latencyMs: number, warmup = 5): Promise<number[]> {
  // In this process, so that the new user is seen the moment it exists, without a request.
  const emulator = await emulatorWithLatency(latencyMs);
  const stack = await startTokenbillStack(1, emulator);
  const server = await startTestServer(stack.handle.db, {}, { solusio: stack.integration });
  await stack.runner.start();
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + creations; i++) {
      const email = `pickup${i}@example.com`;
      const started = performance.now();
      const answer = await server.api("POST", "/api/v1/customers", { email, country: "DE", currency: "EUR" });
      if (answer.status !== 201) throw new Error(`POST /api/v1/customers answered ${answer.status}`);
      // The user list only grows: the newest user is the one to look at.
      while (emulator.state.users.at(-1)?.email !== email) await nextTurn();
      if (i >= warmup) times.push(performance.now() - started);
    }
  } finally {
    await server.close();
    await stack.close();
    await emulator.close();
  }
  return times;
}

/** The nearest-rank percentile of `values` (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
