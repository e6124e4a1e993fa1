import { afterAll, beforeAll } from "vitest";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import { createTestDatabase } from "./test-database.ts";

/**
 * A test database (test-database.ts) for the whole file, made before its first test and closed after its last:
 * serverPerFile (server-per-file.ts) without the server, for test files that call verbs and read tables
 * themselves. Read `handle` inside tests and hooks, once it exists.
 */
export function databasePerFile(): { readonly handle: DatabaseHandle } {
  const file = {} as { handle: DatabaseHandle };
  beforeAll(async () => {
    file.handle = await createTestDatabase();
  });
  afterAll(async () => {
    await file.handle?.close();
  });
  return file;
}
