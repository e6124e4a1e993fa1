import { isIP } from "node:net";
import { lookup } from "node:dns/promises";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { asServiceError } from "../kernel/errors.ts";
import { listenRefusal, probeListen } from "./listen-refusal.ts";
import { stopServeOnSignals } from "./serve-stop.ts";
import { UnfitConfigurationError } from "./unfit-configuration.ts";

type RunningServer = Awaited<ReturnType<typeof import("../app/server.ts").startServer>>;

/**
 * Starts `serve` up to listening, its stop on signals installed (serve-stop.ts). A refusal to start is
 * thrown for main.ts to print on stderr with its exit code, and logged at error first: a log collector
 * reading the JSON log on stdout saw "starting tokenbill" and nothing more (a port in use, a database a
 * newer version migrated).
 */
export async function startServe(config: Config, logger: Logger): Promise<RunningServer> {
  try {
    return await listening(config, logger);
  } catch (error) {
    const known = asServiceError(error);
    if (known) logger.error({ code: known.code }, `tokenbill did not start: ${known.message}`);
    else if (error instanceof UnfitConfigurationError)
      logger.error({ code: "CONFIGURATION" }, `tokenbill did not start: ${error.message}`);
    else logger.error({ err: error }, "tokenbill did not start: an unexpected error");
    throw error;
  }
}

async function listening(config: Config, logger: Logger): Promise<RunningServer> {
  const portOf = (port: number) =>
    port === config.PORT ? "PORT" : port === config.METRICS_PORT ? "METRICS_PORT" : undefined;
  const refusal = (error: unknown) => listenRefusal(error, { host: "HOST", portOf }) ?? error;
  // A HOST no resolver knows is refused before anything is touched: the listen found it out only after the
  // migrations had run and the sandbox had started.
  if (isIP(config.HOST) === 0)
    await lookup(config.HOST).catch((error: unknown) => {
      throw refusal(error);
    });
  // And a port that is taken, or not this user's to open, before the database is opened or made.
  for (const port of [config.PORT, config.METRICS_PORT])
    if (port !== undefined && port !== 0)
      await probeListen(port === config.PORT ? config.HOST : "127.0.0.1", port).catch((error: unknown) => {
        throw refusal(error);
      });
  // Loaded here: the HTTP server (Fastify, pages, PDF fonts) is the bulk of startup, and only serve needs it.
  const { FORCED_EXIT_MS, startServer } = await import("../app/server.ts");
  const server = await startServer(config, logger).catch((error: unknown) => {
    throw refusal(error);
  });
  logger.info(
    {
      url: server.url,
      pricing: `${server.url}${config.PRICING_PATH}`,
      openapi: `${server.url}/api/v1/openapi.json`,
    },
    "tokenbill is listening",
  );
  // In the same tick as the line above, which a supervisor (and the tests) may take as the moment a stop
  // can be sent.
  stopServeOnSignals(logger, server, FORCED_EXIT_MS);
  return server;
}
