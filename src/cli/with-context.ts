import { systemContext, openMigratedDatabase } from "../app.ts";
import { loadConfig } from "../config.ts";
import { createLogger } from "../logger.ts";
import { closePreservingExitCode } from "./close-database.ts";
import type { ServiceContext } from "../services/context.ts";

/** Opens the configured database (migrated), runs one command's work, and always closes it. */
export async function withSystemContext<T>(work: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // Commands print their results on stdout; logs go to stderr and only from warnings up.
  const logger = createLogger(
    { LOG_LEVEL: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL },
    "stderr",
  );
  const handle = await openMigratedDatabase(config, logger);
  try {
    return await work(systemContext(handle, config, logger, "cli"));
  } finally {
    await closePreservingExitCode(handle);
  }
}
