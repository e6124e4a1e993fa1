import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { databaseCallRecorder } from "./call-log.ts";
import { SolusioError } from "./solusio-error.ts";
import { type PageServer, startPageServer } from "./testing/page-server.ts";

// SolusIO's refusals carry its own text (a message, per-field messages), which becomes the error's message:
// stored in the call log's `error` and a job's `last_error`, logged, and printed by the command line.

let handle: DatabaseHandle;
let server: PageServer;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startPageServer([
    { status: 422, body: { message: "bad\u0000name\u001b]8;;", errors: { email: ["taken\u0000\u202E"] } } },
    { status: 400, body: { message: "x".repeat(1_000_000) } },
  ]);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

async function failureOf(call: Promise<unknown>): Promise<SolusioError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SolusioError)) throw new Error(`expected a SolusioError, got ${String(error)}`);
  return error;
}

it("makes SolusIO's error text showable and bounded, and the call log stores every call", async () => {
  const refused = await failureOf(server.api.client.call("GET", "account"));
  expect(refused.message).toBe("GET account: 422 bad\uFFFDname\uFFFD]8;; (email: taken\uFFFD\uFFFD)");
  // What the caller reads to tell "taken" apart is SolusIO's own, untouched.
  expect(refused.fields).toEqual({ email: ["taken\u0000\u202E"] });
  const huge = await failureOf(server.api.client.call("GET", "account"));
  expect(huge.message.length).toBeLessThan(1_000);

  const errors: unknown[] = [];
  const log = databaseCallRecorder(handle.db, (e) => errors.push(e));
  for (const call of server.calls) log.record(call);
  await log.flush();
  expect(errors).toEqual([]);
  const rows = await handle.db.selectFrom("solusio_call").select(["status", "error"]).orderBy("id").execute();
  expect(rows.map((r) => [r.status, r.error])).toEqual([
    [422, refused.message],
    [400, huge.message],
  ]);
});
