import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { migrateToLatest } from "./db/migrate.ts";
import { type DatabaseHandle, openDatabase } from "./db/open-database.ts";
import type { ServiceContext } from "./services/context.ts";
import { buildServer } from "./http/server.ts";

// The composition root: configuration → database (migrated) → services → HTTP server.

export async function openMigratedDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  const handle = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const applied = await migrateToLatest(handle.db);
  if (applied.length > 0) logger.info({ applied, database: handle.kind }, "migrations applied");
  return handle;
}

/** A context for work that no HTTP request starts (CLI commands, jobs). */
export function systemContext(
  handle: DatabaseHandle,
  config: Config,
  logger: Logger,
  actor: string,
): ServiceContext {
  return {
    db: handle.db,
    config,
    logger,
    actor,
    now: () => new Date(),
  };
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const handle = await openMigratedDatabase(config, logger);
  const app = await buildServer({ config, db: handle.db, logger });
  try {
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (error) {
    await handle.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  const url = `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${port}`;
  return {
    url,
    close: async () => {
      await app.close();
      await handle.close();
    },
  };
}
