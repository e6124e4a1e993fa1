import { createServer, type ServerResponse } from "node:http";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { connectSolusio } from "./connect-solusio.ts";

// serve's graceful stop closes its SolusIO connection after the job runners gave back what still ran
// (job-runner.ts): the close must not wait for a call SolusIO is slow to answer (serve is killed at 10 s,
// and the call log's last batch with it), and the calls it ends are recorded. Until 2026-12-04 the close
// waited for every call in flight (undici's close), and wrote nothing of the calls that ended meanwhile.

const PORT = 4532;
let handle: DatabaseHandle;
const held: ServerResponse[] = [];
const silent = createServer((_request, response) => void held.push(response));

beforeAll(async () => {
  handle = await createTestDatabase();
  await new Promise<void>((resolve) => silent.listen(PORT, "127.0.0.1", resolve));
});
afterAll(async () => {
  for (const response of held) response.destroy();
  await new Promise((resolve) => silent.close(resolve));
  await handle?.close();
});

it("closes within its grace while a call waits on SolusIO, and records the calls that ended, the cut one included", async () => {
  const connection = connectSolusio(handle.db, pino({ level: "silent" }), {
    apiUrl: `http://127.0.0.1:${PORT}/api/v1`,
    token: "token",
    tlsInsecure: false,
    timeoutMs: 30_000,
  });
  const pending = connection.api.getUser(41).catch((error: unknown) => error);
  await expect.poll(() => held.length, { interval: 10 }).toBe(1);
  await connection.close();
  // The close did not wait for SolusIO's answer: the server never gave one.
  expect(held[0]!.writableEnded).toBe(false);
  expect(await pending).toBeInstanceOf(Error);
  const calls = await handle.db
    .selectFrom("solusio_call")
    .select(["method", "path", "status", "error"])
    .execute();
  expect(calls.filter((c) => c.path === "users/41")).toEqual([
    expect.objectContaining({ method: "GET", status: null, error: expect.any(String) }),
  ]);
});

// A connection is closed by whoever is done with it first (a test's own flush, then its fixture's close): the
// second close has nothing left to do. Until 2026-12-07 it threw undici's ClientDestroyedError.
it("closes a second time without an error", async () => {
  const connection = connectSolusio(handle.db, pino({ level: "silent" }), {
    apiUrl: `http://127.0.0.1:${PORT}/api/v1`,
    token: "token",
    tlsInsecure: false,
    timeoutMs: 30_000,
  });
  await connection.close();
  await expect(connection.close()).resolves.toBeUndefined();
});
