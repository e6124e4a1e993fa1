import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { databaseCallRecorder } from "./call-log.ts";
import { SolusioApi } from "./solusio-api.ts";
import { SolusioClient } from "./solusio-client.ts";

export interface SolusioConnection {
  api: SolusioApi;
  /** Where browsers log in: {userArea}/auth/by_token/{token} */
  userAreaUrl: string;
  apiUrl: string;
  sandbox: boolean;
  /**
   * Writes the call log only while `mayWrite` holds: the HTTP server stops it once the instance is older than
   * its database (a newer version migrated it), when it writes nothing, not even the log of a page's calls.
   */
  recordCallsOnlyWhile(mayWrite: () => boolean): void;
  close(): Promise<void>;
}

/** The user area lives beside the API: https://host/api/v1 → https://host, unless configured. */
export function defaultUserAreaUrl(apiUrl: string): string {
  return apiUrl.replace(/\/api\/v1\/?$/, "");
}

export function connectSolusio(
  db: Kysely<Database>,
  logger: Logger,
  target: {
    apiUrl: string;
    token: string;
    userAreaUrl?: string | undefined;
    tlsInsecure: boolean;
    timeoutMs: number;
    /** The first wait before a retry (SOLUSIO_RETRY_BACKOFF_MS); the client's own 200 ms when not given. */
    backoffBaseMs?: number | undefined;
  },
  sandbox = false,
): SolusioConnection {
  const recorder = databaseCallRecorder(db, (e) =>
    logger.warn({ err: e }, "could not record a SolusIO call"),
  );
  const client = new SolusioClient({
    baseUrl: target.apiUrl,
    token: target.token,
    tlsInsecure: target.tlsInsecure,
    timeoutMs: target.timeoutMs,
    ...(target.backoffBaseMs !== undefined ? { backoffBaseMs: target.backoffBaseMs } : {}),
    recorder: recorder.record,
    answeredWithoutDate: warnOnceWithoutDate(logger),
  });
  // Once: a second close (whoever is done with the connection last) shares the first, since undici refuses
  // to close a closed dispatcher.
  let closing: Promise<void> | undefined;
  const close = async () => {
    await recorder.flush();
    await client.close();
    // The calls that ended while closing, those it cut short included.
    await recorder.flush();
  };
  return {
    api: new SolusioApi(client),
    apiUrl: target.apiUrl,
    userAreaUrl: target.userAreaUrl ?? defaultUserAreaUrl(target.apiUrl),
    sandbox,
    recordCallsOnlyWhile: recorder.recordOnlyWhile,
    close: () => (closing ??= close()),
  };
}

/**
 * Warns once per connection of an answer without a Date header (an HTTP server with a clock always sends one,
 * RFC 9110 §6.6.1; a proxy may drop it). Sightings and plan price changes are then stamped with tokenbill's
 * clock, while hours are counted from SolusIO's created_at on SolusIO's: nothing better can be known, so the
 * operator is told that the clocks must agree. Once: every poll would say it again.
 */
function warnOnceWithoutDate(logger: Logger): (call: string) => void {
  let warned = false;
  return (call) => {
    if (warned) return;
    warned = true;
    logger.warn(
      `SolusIO answered ${call} without a Date header: the instants tokenbill takes from SolusIO's answers ` +
        "(server sightings, plan price changes seen or pushed) are taken from tokenbill's own clock until it sends " +
        "one, so keep the two clocks in step (NTP): a difference between them moves such an instant by as much, " +
        "across a month's end too (docs/billing-cycle.md)",
    );
  };
}

/** The configured production SolusIO, or undefined when none is configured. */
export function connectConfiguredSolusio(
  config: Config,
  db: Kysely<Database>,
  logger: Logger,
): SolusioConnection | undefined {
  if (!config.SOLUSIO_URL || !config.SOLUSIO_API_TOKEN) return undefined;
  return connectSolusio(db, logger, {
    apiUrl: config.SOLUSIO_URL,
    token: config.SOLUSIO_API_TOKEN,
    userAreaUrl: config.SOLUSIO_USER_AREA_URL,
    tlsInsecure: config.SOLUSIO_TLS_INSECURE,
    timeoutMs: config.SOLUSIO_TIMEOUT_MS,
    backoffBaseMs: config.SOLUSIO_RETRY_BACKOFF_MS,
  });
}
