import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import type { DatabaseHandle } from "../../src/db/open-database.ts";
import { launchBrowser, noBrowser } from "./browser.ts";
import { createTestDatabase } from "./test-database.ts";
import { startTestServer, type TestServer } from "./test-server.ts";

/**
 * serverPerFile (server-per-file.ts) with Chromium besides, for the browser tests that drive tokenbill's pages:
 * a test database, tokenbill's server over it and a browser for the whole file, made before its first test and
 * closed after its last. Nothing is made where Chromium is missing (the file's tests skip on `noBrowser`).
 * Read `handle`, `server` and `browser` inside tests and hooks, once they exist; a later beforeAll of the file
 * runs after these are made. The arguments are startTestServer's after the database.
 */
export function browserPerFile(
  ...options: Parameters<typeof startTestServer> extends [unknown, ...infer Rest] ? Rest : never
): { readonly handle: DatabaseHandle; readonly server: TestServer; readonly browser: Browser } {
  const file = {} as { handle: DatabaseHandle; server: TestServer; browser: Browser };
  beforeAll(async () => {
    if (noBrowser) return;
    file.handle = await createTestDatabase();
    file.server = await startTestServer(file.handle.db, ...options);
    file.browser = await launchBrowser();
  });
  afterAll(async () => {
    await file.browser?.close();
    await file.server?.close();
    await file.handle?.close();
  });
  return file;
}
