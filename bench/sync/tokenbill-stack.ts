import { pino } from "pino";
import { createJobRunner } from "../../src/app/runner.ts";
import { parseConfig } from "../../src/config.ts";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import type { JobRunner } from "../../src/jobs/job-runner.ts";
import { wakeupsFor } from "../../src/jobs/job-wakeups.ts";
import { connectSolusio, type SolusioConnection } from "../../src/solusio/connect-solusio.ts";
import { integrate, type SolusioIntegration } from "../../src/solusio/integration.ts";
import { createTestDatabase, urlOfDatabase } from "../../test/helpers/test-database.ts";

export const logger = pino({ level: "silent" });

export interface TokenbillStack {
  handle: DatabaseHandle;
  integration: SolusioIntegration;
  config: ReturnType<typeof parseConfig>;
  runner: JobRunner;
  /** Stops the runner and closes the database; the SolusIO it delivers to is the caller's to close. */
  close(): Promise<void>;
}

/**
 * tokenbill's job runner as `serve` wires it (default poll, wake-ups by LISTEN on PostgreSQL or in-process on
 * PGlite) over a fresh database, delivering to the emulator at `solusio`.
 */
export async function startTokenbillStack(
  concurrency: number,
  solusio: { apiUrl: string; adminToken: string },
): Promise<TokenbillStack> {
  const handle = await createTestDatabase();
  const config = parseConfig({
    JOB_CONCURRENCY: concurrency,
    SOLUSIO_DEFAULT_LIMIT_GROUP: "",
    SOLUSIO_LIMIT_GROUPS: "[]",
  });
  const connection: SolusioConnection = connectSolusio(handle.db, logger, {
    apiUrl: solusio.apiUrl,
    token: solusio.adminToken,
    tlsInsecure: false,
    timeoutMs: 10_000,
  });
  const integration = integrate(connection, config);
  // As serve's runner hears of jobs (src/app/runner.ts): DATABASE_LISTEN_URL when set, else DATABASE_URL;
  // under database isolation (test-database.ts), those naming the database made for the bench.
  const listen = process.env["DATABASE_LISTEN_URL"] || process.env["DATABASE_URL"];
  const url = listen && handle.own ? urlOfDatabase(listen, handle.own.name) : listen;
  const wakeups = wakeupsFor(url, handle.db, logger);
  const runner = createJobRunner(handle.db, config, logger, integration, { wakeups });
  return {
    handle,
    integration,
    config,
    runner,
    close: async () => {
      await runner.stop();
      await connection.close();
      await handle.close();
    },
  };
}
