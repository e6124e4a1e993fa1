import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { BackgroundWork } from "../../kernel/background-work.ts";
import { connectSolusio, type SolusioConnection } from "../../solusio/connect-solusio.ts";
import { integrate } from "../../solusio/integration.ts";
import { type SilentSolusio, startSilentSolusio } from "../../solusio/testing/silent-solusio.ts";
import { billingContext } from "../testing/billing-fixtures.ts";
import { BillingInterrupted } from "./execute-billing-run.ts";
import { launchBillingRun } from "./launch-billing-run.ts";
import { runBilling } from "./run-billing.ts";

// A billing run checks that SolusIO is the database's own (GET users) before it reads usage. That check did
// not take the run's stop signal: with SolusIO not answering, a stopped run went on waiting for it until the
// connection's close cut the call short (in serve, after its job runner had given the job back at 8 s).

let handle: DatabaseHandle;
let silent: SilentSolusio;
/** Connections a case has not closed yet (it failed before its close). */
const open = new Set<SolusioConnection>();

beforeAll(async () => {
  handle = await createTestDatabase();
  silent = await startSilentSolusio();
});
afterAll(async () => {
  for (const connection of open) await connection.close();
  await silent?.close();
  await handle?.close();
});

/** A connection of its own per case: the binding check is shared per connection. */
function solusio() {
  const connection = connectSolusio(handle.db, pino({ level: "silent" }), {
    apiUrl: silent.apiUrl,
    token: "token",
    tlsInsecure: false,
    timeoutMs: 60_000,
  });
  open.add(connection);
  return integrate(connection, parseConfig({ LOG_LEVEL: "silent" }));
}

const context = () => billingContext(handle, {}, new Date("2026-11-02T00:00:00Z"));

function close(connection: SolusioConnection): Promise<void> {
  open.delete(connection);
  return connection.close();
}

async function bindingCalls() {
  return handle.db
    .selectFrom("solusio_call")
    .select(["path", "error"])
    .where("path", "=", "users")
    .orderBy("id", "desc")
    .limit(1)
    .execute();
}

describe("a billing run stopped while it checks SolusIO's binding", () => {
  it("ends interrupted at the stop, its GET users cancelled, and starts no run", async () => {
    const integration = solusio();
    const stopping = new AbortController();
    const asked = silent.nextRequest();
    const running = runBilling({
      ctx: { ...context(), solusio: integration },
      input: { period: "2026-10" },
      options: { signal: stopping.signal },
    }).catch((error: unknown) => error);
    expect(await asked).toBe("/api/v1/users");
    stopping.abort();
    // The close ends whatever still waits on SolusIO, after its grace: the run must have ended before that.
    const [outcome] = await Promise.all([running, close(integration.connection)]);
    expect(outcome).toBeInstanceOf(BillingInterrupted);
    expect(await bindingCalls()).toEqual([
      { path: "users", error: "GET users: cancelled, the process is stopping" },
    ]);
    expect(await handle.db.selectFrom("billing_run").select("id").execute()).toEqual([]);
  });

  it("started from the API, answers that the server is stopping instead of waiting for the check", async () => {
    const integration = solusio();
    const background = new BackgroundWork();
    const asked = silent.nextRequest();
    const launching = launchBillingRun({
      ctx: { ...context(), solusio: integration, signal: background.signal, background },
      input: { period: "2026-10" },
    }).catch((error: unknown) => error);
    await asked;
    await background.stop();
    const [outcome] = await Promise.all([launching, close(integration.connection)]);
    expect(outcome).toMatchObject({ message: expect.stringMatching(/cancelled, the process is stopping$/) });
    expect(await handle.db.selectFrom("billing_run").select("id").execute()).toEqual([]);
  });
});
