import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { actors } from "../kernel/actor.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { totpCodeAt } from "../services/staff/totp.ts";
import { TestBrowser } from "./testing/test-browser.ts";

// The staff account page's two-factor set-up as a staff member lives it: a reload, or a return from the
// authenticator app, finds the set-up in progress with the same key until a right code turns it on or it is
// cancelled; a wrong code says it did not match, points at the phone's clock, and keeps the set-up and its key.

const PASSWORD = "a long enough password for tests";
let handle: DatabaseHandle;
let server: TestServer;
let userId: string;
let n = 0;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  const ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  userId = (
    await createStaffUser({ ctx, input: { email: "setup@example.com", role: "support", password: PASSWORD } })
  ).id;
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

/** A new browser logged in as the staff member, with no set-up started nor two-factor login on. */
async function loggedIn(): Promise<TestBrowser> {
  await handle.db
    .updateTable("staff_user")
    .set({ totp_secret: null, totp_enabled_at: null, totp_last_step: null })
    .where("id", "=", userId)
    .execute();
  const b = new TestBrowser(server.url);
  expect((await b.login("console", "setup@example.com", PASSWORD)).status, `login ${++n}`).toBe(303);
  return b;
}

const shownKey = (html: string) => /id="totp-secret">([A-Z2-7]+)</.exec(html)?.[1];
const storedKey = async () =>
  (
    await handle.db
      .selectFrom("staff_user")
      .select("totp_secret")
      .where("id", "=", userId)
      .executeTakeFirstOrThrow()
  ).totp_secret;
/** A 6-digit code that is not the key's now (nor in the step either side of now). */
async function wrongCodeFor(secret: string): Promise<string> {
  const near = await Promise.all(
    [-30_000, 0, 30_000].map((d) => totpCodeAt(secret, new Date(Date.now() + d))),
  );
  return ["000000", "111111", "222222", "333333"].find((c) => !near.includes(c))!;
}

describe("two-factor set-up on the account page", () => {
  it("keeps the set-up in progress with the same key across reloads until a right code turns it on", async () => {
    const b = await loggedIn();
    const started = await b.submit("/console/account", "/console/account/totp/start", {});
    // A redirect to the page, so that a reload opens the GET, not the POST again (which made a new key).
    expect(started).toMatchObject({ status: 303, location: "/console/account#totp-setup" });
    const first = await b.request("GET", "/console/account");
    const key = shownKey(first.text);
    expect(key).toBe(await storedKey());
    const reloaded = await b.request("GET", "/console/account");
    expect(shownKey(reloaded.text)).toBe(key);
    expect(reloaded.text).toContain('action="/console/account/totp/confirm"');
    expect(reloaded.text).toContain('action="/console/account/totp/cancel"');

    const on = await b.submit("/console/account", "/console/account/totp/confirm", {
      code: await totpCodeAt(key!, new Date()),
    });
    expect(on).toMatchObject({ status: 303, location: "/console/account?notice=totp_on" });
    const after = await b.request("GET", "/console/account");
    expect(shownKey(after.text)).toBeUndefined(); // a key that protects logins is never shown again
    expect(after.text).not.toContain(key!);
  });

  it("says a wrong code did not match, points at the phone's clock, and keeps the set-up with its key", async () => {
    const b = await loggedIn();
    await b.submit("/console/account", "/console/account/totp/start", {});
    const key = shownKey((await b.request("GET", "/console/account")).text)!;
    const wrong = await b.submit("/console/account", "/console/account/totp/confirm", {
      code: await wrongCodeFor(key),
    });
    expect(wrong.status).toBe(400);
    const said = /id="code-error">([^<]+)</.exec(wrong.text)?.[1] ?? "";
    expect(said).toMatch(/did not match/);
    expect(said).toMatch(/time/);
    expect(shownKey(wrong.text)).toBe(key);
    expect(await storedKey()).toBe(key);
    // The same key still turns it on.
    const on = await b.submit("/console/account", "/console/account/totp/confirm", {
      code: await totpCodeAt(key, new Date()),
    });
    expect(on.status).toBe(303);
  });

  it("cancels the set-up: the key is forgotten, the page says so, and a code from it is refused on the page", async () => {
    const b = await loggedIn();
    await b.submit("/console/account", "/console/account/totp/start", {});
    const key = shownKey((await b.request("GET", "/console/account")).text)!;
    const cancelled = await b.submit("/console/account", "/console/account/totp/cancel", {});
    expect(cancelled).toMatchObject({ status: 303, location: "/console/account?notice=totp_cancelled" });
    expect(await storedKey()).toBeNull();
    const page = await b.request("GET", "/console/account?notice=totp_cancelled");
    expect(page.text).toContain("The two-factor set-up is cancelled");
    expect(shownKey(page.text)).toBeUndefined();
    expect(page.text).toContain('action="/console/account/totp/start"');
    // A code typed in a tab left open on the set-up: the account page, saying no set-up waits.
    const late = await b.submit("/console/account", "/console/account/totp/confirm", {
      code: await totpCodeAt(key, new Date()),
    });
    expect(late.status).toBe(409);
    expect(late.text).toContain("No two-factor set-up was waiting for that code");
  });
});
