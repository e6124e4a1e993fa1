import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { SolusioError } from "../../solusio/solusio-error.ts";
import { startSandbox } from "./start-sandbox.ts";

// The sandbox's SolusIO client takes SOLUSIO_TIMEOUT_MS like any other (until 2026-12-04 it had 5 s
// written in), so that trying a timeout out in the sandbox shows what production does.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

it("gives up on an attempt after SOLUSIO_TIMEOUT_MS", async () => {
  const config = parseConfig({
    DATA_DIR: "memory://",
    SANDBOX_EMULATOR_PORT: 0,
    LOG_LEVEL: "silent",
    SOLUSIO_TIMEOUT_MS: 300,
  });
  const sandbox = await startSandbox(config, handle.db, pino({ level: "silent" }));
  try {
    const set = await fetch(`${sandbox.emulator.url}/_emulator/faults`, {
      method: "POST",
      headers: { authorization: `Bearer ${sandbox.emulator.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ path: "/api/v1/account", latency_ms: 1_500 }),
    });
    expect(set.status).toBe(200);
    const started = performance.now();
    const error = await sandbox.integration.connection.api.client.call("GET", "account", { retries: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SolusioError);
    expect((error as SolusioError).message).toMatch(/timeout of 300 ms/);
    expect(performance.now() - started).toBeLessThan(1_200);
  } finally {
    await sandbox.close();
  }
});
