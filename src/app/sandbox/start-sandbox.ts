import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { type RunningEmulator, startEmulator } from "../../../emulator/start.ts";
import type { Config } from "../../config.ts";
import { ensurePrivateDir, ensurePrivateFile, type PermissionWarning } from "../../db/data-dir-lock.ts";
import type { Database } from "../../db/schema.ts";
import { connectSolusio } from "../../solusio/connect-solusio.ts";
import { integrate, type SolusioIntegration } from "../../solusio/integration.ts";
import { writeSandboxAddress } from "./sandbox-address.ts";

// Sandbox mode: with no SolusIO configured, the README's one start command also runs the SolusIO emulator
// in-process, so a newcomer sees every step of the integration work on one machine.

/** SolusIO gives a plan's RAM in bytes (solusio-api.md §5). */
const GIB = 1024 ** 3;

/** The seed's example plans (seed step 2), as a fresh sandbox SolusIO has them. Prices come from setup. */
export const SANDBOX_PLANS = [
  { name: "1 Core, 1 GB RAM", params: { vcpu: 1, ram: 1 * GIB, disk: 20 }, tph: 7, tpm: 5000 },
  { name: "1 Core, 2 GB RAM", params: { vcpu: 1, ram: 2 * GIB, disk: 30 }, tph: 14, tpm: 10000 },
  { name: "2 Cores, 2 GB RAM", params: { vcpu: 2, ram: 2 * GIB, disk: 40 }, tph: 21, tpm: 15000 },
  { name: "2 Cores, 4 GB RAM", params: { vcpu: 2, ram: 4 * GIB, disk: 60 }, tph: 28, tpm: 20000 },
] as const;

export interface Sandbox {
  emulator: RunningEmulator;
  integration: SolusioIntegration;
  close(): Promise<void>;
}

async function listenEmulator(config: Config, logger: Logger): Promise<RunningEmulator> {
  const stateFile =
    config.DATA_DIR === "memory://" ? undefined : join(config.DATA_DIR, "sandbox-emulator.json");
  // The emulator's state holds its admin token and users' API tokens: owner only (it saves with 0600).
  if (stateFile) {
    ensurePrivateDir(config.DATA_DIR, permissionWarning(logger));
    ensurePrivateFile(stateFile, permissionWarning(logger));
  }
  const options = {
    host: "127.0.0.1",
    logger: logger.child({ component: "sandbox-emulator" }),
    seed: {
      locations: [{ name: "Sandbox DC", is_default: true }],
      plans: SANDBOX_PLANS.map((p) => ({ name: p.name, params: p.params, is_visible: true })),
    },
    ...(stateFile ? { stateFile } : {}),
  };
  try {
    return await startEmulator({ ...options, port: config.SANDBOX_EMULATOR_PORT });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    logger.warn({ port: config.SANDBOX_EMULATOR_PORT }, "sandbox emulator port taken; using a free one");
    return startEmulator({ ...options, port: 0 });
  }
}

export async function startSandbox(config: Config, db: Kysely<Database>, logger: Logger): Promise<Sandbox> {
  const emulator = await listenEmulator(config, logger);
  // CLI commands (setup, doctor, reconcile) run in other processes: tell them where the sandbox listens.
  if (config.DATA_DIR !== "memory://") {
    writeSandboxAddress(config, { url: emulator.url, adminToken: emulator.adminToken }, logger);
  }
  const connection = connectSolusio(
    db,
    logger,
    {
      apiUrl: emulator.apiUrl,
      token: emulator.adminToken,
      userAreaUrl: emulator.url,
      tlsInsecure: false,
      timeoutMs: config.SOLUSIO_TIMEOUT_MS,
      backoffBaseMs: config.SOLUSIO_RETRY_BACKOFF_MS,
    },
    true,
  );
  return {
    emulator,
    integration: integrate(connection, config),
    close: async () => {
      await connection.close();
      await emulator.close();
    },
  };
}

function permissionWarning(logger: Logger): PermissionWarning {
  return (message, details) => logger.warn(details, message);
}
