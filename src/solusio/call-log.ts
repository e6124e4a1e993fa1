import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import { storedErrorText } from "../db/stored-error-text.ts";
import { maskSecretFields } from "../logger.ts";

export interface SolusioCall {
  method: string;
  path: string;
  status: number | null;
  durationMs: number;
  attempt: number;
  requestBody: unknown;
  error: string | null;
}

export type CallRecorder = (call: SolusioCall) => void;

/**
 * Also told of every recorded call, in process (metrics: latency and errors by method and path pattern).
 * Observers must be cheap and must not throw: they run on the caller's path.
 */
export const callObservers = new Set<CallRecorder>();

/**
 * A request body fit for the call log: secret fields (password, token, access_token, api_key, …) at any
 * depth become ********, and so do URLs' credentials — the same rules as the logs (logger.ts).
 */
export function maskSecrets(value: unknown): unknown {
  return maskSecretFields(value);
}

/**
 * How long a recorded call waits for others before the batch is written: calls a few milliseconds apart
 * (user sync, 8 at a time) share one INSERT instead of one each. close() flushes what is waiting.
 */
const GATHER_MS = 20;

/**
 * Records calls into `solusio_call` without slowing the caller: rows are buffered and written in batches.
 * A call holds no headers at all, so the Authorization header cannot be stored; its body is masked
 * (maskSecrets) before it is written, and its error loses the credentials of a URL it quotes.
 * A failure to record is logged, never thrown into the SolusIO call that triggered it.
 */
export function databaseCallRecorder(db: Kysely<Database>, onError: (e: unknown) => void = () => {}) {
  let buffer: SolusioCall[] = [];
  // Whether calls may be written: an instance older than its database writes nothing (recordOnlyWhile).
  let mayWrite = () => true;
  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    while (buffer.length > 0) {
      const rows = buffer;
      buffer = [];
      await db
        .insertInto("solusio_call")
        .values(
          rows.map((c) => ({
            method: c.method,
            path: c.path,
            status: c.status,
            duration_ms: Math.round(c.durationMs),
            attempt: c.attempt,
            request_body: c.requestBody === undefined ? null : JSON.stringify(maskSecrets(c.requestBody)),
            error: c.error === null ? null : storedErrorText(c.error, 2000),
          })),
        )
        .execute()
        .catch(onError);
    }
  };
  const record: CallRecorder = (call) => {
    for (const observe of callObservers) observe(call);
    if (!mayWrite()) return;
    buffer.push(call);
    schedule();
  };
  const schedule = () => {
    flushing ??= new Promise<void>((resolve) => setTimeout(resolve, GATHER_MS).unref())
      .then(flush)
      .finally(() => {
        flushing = undefined;
        // A call recorded after flush's last look at the buffer, before this line, saw a write under way and
        // started none: without this it waited for the next call or close() (until 2026-12-07).
        if (buffer.length > 0) schedule();
      });
  };
  return {
    record,
    flush: async () => (flushing ? flushing : flush()),
    /** Calls are written only while `predicate` holds; the observers (metrics) are told of every call. */
    recordOnlyWhile: (predicate: () => boolean) => {
      mayWrite = predicate;
    },
  };
}
