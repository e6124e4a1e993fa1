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
import { issuePortalToken, resetPortalPassword } from "../services/portal-accounts/portal-tokens.ts";
import { changePortalPassword } from "../services/portal/portal-profile.ts";
import { changeOwnStaffPassword } from "../services/staff/change-own-password.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { TestBrowser } from "./testing/test-browser.ts";

// Where known-device cookies (login-device.ts) reach and what voids them, over real HTTP with the test
// browser, which sends a cookie only to its Path, as a real one does: "log out everywhere" voids every device
// cookie of the person on both faces (a link-only customer's too), every kind of password change voids them,
// and the portal's reset request carries the cookie and is counted by the device, so a stranger who used up
// the address's count of reset requests does not keep its owner from a reset link.

let handle: DatabaseHandle;
let server: TestServer;
let ctx: ReturnType<typeof systemContext>;
const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a new battery staple";
const DEVICE = { console: "tb_console_device", portal: "tb_portal_device" } as const;
const SESSION = { console: "tb_console", portal: "tb_portal" } as const;

// Each browser on its own local address: the app sees it as request.ip.
const stranger = () => new TestBrowser(server.url, { localAddress: "127.0.0.1" });
const owner = () => new TestBrowser(server.url, { localAddress: "127.0.0.2" });

/** A browser of the owner's that logged in once and keeps its device cookie, its session dropped. */
async function knownBrowser(face: "console" | "portal", email: string, password = PASSWORD) {
  const b = owner();
  expect((await b.login(face, email, password)).status).toBe(303);
  expect(b.has(DEVICE[face])).toBe(true);
  b.forget(SESSION[face]);
  return b;
}

/** Uses up the e-mail's count of wrong logins (3 here) from the stranger's address. */
async function lockOut(face: "console" | "portal", email: string) {
  const s = stranger();
  for (let i = 0; i < 3; i++) expect((await s.login(face, email, `wrong ${i}`)).status).toBe(401);
  expect((await s.login(face, email, PASSWORD)).status).toBe(429);
}

/** Logs in from a fresh browser and logs out everywhere from it. */
async function logOutEverywhere(face: "console" | "portal", email: string) {
  const b = owner();
  expect((await b.login(face, email, PASSWORD)).status).toBe(303);
  const page = face === "console" ? "/console/account" : "/portal/profile";
  const done = await b.submit(page, `/${face}/logout-everywhere`, {});
  expect(done.status).toBe(303);
  expect(done.location).toMatch(/notice=logged_out_everywhere/);
}

async function customer(email: string, password?: string) {
  const c = await createCustomer({
    ctx,
    input: { email, name: email.split("@")[0], country: "DE", currency: "EUR" } as never,
  });
  if (password) await setPortalPassword({ ctx, input: { customer_id: BigInt(c.id), password } });
  return BigInt(c.id);
}

/** How many link mails (login or reset) were asked for this address. */
async function linkJobs(email: string) {
  const row = await handle.db
    .selectFrom("job")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("ordering_key", "=", `portal_link:${email}`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Opens an e-mailed login link in the browser (a link-only account's login), its session kept or not. */
async function openLink(b: TestBrowser, email: string, keepSession = false) {
  const issued = await issuePortalToken(ctx, email, "magic_link");
  const open = await b.submit(`/portal/login/link/open?token=${issued!.token}`, "/portal/login/link/open", {
    token: issued!.token,
  });
  expect(open.status).toBe(303);
  if (!keepSession) b.forget(SESSION.portal);
}

beforeAll(async () => {
  handle = await createTestDatabase();
  const url = process.env["DATABASE_URL"];
  server = await startTestServer(handle.db, {
    LOGIN_FAILURES_PER_EMAIL: 3,
    LOGIN_FAILURES_PER_IP: 100,
    ...(url ? { DATABASE_URL: url } : {}),
  });
  ctx = systemContext(handle, parseConfig({ LOG_LEVEL: "silent" }), pino({ level: "silent" }), actors.cli());
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

describe("where a device cookie reaches", () => {
  it("is given on the portal's login and reset request paths, the console's login only, never the whole face", async () => {
    await customer("pia@example.com", PASSWORD);
    await createStaffUser({ ctx, input: { email: "pat@example.com", role: "owner", password: PASSWORD } });
    const portal = await owner().login("portal", "pia@example.com", PASSWORD);
    const portalPaths = [portal.setCookies]
      .flat()
      .filter((line) => line.startsWith(`${DEVICE.portal}=`))
      .map((line) => /Path=([^;]+)/.exec(line)?.[1]);
    expect(portalPaths.sort()).toEqual(["/portal/login", "/portal/password-reset"]);
    const console = await owner().login("console", "pat@example.com", PASSWORD);
    const consolePaths = [console.setCookies]
      .flat()
      .filter((line) => line.startsWith(`${DEVICE.console}=`))
      .map((line) => /Path=([^;]+)/.exec(line)?.[1]);
    expect(consolePaths).toEqual(["/console/login"]);
  });

  // Until 2026-12-06 the cookie's path was the login's: a reset request never carried it.
  it("counts a reset request from the owner's known device by the device: the stranger's count does not stop it", async () => {
    await customer("rae@example.com", PASSWORD);
    const known = await knownBrowser("portal", "rae@example.com");
    const s = stranger();
    for (let i = 0; i < 5; i++) {
      const asked = await s.submit("/portal/password-reset", "/portal/password-reset", {
        email: "rae@example.com",
      });
      expect(asked.status).toBe(200);
      expect(asked.text).toContain("If this address belongs to an account");
    }
    expect(await linkJobs("rae@example.com")).toBe(3); // the address's count (3 here)
    // Another browser of the owner's that the account does not know is still held to the address's count.
    await owner().submit("/portal/password-reset", "/portal/password-reset", { email: "rae@example.com" });
    expect(await linkJobs("rae@example.com")).toBe(3);
    const asked = await known.submit("/portal/password-reset", "/portal/password-reset", {
      email: "rae@example.com",
    });
    expect(asked.status).toBe(200);
    expect(asked.text).toContain("If this address belongs to an account");
    expect(await linkJobs("rae@example.com")).toBe(4);
  });

  // The reset request's copy (Path /portal/password-reset) goes with the reset link's page and form as well,
  // which are under that path: they read no device cookie, renew none and show none, and the new password
  // voids it as any new password does.
  it("goes with the reset link's page and form too, which neither read it, renew it nor show it", async () => {
    await customer("kit@example.com", PASSWORD);
    const known = await knownBrowser("portal", "kit@example.com");
    const value = known.cookie(DEVICE.portal, "/portal/password-reset")!;
    expect(known.cookie(DEVICE.portal, "/portal/password-reset/new")).toBe(value);
    const [deviceId, , mac] = value.split(".");
    const token = (await issuePortalToken(ctx, "kit@example.com", "password_reset"))!.token;
    const page = `/portal/password-reset/new?token=${encodeURIComponent(token)}`;
    const answers = [
      await known.request("GET", page),
      await known.submit(page, "/portal/password-reset/new", { token, password: "short" }),
      await known.submit(page, "/portal/password-reset/new", { token, password: NEW_PASSWORD }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 400, 303]);
    for (const answer of answers) {
      expect(answer.setCookies.filter((line) => line.startsWith(`${DEVICE.portal}=`))).toEqual([]);
      expect(answer.text).not.toContain(deviceId);
      expect(answer.text).not.toContain(mac);
    }
    expect(known.cookie(DEVICE.portal, "/portal/login")).toBe(value);
    await lockOut("portal", "kit@example.com");
    expect((await known.login("portal", "kit@example.com", NEW_PASSWORD)).status).toBe(429);
  });
});

describe("log out everywhere", () => {
  // Until 2026-12-06 it ended the sessions only: a stolen browser kept its device standing.
  for (const [face, email] of [
    ["portal", "ola@example.com"],
    ["console", "oz@example.com"],
  ] as const)
    it(`voids every ${face} device cookie of the person, on every browser`, async () => {
      if (face === "portal") await customer(email, PASSWORD);
      else await createStaffUser({ ctx, input: { email, role: "owner", password: PASSWORD } });
      const stolen = await knownBrowser(face, email);
      const other = await knownBrowser(face, email);
      await logOutEverywhere(face, email);
      await lockOut(face, email);
      expect((await stolen.login(face, email, PASSWORD)).status).toBe(429);
      expect((await other.login(face, email, PASSWORD)).status).toBe(429);
    });

  it("gives a device its standing back at its next login after it", async () => {
    await customer("uma@example.com", PASSWORD);
    await logOutEverywhere("portal", "uma@example.com");
    const again = await knownBrowser("portal", "uma@example.com");
    await lockOut("portal", "uma@example.com");
    expect((await again.login("portal", "uma@example.com", PASSWORD)).status).toBe(303);
  });

  it("voids a link-only customer's device cookie: its link requests are counted by the address again", async () => {
    await customer("lou@example.com");
    const known = owner();
    await openLink(known, "lou@example.com");
    const ask = (b: TestBrowser) =>
      b.submit("/portal/login/link", "/portal/login/link", { email: "lou@example.com" });
    const s = stranger();
    for (let i = 0; i < 3; i++) await ask(s);
    const before = await linkJobs("lou@example.com");
    await ask(known);
    expect(await linkJobs("lou@example.com")).toBe(before + 1); // the device's own count
    // The owner logs in by link on another browser and logs out everywhere from it.
    const b = owner();
    await openLink(b, "lou@example.com", true);
    expect((await b.submit("/portal/profile", "/portal/logout-everywhere", {})).status).toBe(303);
    const after = await linkJobs("lou@example.com");
    await ask(known);
    expect(await linkJobs("lou@example.com")).toBe(after); // held to the address's count, used up
  });
});

describe("every password change", () => {
  it("voids a staff user's device cookies when they change their own password", async () => {
    const staff = await createStaffUser({
      ctx,
      input: { email: "sol@example.com", role: "owner", password: PASSWORD },
    });
    const known = await knownBrowser("console", "sol@example.com");
    await changeOwnStaffPassword({
      ctx: { ...ctx, actor: actors.staff(staff.id) },
      input: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    });
    await lockOut("console", "sol@example.com");
    expect((await known.login("console", "sol@example.com", NEW_PASSWORD)).status).toBe(429);
  });

  it("voids a customer's device cookies when they change their own password or reset it by link", async () => {
    const id = await customer("ivy@example.com", PASSWORD);
    const known = await knownBrowser("portal", "ivy@example.com");
    await changePortalPassword({
      ctx: { ...ctx, actor: actors.customer(id) },
      input: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    });
    await lockOut("portal", "ivy@example.com");
    expect((await known.login("portal", "ivy@example.com", NEW_PASSWORD)).status).toBe(429);

    const id2 = await customer("ned@example.com", PASSWORD);
    const known2 = await knownBrowser("portal", "ned@example.com");
    const reset = await issuePortalToken(ctx, "ned@example.com", "password_reset");
    expect(await resetPortalPassword(ctx, reset!.token, NEW_PASSWORD)).toBe(id2);
    await lockOut("portal", "ned@example.com");
    expect((await known2.login("portal", "ned@example.com", NEW_PASSWORD)).status).toBe(429);
  });
});
