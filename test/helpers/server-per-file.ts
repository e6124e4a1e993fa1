import { afterAll, beforeAll } from "vitest";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import { createTestDatabase } from "./test-database.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

/**
 * A test database (test-database.ts) and tokenbill's server over it for the whole file, made before its first
 * test and closed after its last: the set-up most HTTP-level test files write out. Read `handle` and `server`
 * inside tests and hooks, once they exist. The arguments are startTestServer's after the database.
 */
export function serverPerFile(
  ...options: Parameters<typeof startTestServer> extends [unknown, ...infer Rest] ? Rest : never
): { readonly handle: DatabaseHandle; readonly server: TestServer } {
  const file = {} as { handle: DatabaseHandle; server: TestServer };
  beforeAll(async () => {
    file.handle = await createTestDatabase();
    file.server = await startTestServer(file.handle.db, ...options);
  });
  afterAll(async () => {
    await file.server?.close();
    await file.handle?.close();
  });
  return file;
}
