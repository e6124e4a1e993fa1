import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { sql } from "kysely";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import { actors } from "../kernel/actor.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";

// On PostgreSQL the login counts are rows of login_count (migration 036), so two instances behind a balancer
// share them: a guesser gets the limit's number of passwords in all, not that number an instance. Until
// 2026-12-06 each process kept its own. PGlite (one process) keeps them in memory: PostgreSQL only.

const onPostgres = process.env["DATABASE_URL"] !== undefined;
const PASSWORD = "correct horse battery";
let handle: TestDatabase;
let instances: TestServer[] = [];

/** One login at an instance, with that page's CSRF token and cookie (a fresh browser each time). */
async function login(server: TestServer, email: string, password: string): Promise<number> {
  const page = await fetch(`${server.url}/console/login`);
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const answer = await fetch(`${server.url}/console/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  await answer.arrayBuffer();
  return answer.status;
}

beforeAll(async () => {
  if (!onPostgres) return;
  handle = await createTestDatabase();
  const settings = {
    DATABASE_URL: process.env["DATABASE_URL"],
    LOGIN_FAILURES_PER_EMAIL: 3,
    LOGIN_FAILURES_PER_IP: 100,
  };
  instances = [await startTestServer(handle.db, settings), await startTestServer(handle.db, settings)];
  const ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  for (const email of ["one@example.com", "two@example.com"])
    await createStaffUser({ ctx, input: { email, role: "owner", password: PASSWORD } });
});
afterAll(async () => {
  for (const server of instances) await server.close();
  await handle?.close();
});

describe("login counts across instances", () => {
  it.skipIf(!onPostgres)(
    "refuses the guess after the limit's number in all, whichever instance takes it",
    async () => {
      const [a, b] = instances as [TestServer, TestServer];
      expect(await login(a, "one@example.com", "wrong 1")).toBe(401);
      expect(await login(b, "one@example.com", "wrong 2")).toBe(401);
      expect(await login(a, "one@example.com", "wrong 3")).toBe(401);
      expect(await login(b, "one@example.com", PASSWORD)).toBe(429);
      expect(await login(a, "one@example.com", PASSWORD)).toBe(429);
      const rows = await sql<{
        key: string;
        points: number;
      }>`SELECT key, points FROM login_count WHERE key LIKE 'login-email:%'`.execute(handle.db);
      expect(rows.rows).toEqual([{ key: "login-email:one@example.com", points: 3 }]);
    },
  );

  it.skipIf(!onPostgres)(
    "checks no more passwords than the limit when guesses reach both at once",
    async () => {
      const statuses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => login(instances[i % 2]!, "two@example.com", `wrong ${i}`)),
      );
      expect(statuses.filter((s) => s === 401)).toHaveLength(3);
      expect(statuses.filter((s) => s === 429)).toHaveLength(9);
    },
  );
});
