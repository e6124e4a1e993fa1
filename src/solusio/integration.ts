import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { connectConfiguredSolusio, type SolusioConnection } from "./connect-solusio.ts";
import { limitGroupResolver } from "./limit-group-resolver.ts";

/** What the rest of tokenbill needs from the SolusIO side: the API, and the limit-group name resolver. */
export interface SolusioIntegration {
  connection: SolusioConnection;
  limitGroupId(name: string | null): Promise<number | undefined>;
}

export function integrate(connection: SolusioConnection, config: Config): SolusioIntegration {
  return { connection, limitGroupId: limitGroupResolver(connection.api, config) };
}

export function configuredIntegration(
  config: Config,
  db: Kysely<Database>,
  logger: Logger,
): SolusioIntegration | undefined {
  const connection = connectConfiguredSolusio(config, db, logger);
  return connection ? integrate(connection, config) : undefined;
}
