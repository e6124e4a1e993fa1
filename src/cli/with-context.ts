import { systemContext, openMigratedDatabase } from "../app.ts";
import { loadConfig } from "../config.ts";
import { createLogger } from "../logger.ts";
import { configuredIntegration } from "../solusio/integration.ts";
import { closePreservingExitCode } from "./close-database.ts";
import type { ServiceContext } from "../services/context.ts";
import { actors } from "../services/actor.ts";

/** Opens the configured database (migrated), runs one command's work, and always closes it. */
export async function withSystemContext<T>(work: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // Commands print their results on stdout; logs go to stderr and only from warnings up.
  const logger = createLogger(
    { LOG_LEVEL: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL },
    "stderr",
  );
  const handle = await openMigratedDatabase(config, logger);
  // A configured SolusIO is at hand for commands that read from it (billing usage, server polls).
  const solusio = configuredIntegration(config, handle.db, logger);
  try {
    return await work(systemContext(handle, config, logger, actors.cli(), solusio));
  } finally {
    await solusio?.connection.close();
    await closePreservingExitCode(handle);
  }
}
