import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { actors } from "../kernel/actor.ts";
import { createCustomer } from "../services/customers/customers.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import { issuePortalToken } from "../services/portal-accounts/portal-tokens.ts";
import { setStaffPassword } from "../services/staff/staff-repairs.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { newTotpSecret, totpCodeAt } from "../services/staff/totp.ts";
import { TestBrowser } from "./testing/test-browser.ts";

// Known devices (login-device.ts) over real HTTP: a stranger who used up an e-mail's count of wrong logins
// from one address does not lock out the browser its owner logged in with before, from another address;
// a device cookie of another account, forged or made before a password change gives nothing; wrong passwords
// from a known device lock that device after the same count; the cookie comes only after the second factor;
// wrong two-factor codes are counted the same way; an address's count (a NAT shared with a stranger) does
// not refuse a known device; an e-mailed link's login gives the portal's cookie too.

let handle: DatabaseHandle;
let server: TestServer;
/** The same database with a tight count per address, for the browsers behind one NAT. */
let natServer: TestServer;
let ctx: ReturnType<typeof systemContext>;
const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a new battery staple";

// Each browser on its own local address: the app sees it as request.ip.
const attacker = () => new TestBrowser(server.url, { localAddress: "127.0.0.1" });
const victim = () => new TestBrowser(server.url, { localAddress: "127.0.0.2" });
const DEVICE = { console: "tb_console_device", portal: "tb_portal_device" } as const;
/** The path a face's device cookie is read on (and, for the console, the only one it is given on). */
const LOGIN = { console: "/console/login", portal: "/portal/login" } as const;

/** A fresh browser of the victim's that has logged in once (and so holds a device cookie). */
async function knownBrowser(face: "console" | "portal", email: string, password = PASSWORD) {
  const b = victim();
  expect((await b.login(face, email, password)).status).toBe(303);
  expect(b.cookie(DEVICE[face], LOGIN[face])).toBeTruthy();
  b.forget(face === "console" ? "tb_console" : "tb_portal");
  return b;
}

/** Uses up the e-mail's count (3 here) from the attacker's address; the next try is refused. */
async function lockOut(face: "console" | "portal", email: string) {
  const a = attacker();
  for (let i = 0; i < 3; i++) expect((await a.login(face, email, `wrong ${i}`)).status).toBe(401);
  expect((await a.login(face, email, PASSWORD)).status).toBe(429);
}

beforeAll(async () => {
  handle = await createTestDatabase();
  // On PostgreSQL the counts are the database's (login_count), as serve keeps them there.
  const url = process.env["DATABASE_URL"];
  server = await startTestServer(handle.db, {
    LOGIN_FAILURES_PER_EMAIL: 3,
    LOGIN_FAILURES_PER_IP: 100,
    ...(url ? { DATABASE_URL: url } : {}),
  });
  natServer = await startTestServer(handle.db, {
    LOGIN_FAILURES_PER_EMAIL: 3,
    LOGIN_FAILURES_PER_IP: 4,
    ...(url ? { DATABASE_URL: url } : {}),
  });
  ctx = systemContext(handle, parseConfig({ LOG_LEVEL: "silent" }), pino({ level: "silent" }), actors.cli());
  for (const email of [
    "ann@example.com",
    "bob@example.com",
    "cy@example.com",
    "dee@example.com",
    "gus@example.com",
  ])
    await createStaffUser({ ctx, input: { email, role: "owner", password: PASSWORD } });
  const customer = await createCustomer({
    ctx,
    input: { email: "ada@example.com", name: "Ada", country: "DE", currency: "EUR" } as never,
  });
  await setPortalPassword({ ctx, input: { customer_id: BigInt(customer.id), password: PASSWORD } });
  const hal = await createCustomer({
    ctx,
    input: { email: "hal@example.com", name: "Hal", country: "DE", currency: "EUR" } as never,
  });
  await setPortalPassword({ ctx, input: { customer_id: BigInt(hal.id), password: PASSWORD } });
});
afterAll(async () => {
  await natServer?.close();
  await server?.close();
  await handle?.close();
});

describe("known devices", () => {
  it("gives a complete login an HttpOnly, SameSite=Strict device cookie on the login path for 90 days", async () => {
    const b = victim();
    const login = await b.login("console", "ann@example.com", PASSWORD);
    const line = login.setCookies.find((c) => c.startsWith(`${DEVICE.console}=`))!;
    expect(line).toMatch(/Max-Age=7776000/);
    expect(line).toMatch(/Path=\/console\/login/);
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Strict/);
  });

  for (const [face, email] of [
    ["console", "ann@example.com"],
    ["portal", "ada@example.com"],
  ] as const)
    it(`lets the ${face}'s known browser in with the right password while a stranger has locked the e-mail`, async () => {
      const known = await knownBrowser(face, email);
      await lockOut(face, email);
      expect((await victim().login(face, email, PASSWORD)).status).toBe(429); // a browser it does not know
      expect((await known.login(face, email, PASSWORD)).status).toBe(303);
      // The known browser's success gives the stranger no new guesses.
      expect((await attacker().login(face, email, "wrong again")).status).toBe(429);
    });

  it("gives nothing for a device cookie of another account, a forged one or one made before a new password", async () => {
    const bobs = await knownBrowser("console", "bob@example.com");
    const cys = await knownBrowser("console", "cy@example.com");
    await lockOut("console", "cy@example.com");
    // Bob's cookie presented for cy's account.
    const other = victim();
    other.plant(DEVICE.console, bobs.cookie(DEVICE.console, LOGIN.console)!, LOGIN.console);
    expect((await other.login("console", "cy@example.com", PASSWORD)).status).toBe(429);
    // cy's cookie with its expiry moved on (the MAC no longer fits), and with its MAC altered.
    const [id, expires, mac] = cys.cookie(DEVICE.console, LOGIN.console)!.split(".");
    for (const forged of [`${id}.${Number(expires) + 1}.${mac}`, `${id}.${expires}.${mac!.slice(1)}A`]) {
      const f = victim();
      f.plant(DEVICE.console, forged, LOGIN.console);
      expect((await f.login("console", "cy@example.com", PASSWORD)).status).toBe(429);
    }
    expect((await cys.login("console", "cy@example.com", PASSWORD)).status).toBe(303);
    // A new password voids the cookies made before it.
    const bobId = (
      await ctx.db
        .selectFrom("staff_user")
        .select("id")
        .where("email", "=", "bob@example.com")
        .executeTakeFirstOrThrow()
    ).id;
    await setStaffPassword({ ctx, input: { id: bobId, password: NEW_PASSWORD } });
    await lockOut("console", "bob@example.com");
    expect((await bobs.login("console", "bob@example.com", NEW_PASSWORD)).status).toBe(429);
  });

  it("locks a known device after the same count of wrong passwords, not the e-mail for others", async () => {
    const known = await knownBrowser("console", "dee@example.com");
    for (let i = 0; i < 3; i++)
      expect((await known.login("console", "dee@example.com", `no ${i}`)).status).toBe(401);
    expect((await known.login("console", "dee@example.com", PASSWORD)).status).toBe(429);
    expect((await attacker().login("console", "dee@example.com", PASSWORD)).status).toBe(303);
  });

  it("gives the cookie only after the second factor, and never skips it", async () => {
    const secret = newTotpSecret();
    const staff = await createStaffUser({
      ctx,
      input: { email: "eve@example.com", role: "owner", password: PASSWORD },
    });
    await ctx.db
      .updateTable("staff_user")
      .set({ totp_secret: secret, totp_enabled_at: new Date() })
      .where("id", "=", staff.id)
      .execute();
    const b = victim();
    const login = await b.login("console", "eve@example.com", PASSWORD);
    expect(login.status).toBe(303);
    expect(b.has(DEVICE.console)).toBe(false);
    const code = await b.submit("/console/login/code", "/console/login/code", {
      code: await totpCodeAt(secret, new Date()),
    });
    expect(code.status).toBe(303);
    expect(b.has(DEVICE.console)).toBe(true);
    // With the cookie, the password step still leads to the code, not into the console.
    b.forget("tb_console");
    const again = await b.login("console", "eve@example.com", PASSWORD);
    expect(again.location).toBe("/console/login/code");
    expect((await b.request("GET", "/console")).location).toMatch(/^\/console\/login/);
  });

  it("counts a known browser's two-factor codes by the browser: a stranger with the password cannot lock the owner's code", async () => {
    const secret = newTotpSecret();
    const staff = await createStaffUser({
      ctx,
      input: { email: "fay@example.com", role: "owner", password: PASSWORD },
    });
    // Fay's browser logged in before she turned the second factor on: its cookie is bound to the password.
    const known = await knownBrowser("console", "fay@example.com");
    await ctx.db
      .updateTable("staff_user")
      .set({ totp_secret: secret, totp_enabled_at: new Date() })
      .where("id", "=", staff.id)
      .execute();
    const wrong = await wrongCode(secret);
    const codeStep = async (b: TestBrowser, code: string) => {
      expect((await b.login("console", "fay@example.com", PASSWORD)).location).toBe("/console/login/code");
      return (await b.submit("/console/login/code", "/console/login/code", { code })).status;
    };
    // The stranger has the password: each try passes the password step, and its code is wrong.
    const stranger = attacker();
    for (let i = 0; i < 3; i++) expect(await codeStep(stranger, wrong)).toBe(401);
    expect(await codeStep(stranger, wrong)).toBe(429);
    // A browser the account does not know is counted per user, as before: refused.
    expect(await codeStep(victim(), wrong)).toBe(429);
    // Fay's known browser is counted by itself, and gets in with the right code.
    const right = await codeStep(known, await totpCodeAt(secret, new Date()));
    expect(right).toBe(303);
    expect((await known.request("GET", "/console")).status).toBe(200);
    // Her success gives the stranger no new codes.
    expect(await codeStep(stranger, wrong)).toBe(429);
  });

  it("does not refuse a known browser for its address's count, which a stranger behind the same NAT used up", async () => {
    const nat = "127.0.0.5";
    const known = new TestBrowser(natServer.url, { localAddress: nat });
    expect((await known.login("console", "gus@example.com", PASSWORD)).status).toBe(303);
    expect(known.cookie(DEVICE.console, LOGIN.console)).toBeTruthy();
    known.forget("tb_console");
    // The stranger tries other accounts from the same address until the address's count (4) is used up.
    const stranger = new TestBrowser(natServer.url, { localAddress: nat });
    for (let i = 0; i < 4; i++)
      expect((await stranger.login("console", `nobody${i}@example.com`, "guess")).status).toBe(401);
    expect((await stranger.login("console", "nobody9@example.com", "guess")).status).toBe(429);
    // Gus on a browser of his the account does not know: the address's count refuses it, as before.
    expect(
      (
        await new TestBrowser(natServer.url, { localAddress: nat }).login(
          "console",
          "gus@example.com",
          PASSWORD,
        )
      ).status,
    ).toBe(429);
    // His known browser is counted by its own count only.
    expect((await known.login("console", "gus@example.com", PASSWORD)).status).toBe(303);
    // That count still holds: three wrong passwords from it, then it is refused too.
    known.forget("tb_console");
    for (let i = 0; i < 3; i++)
      expect((await known.login("console", "gus@example.com", `typo ${i}`)).status).toBe(401);
    expect((await known.login("console", "gus@example.com", PASSWORD)).status).toBe(429);
    // And the stranger is still refused by the address's count.
    expect((await stranger.login("console", "nobody8@example.com", "guess")).status).toBe(429);
  });

  it("gives an e-mailed link's portal login the same device cookie as a password login, which then counts", async () => {
    const issued = await issuePortalToken(ctx, "hal@example.com", "magic_link");
    const b = victim();
    const open = await b.submit(`/portal/login/link/open?token=${issued!.token}`, "/portal/login/link/open", {
      token: issued!.token,
    });
    expect(open.status).toBe(303);
    const line = open.setCookies.find((c) => c.startsWith(`${DEVICE.portal}=`));
    expect(line).toBeDefined();
    expect(line).toMatch(/Max-Age=7776000/);
    expect(line).toMatch(/Path=\/portal\/login/);
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Strict/);
    // The cookie is one the password login knows: a stranger's lock-out of the e-mail does not refuse it.
    b.forget("tb_portal");
    await lockOut("portal", "hal@example.com");
    expect((await b.login("portal", "hal@example.com", PASSWORD)).status).toBe(303);
  });

  // Until 2026-12-06 an account without a password got no cookie: it was bound to the password's hash.
  it("gives a link-only account's login a device cookie, void once a password is set", async () => {
    const lin = await createCustomer({
      ctx,
      input: { email: "lin@example.com", name: "Lin", country: "DE", currency: "EUR" } as never,
    });
    const issued = await issuePortalToken(ctx, "lin@example.com", "magic_link");
    const b = victim();
    const open = await b.submit(`/portal/login/link/open?token=${issued!.token}`, "/portal/login/link/open", {
      token: issued!.token,
    });
    expect(open.status).toBe(303);
    expect(b.cookie(DEVICE.portal, LOGIN.portal)).toBeTruthy();
    b.forget("tb_portal");
    // A password set afterwards voids it, as a new password voids any: a stranger's lock-out refuses it.
    await setPortalPassword({ ctx, input: { customer_id: BigInt(lin.id), password: PASSWORD } });
    await lockOut("portal", "lin@example.com");
    expect((await b.login("portal", "lin@example.com", PASSWORD)).status).toBe(429);
  });

  // Until 2026-12-06 a stranger's link requests used up the address's count and the owner's were refused 429.
  it("sends no link past the address's count to strangers, answered the same, while the owner's known device gets one", async () => {
    const mia = await createCustomer({
      ctx,
      input: { email: "mia@example.com", name: "Mia", country: "DE", currency: "EUR" } as never,
    });
    const jobs = async () =>
      (
        await handle.db
          .selectFrom("job")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .where("ordering_key", "=", "portal_link:mia@example.com")
          .executeTakeFirstOrThrow()
      ).n;
    // The owner's browser logged in by link once (a link-only account) and holds its device cookie.
    const issued = await issuePortalToken(ctx, "mia@example.com", "magic_link");
    const owner = victim();
    const open = await owner.submit(
      `/portal/login/link/open?token=${issued!.token}`,
      "/portal/login/link/open",
      { token: issued!.token },
    );
    expect(open.status).toBe(303);
    owner.forget("tb_portal");
    const stranger = attacker();
    for (let i = 0; i < 5; i++) {
      const asked = await stranger.submit("/portal/login/link", "/portal/login/link", {
        email: "mia@example.com",
      });
      expect(asked.status).toBe(200);
      expect(asked.text).toContain("If this address belongs to an account");
    }
    expect(Number(await jobs())).toBe(3); // the count (3 here): no more mail to the inbox
    const asked = await owner.submit("/portal/login/link", "/portal/login/link", {
      email: "mia@example.com",
    });
    expect(asked.status).toBe(200);
    expect(Number(await jobs())).toBe(4);
    expect(mia.id).toBeTruthy();
  });
});

/** A six-digit code that is none of those the check accepts around now (one step either side). */
async function wrongCode(secret: string): Promise<string> {
  const now = Date.now();
  const near = await Promise.all(
    [-60, -30, 0, 30, 60].map((s) => totpCodeAt(secret, new Date(now + s * 1000))),
  );
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, "0");
    if (!near.includes(code)) return code;
  }
}
