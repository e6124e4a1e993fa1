import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../../emulator/start.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import { customerInput } from "../../../test/helpers/service-test.ts";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { connectSolusio, type SolusioConnection } from "../../solusio/connect-solusio.ts";
import { INTERACTIVE_TIMEOUT_MS } from "../../solusio/solusio-api.ts";
import { integrate } from "../../solusio/integration.ts";
import { parseConfig } from "../../config.ts";
import { createCustomer } from "../customers/customers.ts";
import { solusioHealth } from "../setup/solusio-console.ts";
import { portalCostEstimate } from "./portal-cost-estimate.ts";

// Pages a person waits for ask SolusIO with a deadline of a few seconds and no retries (SolusioApi.interactive):
// with SolusIO slow, the portal's estimate and the console's SolusIO line say "not available" in seconds,
// instead of waiting out the client's retry budget (37 s and 38 s measured with a 5 s timeout; over a
// minute at the production SOLUSIO_TIMEOUT_MS), past a reverse proxy's timeout. Shown without a clock (a
// loaded machine took 7.5 s around a 3 s deadline): SolusIO answers in SLOW_MS, which the production
// client's 10 s waits out, so "not available" means the page's deadline ended the one attempt, and the
// emulator saw no other.

let handle: DatabaseHandle;
let emulator: RunningEmulator;
let connection: SolusioConnection;
const SLOW_MS = INTERACTIVE_TIMEOUT_MS + 2_000;

beforeAll(async () => {
  handle = await createTestDatabase();
  emulator = await startEmulator({ port: 0, logger: false });
  // The production setting: 10 s an attempt, 5 retries.
  connection = connectSolusio(handle.db, pino({ level: "silent" }), {
    apiUrl: emulator.apiUrl,
    token: emulator.adminToken,
    tlsInsecure: false,
    timeoutMs: 10_000,
  });
});
afterAll(async () => {
  await connection?.close();
  await emulator?.close();
  await handle?.close();
});

const faults = (method: string, rules?: unknown[]) =>
  fetch(`${emulator.url}/_emulator/faults`, {
    method,
    headers: { authorization: `Bearer ${emulator.adminToken}`, "content-type": "application/json" },
    ...(rules ? { body: JSON.stringify({ rules }) } : {}),
  });

async function slowSolusio(path: string) {
  expect((await faults("POST", [{ path, latency_ms: SLOW_MS }])).status).toBe(200);
}

/** How many requests reached the slow path: the attempts the page made. */
async function attempts(): Promise<number> {
  const [rule] = (await (await faults("GET")).json()).data as { matched: number }[];
  return rule!.matched;
}

describe("page-time SolusIO calls", () => {
  it("the console's SolusIO line says SolusIO is not reachable within the page deadline", async () => {
    await slowSolusio("/api/v1/account");
    const health = await withRollback(handle.db, (ctx) =>
      solusioHealth({ ctx: { ...ctx, solusio: integrate(connection, ctx.config) }, input: {} }),
    );
    expect(health).toMatchObject({ configured: true, reachable: false });
    expect(health.problem).toMatch(/timeout/);
    expect(await attempts()).toBe(1);
  }, 30_000);

  it("the portal's month-to-date estimate is not available within the page deadline", async () => {
    await slowSolusio("/api/v1/usage*");
    const estimate = await withRollback(handle.db, async (ctx) => {
      const customer = await createCustomer({
        ctx,
        input: customerInput({ email: "page-time@example.com", name: "Page" }),
      });
      const config = parseConfig({ LOG_LEVEL: "silent", USAGE_SOURCE: "solusio" });
      return portalCostEstimate({
        ctx: {
          ...ctx,
          config,
          solusio: integrate(connection, config),
          actor: actors.customer(BigInt(customer.id)),
          now: () => new Date(),
        },
        input: {},
      });
    });
    expect(estimate.available).toBe(false);
    expect(await attempts()).toBe(1);
  }, 30_000);
});
