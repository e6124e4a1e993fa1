import type { KyselyPlugin } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import { DatabaseUnreachableError } from "../db/database-outage.ts";
import { actors } from "../kernel/actor.ts";
import { createCustomer } from "../services/customers/customers.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { totpCodeAt } from "../services/staff/totp.ts";
import { LOGIN_UNAVAILABLE } from "./login-unavailable.ts";

// A login whose counts cannot be reached (on PostgreSQL they are rows of login_count: a database that does
// not answer). Until 2026-12-06 the console's page said "the database: cannot be reached (…)" and the
// portal's "This page is unavailable for a moment", each logged twice; a store failing otherwise was a 500
// "Something went wrong" with the error logged as a page failure. Now: a 503 login page saying what cannot be
// done and when to try again, Retry-After 60, nothing of the database, one log line. The counts are kept in
// the database here on both drivers (DATABASE_URL given to the server), and a plugin fails the database's
// answers while `state` says so, as a pool whose connections are gone does.

const PASSWORD = "correct horse battery";
const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
let state: "up" | "unreachable" | "broken" = "up";
const outage: KyselyPlugin = {
  transformQuery: ({ node }) => node,
  transformResult: async ({ result }) => {
    if (state === "unreachable")
      throw new DatabaseUnreachableError(
        "connection refused",
        new Error("connect ECONNREFUSED 10.0.0.5:5432"),
      );
    if (state === "broken") throw new Error("the test broke this answer on purpose");
    return result;
  },
};

let handle: TestDatabase;
let server: TestServer;
const lines: { level: number; msg: string; reqId?: string; reason?: string; err?: unknown }[] = [];

beforeAll(async () => {
  handle = await createTestDatabase();
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  server = await startTestServer(
    handle.db.withPlugin(outage),
    { DATABASE_URL: process.env["DATABASE_URL"] ?? "postgres://counts.invalid/tokenbill" },
    { logger },
  );
  const ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  await createStaffUser({ ctx, input: { email: "ann@example.com", role: "owner", password: PASSWORD } });
  const cody = await createStaffUser({
    ctx,
    input: { email: "cody@example.com", role: "owner", password: PASSWORD },
  });
  await handle.db
    .updateTable("staff_user")
    .set({ totp_secret: TOTP_SECRET, totp_enabled_at: new Date() })
    .where("id", "=", cody.id)
    .execute();
  const customer = await createCustomer({
    ctx,
    input: { email: "ada@example.com", name: "Ada", country: "DE", currency: "EUR" } as never,
  });
  await setPortalPassword({ ctx, input: { customer_id: BigInt(customer.id), password: PASSWORD } });
});
afterAll(async () => {
  state = "up";
  await server?.close();
  await handle?.close();
});

/** A login from a fresh browser, its form fetched while the database answers; the post while in `during`. */
async function login(face: "console" | "portal", email: string, during: typeof state, cookie = "") {
  state = "up";
  const page = await fetch(`${server.url}/${face}/login`);
  const cookies = [...page.headers.getSetCookie().map((c) => c.split(";")[0]), cookie].filter(Boolean);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  state = during;
  try {
    const answer = await fetch(`${server.url}/${face}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: cookies.join("; "), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, email, password: PASSWORD }).toString(),
    });
    return {
      status: answer.status,
      retryAfter: answer.headers.get("retry-after"),
      setCookies: answer.headers.getSetCookie(),
      text: await answer.text(),
    };
  } finally {
    state = "up";
  }
}

/** The cookies an answer set, as parts of a Cookie header. */
const cookiesOf = (answer: Response) => answer.headers.getSetCookie().map((c) => c.split(";")[0]!);

/**
 * A request with the browser's `cookies` (and a form, posted) while the database is in `during`; the form's
 * CSRF token is read from `formPage` while it answers.
 */
async function step(
  path: string,
  during: typeof state,
  cookies: string[],
  form?: { page: string; fields: Record<string, string> },
) {
  state = "up";
  let body: string | undefined;
  if (form) {
    const page = await fetch(`${server.url}${form.page}`, { headers: { cookie: cookies.join("; ") } });
    cookies = [...cookies, ...cookiesOf(page)];
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    body = new URLSearchParams({ _csrf: csrf, ...form.fields }).toString();
  }
  state = during;
  try {
    const answer = await fetch(`${server.url}${path}`, {
      method: form ? "POST" : "GET",
      redirect: "manual",
      headers: { cookie: cookies.join("; "), "content-type": "application/x-www-form-urlencoded" },
      ...(body === undefined ? {} : { body }),
    });
    return {
      status: answer.status,
      retryAfter: answer.headers.get("retry-after"),
      text: await answer.text(),
    };
  } finally {
    state = "up";
  }
}

/** The log lines of warnings and errors written since `from`. */
const loggedSince = (from: number) => lines.slice(from).filter((line) => line.level >= 40);

/** The login's outage page for a step of `face`'s login, logged once as a warning since `from`. */
function expectOutagePage(
  answer: Awaited<ReturnType<typeof step>>,
  face: "console" | "portal",
  from: number,
) {
  expect(answer).toMatchObject({ status: 503, retryAfter: "60" });
  expect(answer.text).toContain(LOGIN_UNAVAILABLE);
  expect(answer.text).toContain(`href="/${face}/login"`);
  expect(answer.text).not.toMatch(/database|ECONNREFUSED/);
  expect(loggedSince(from).map((l) => [l.level, l.msg])).toEqual([[40, "upstream unavailable"]]);
}

describe("a login whose counts cannot be reached", () => {
  for (const [face, email] of [
    ["console", "ann@example.com"],
    ["portal", "ada@example.com"],
  ] as const)
    it(`answers the ${face}'s login with a 503 page saying to try again in a minute, logged once`, async () => {
      const from = lines.length;
      const answer = await login(face, email, "unreachable");
      expect(answer).toMatchObject({ status: 503, retryAfter: "60" });
      expect(answer.text).toContain(LOGIN_UNAVAILABLE);
      expect(answer.text).toContain(`href="/${face}/login"`);
      expect(answer.text).not.toMatch(/database|ECONNREFUSED|10\.0\.0\.5|at \S+ \(/);
      // No session was started.
      expect(answer.setCookies.filter((c) => /^tb_(console|portal)=/.test(c))).toEqual([]);
      const logged = loggedSince(from);
      expect(logged.map((l) => [l.level, l.msg])).toEqual([[40, "upstream unavailable"]]);
      expect(logged[0]!.reason).toMatch(/cannot be reached \(connection refused\).*ECONNREFUSED 10\.0\.0\.5/);
      // Once the database answers, the same login goes through.
      expect((await login(face, email, "up")).status).toBe(303);
    });

  it("answers the same for a browser with a device cookie, whose account is looked up before the counts", async () => {
    const first = await login("console", "ann@example.com", "up");
    const device = first.setCookies.find((c) => c.startsWith("tb_console_device="))!.split(";")[0]!;
    const from = lines.length;
    const answer = await login("console", "ann@example.com", "unreachable", device);
    expect(answer).toMatchObject({ status: 503, retryAfter: "60" });
    expect(answer.text).toContain(LOGIN_UNAVAILABLE);
    expect(loggedSince(from).map((l) => l.msg)).toEqual(["upstream unavailable"]);
  });

  it("answers a store failing otherwise with the same page, and logs it once as an error with its stack", async () => {
    const from = lines.length;
    const answer = await login("portal", "ada@example.com", "broken");
    expect(answer).toMatchObject({ status: 503, retryAfter: "60" });
    expect(answer.text).toContain(LOGIN_UNAVAILABLE);
    expect(answer.text).not.toContain("on purpose");
    const logged = loggedSince(from);
    expect(logged.map((l) => [l.level, l.msg])).toEqual([[50, "login counts failed"]]);
    expect(JSON.stringify(logged[0]!.err)).toContain("the test broke this answer on purpose");
  });

  // Until 2026-12-06 these steps read the session or the token before any count, and the outage was the
  // generic "This page is unavailable for a moment" (portal) or "the database: cannot be reached" (console).
  it("answers the console's two-factor code step with the same page", async () => {
    const first = await login("console", "cody@example.com", "up");
    expect(first.status).toBe(303);
    const cookies = first.setCookies.map((c) => c.split(";")[0]!);
    for (const form of [undefined, { page: "/console/login/code", fields: { code: "123456" } }]) {
      const from = lines.length;
      const answer = await step("/console/login/code", "unreachable", cookies, form);
      expectOutagePage(answer, "console", from);
    }
    // Once the database answers, the code step goes on.
    const code = await totpCodeAt(TOTP_SECRET, new Date());
    const done = await step("/console/login/code", "up", cookies, {
      page: "/console/login/code",
      fields: { code },
    });
    expect(done.status).toBe(303);
  });

  it("answers the portal's e-mailed link, opened and pressed, with the same page", async () => {
    for (const form of [undefined, { page: "/portal/login", fields: { token: "a".repeat(43) } }]) {
      const from = lines.length;
      const path = form ? "/portal/login/link/open" : `/portal/login/link/open?token=${"a".repeat(43)}`;
      const answer = await step(path, "unreachable", [], form);
      expectOutagePage(answer, "portal", from);
    }
  });

  it("answers the portal's password-reset link, opened and its new password sent, with the same page", async () => {
    const token = "b".repeat(43);
    for (const form of [
      undefined,
      { page: "/portal/login", fields: { token, password: "a new password 1" } },
    ]) {
      const from = lines.length;
      const path = form ? "/portal/password-reset/new" : `/portal/password-reset/new?token=${token}`;
      const answer = await step(path, "unreachable", [], form);
      expectOutagePage(answer, "portal", from);
    }
  });
});
