import { pino } from "pino";
import type { RunningEmulator } from "../../../emulator/start.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { connectSolusio } from "../../solusio/connect-solusio.ts";
import { integrate, type SolusioIntegration } from "../../solusio/integration.ts";

/**
 * tokenbill's SolusIO integration pointed at an emulator, as `serve` builds it (client with retries, call
 * log into this database): billing reads SolusIO only through ctx.solusio. Close it with
 * `integration.connection.close()`.
 */
export function emulatorIntegration(handle: DatabaseHandle, em: RunningEmulator): SolusioIntegration {
  const connection = connectSolusio(handle.db, pino({ level: "silent" }), {
    apiUrl: em.apiUrl,
    token: em.adminToken,
    userAreaUrl: em.url,
    tlsInsecure: false,
    timeoutMs: 5000,
  });
  return integrate(connection, parseConfig({ LOG_LEVEL: "silent" }));
}
