import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { billingContext } from "../billing/testing/billing-fixtures.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { connectSolusio } from "../solusio/connect-solusio.ts";
import { integrate } from "../solusio/integration.ts";
import { type SilentSolusio, startSilentSolusio } from "../solusio/testing/silent-solusio.ts";
import { confirmBinding } from "./confirm-binding.ts";
import { startSchedules } from "./schedules.ts";
import { JOB_STOP_GRACE_MS } from "./server.ts";

// serve checks SolusIO's binding in the background at its start (confirmBinding), and a scheduled billing run
// checks it again before it reads usage: both wait on the one GET users. With SolusIO not answering, a stop
// left the run waiting until the job runner gave its job back at 8 s, and the call, cut short by the
// connection's close, was logged at error level as "SolusIO binding not confirmed" on every stop.

let handle: DatabaseHandle;
let silent: SilentSolusio;
beforeAll(async () => {
  handle = await createTestDatabase();
  silent = await startSilentSolusio();
});
afterAll(async () => {
  await silent?.close();
  await handle?.close();
});

interface Line {
  level: number;
  msg: string;
}

/** serve's stop grace (server.ts), ended early once the stop no longer needs it. */
function grace(): { over: Promise<void>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, JOB_STOP_GRACE_MS);
  });
  return { over, clear: () => clearTimeout(timer) };
}

describe("serve stopping while a scheduled billing run waits on SolusIO's binding check", () => {
  it("records the run's job as interrupted and logs no error", { timeout: 60_000 }, async () => {
    const lines: Line[] = [];
    let runStarting: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      runStarting = resolve;
    });
    const logger = pino(
      { level: "debug" },
      {
        write: (text: string) => {
          const line = JSON.parse(text) as Line;
          lines.push(line);
          // runBilling asks for the binding in the same turn as this line.
          if (line.msg === "scheduled billing run starting") runStarting();
        },
      },
    );
    const connection = connectSolusio(handle.db, logger, {
      apiUrl: silent.apiUrl,
      token: "token",
      tlsInsecure: false,
      timeoutMs: 60_000,
    });
    // As serve starts: the background check, then the schedules on the same connection.
    const serveStopping = new AbortController();
    const asked = silent.nextRequest();
    confirmBinding(handle.db, connection, logger, serveStopping.signal);
    expect(await asked).toBe("/api/v1/users");
    const schedules = startSchedules(
      {
        // Billing since October, so that October is due (billing-start.ts).
        ...billingContext(handle, { BILLING_START_PERIOD: "2026-10" }, new Date("2026-11-02T00:00:00Z")),
        logger,
        solusio: integrate(connection, parseConfig({ LOG_LEVEL: "silent" })),
      },
      ["billing"],
    );
    await started;

    // serve's stop, in its order (server.ts): the runners within their grace, then SolusIO's connections.
    serveStopping.abort();
    const stop = grace();
    await schedules.stop({ giveBackAfter: stop.over });
    stop.clear();
    await connection.close();

    expect(
      await handle.db.selectFrom("job").select(["kind", "status", "attempts", "last_error"]).execute(),
    ).toEqual([
      {
        kind: "billing.scheduled_run",
        status: "pending",
        attempts: 0,
        last_error: "interrupted: the process was stopping; the next attempt resumes where this one stopped",
      },
    ]);
    expect(await handle.db.selectFrom("billing_run").select("id").execute()).toEqual([]);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.filter((l) => l.msg.startsWith("SolusIO binding not confirmed"))).toEqual([
      expect.objectContaining({ level: 30, msg: expect.stringMatching(/before the stop/) }),
    ]);
    expect(lines.filter((l) => l.msg.startsWith("job given back"))).toEqual([]);
  });
});
