import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { ServiceContext } from "../kernel/context.ts";

// What a command's action needs to open the database and log is imported when the action runs: every group's
// file imports this one, and imported up front it loaded PGlite, pg, pino and the SolusIO client for `--help`
// and for a mistake on the command line (docs/performance.md, "A command that needs no database").

/**
 * A command's logger: on stderr (results go to stdout), from warnings up unless LOG_LEVEL asks for less or
 * more than info, in the LOG_FORMAT (and NO_COLOR) serve's logs follow: before, commands left them out and
 * always chose by the terminal.
 */
export async function commandLogger(
  config: Pick<Config, "LOG_LEVEL" | "LOG_FORMAT" | "NO_COLOR">,
): Promise<Logger> {
  const { createLogger } = await import("../logger.ts");
  const level = config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL;
  return createLogger({ ...config, LOG_LEVEL: level }, "stderr");
}

/** The configuration and a logger for a command (commandLogger). */
export async function withConfig<T>(work: (config: Config, logger: Logger) => Promise<T>): Promise<T> {
  const { loadConfig } = await import("../config.ts");
  const config = loadConfig();
  return work(config, await commandLogger(config));
}

/**
 * Opens the configured database (migrated), runs one command's work, and always closes it. A command that
 * only reads what the migrations seed (the pricing calculators) may run on memory://; any other is refused.
 */
export function withSystemContext<T>(
  work: (ctx: ServiceContext) => Promise<T>,
  options: { onThrowAwayDatabase?: "run" } = {},
): Promise<T> {
  return withConfig(async (config, logger) => {
    if (options.onThrowAwayDatabase !== "run") {
      const { refuseThrowAwayDatabase } = await import("./throw-away-database.ts");
      refuseThrowAwayDatabase(config);
    }
    return withDatabase(config, logger, work);
  });
}

async function withDatabase<T>(
  config: Config,
  logger: Logger,
  work: (ctx: ServiceContext) => Promise<T>,
): Promise<T> {
  const { systemContext, openMigratedDatabase } = await import("../app/database.ts");
  const { configuredIntegration } = await import("../solusio/integration.ts");
  const { closePreservingExitCode } = await import("../app/close-database.ts");
  const { actors } = await import("../kernel/actor.ts");
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
