import { pino } from "pino";
import type { RunningEmulator } from "../../emulator/start.ts";
import { createJobRunner } from "../../src/app/runner.ts";
import { parseConfig } from "../../src/config.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import type { JobRunner } from "../../src/jobs/job-runner.ts";
import { localWakeups, postgresWakeups } from "../../src/jobs/job-wakeups.ts";
import { connectSolusio, type SolusioConnection } from "../../src/solusio/connect-solusio.ts";
import { integrate, type SolusioIntegration } from "../../src/solusio/integration.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { emulatorWithLatency } from "./emulator-with-latency.ts";

export const logger = pino({ level: "silent" });

export interface TokenbillStack {
  handle: DatabaseHandle;
  emulator: RunningEmulator;
  integration: SolusioIntegration;
  config: ReturnType<typeof parseConfig>;
  runner: JobRunner;
  close(): Promise<void>;
}

/**
 * tokenbill's job runner as `serve` wires it (default poll, wake-ups by LISTEN on PostgreSQL or in-process on
 * PGlite) over a fresh database, delivering to an emulator with `latencyMs` on every call.
 */
export async function startTokenbillStack(concurrency: number, latencyMs: number): Promise<TokenbillStack> {
  const emulator = await emulatorWithLatency(latencyMs);
  const handle = await createTestDatabase();
  const config = parseConfig({
    JOB_CONCURRENCY: concurrency,
    SOLUSIO_DEFAULT_LIMIT_GROUP: "",
    SOLUSIO_LIMIT_GROUPS: "[]",
  });
  const connection: SolusioConnection = connectSolusio(handle.db, logger, {
    apiUrl: emulator.apiUrl,
    token: emulator.adminToken,
    tlsInsecure: false,
    timeoutMs: 10_000,
  });
  const integration = integrate(connection, config);
  const url = process.env["DATABASE_URL"];
  const wakeups = url ? postgresWakeups({ url, db: handle.db, logger }) : localWakeups;
  const runner = createJobRunner(handle.db, config, logger, integration, { wakeups });
  return {
    handle,
    emulator,
    integration,
    config,
    runner,
    close: async () => {
      await runner.stop();
      await connection.close();
      await emulator.close();
      await handle.close();
    },
  };
}
