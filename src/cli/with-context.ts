import { systemContext, openMigratedDatabase } from "../app/database.ts";
import type { Logger } from "pino";
import { type Config, loadConfig } from "../config.ts";
import { createLogger } from "../logger.ts";
import { configuredIntegration } from "../solusio/integration.ts";
import { closePreservingExitCode } from "../app/close-database.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { actors } from "../kernel/actor.ts";
import { refuseThrowAwayDatabase } from "./throw-away-database.ts";

/**
 * A command's logger: on stderr (results go to stdout), from warnings up unless LOG_LEVEL asks for less or
 * more than info, in the LOG_FORMAT (and NO_COLOR) serve's logs follow: before, commands left them out and
 * always chose by the terminal.
 */
export function commandLogger(config: Pick<Config, "LOG_LEVEL" | "LOG_FORMAT" | "NO_COLOR">): Logger {
  const level = config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL;
  return createLogger({ ...config, LOG_LEVEL: level }, "stderr");
}

/** The configuration and a logger for a command (commandLogger). */
export async function withConfig<T>(work: (config: Config, logger: Logger) => Promise<T>): Promise<T> {
  const config = loadConfig();
  return work(config, commandLogger(config));
}

/**
 * Opens the configured database (migrated), runs one command's work, and always closes it. A command that
 * only reads what the migrations seed (the pricing calculators) may run on memory://; any other is refused.
 */
export function withSystemContext<T>(
  work: (ctx: ServiceContext) => Promise<T>,
  options: { onThrowAwayDatabase?: "run" } = {},
): Promise<T> {
  return withConfig((config, logger) => {
    if (options.onThrowAwayDatabase !== "run") refuseThrowAwayDatabase(config);
    return withDatabase(config, logger, work);
  });
}

async function withDatabase<T>(
  config: Config,
  logger: Logger,
  work: (ctx: ServiceContext) => Promise<T>,
): Promise<T> {
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
