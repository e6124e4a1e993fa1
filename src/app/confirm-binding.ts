import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import type { SolusioConnection } from "../solusio/connect-solusio.ts";
import { ensureBound } from "../solusio/solusio-binding.ts";

/**
 * Checks in the background that the configured SolusIO is the database's own: serve starts (and answers
 * GetTokenPricing) even while SolusIO is down, and billing, sync and the scheduler check again themselves.
 * `stopping` (serve's stop) ends the wait: a check SolusIO had not answered by then is no error.
 */
export function confirmBinding(
  db: Kysely<Database>,
  connection: SolusioConnection,
  logger: Logger,
  stopping: AbortSignal,
): void {
  ensureBound(db, connection, stopping).then(
    () => logger.info({ solusio: "bound" }, "SolusIO is this database's own"),
    (error: unknown) => {
      if (stopping.aborted)
        logger.info("SolusIO binding not confirmed before the stop; serve checks it again at its next start");
      // The error's words go in `err`, where the logger masks a URL they may quote; the message is not masked.
      else logger.error({ err: error }, "SolusIO binding not confirmed");
    },
  );
}
