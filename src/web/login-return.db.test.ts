import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PageClient } from "../../test/helpers/page-client.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { actors } from "../kernel/actor.ts";
import { createCustomer } from "../services/customers/customers.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import { beginTotpEnrolment, confirmTotpEnrolment } from "../services/staff/staff-login.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { totpCodeAt } from "../services/staff/totp.ts";

// A page opened without a session (a link from an e-mail or a chat, a bookmark, a session that ended) is
// where the login ends, not the home page (until 2026-12-05 every login ended on the home page); only an
// address of the same face is followed, so a link cannot send a person elsewhere after logging in.

const PASSWORD = "login return password";
let handle: DatabaseHandle;
let server: TestServer;
let totpSecret = "";

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  const ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: PASSWORD } });
  const second = await createStaffUser({
    ctx,
    input: { email: "second@example.com", role: "support", password: PASSWORD },
  });
  const asSecond = { ...ctx, actor: actors.staff(second.id) };
  totpSecret = (await beginTotpEnrolment({ ctx: asSecond, input: {} })).secret;
  await confirmTotpEnrolment({ ctx: asSecond, input: { code: await totpCodeAt(totpSecret, new Date()) } });
  const customer = await createCustomer({
    ctx,
    input: { email: "ada@example.com", country: "GB", currency: "USD" },
  });
  await setPortalPassword({ ctx, input: { customer_id: customer.id, password: PASSWORD } });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

describe("logging in from a page opened without a session", () => {
  it("ends the console's login on that page, its query string included", async () => {
    const browser = new PageClient(server.url);
    const asked = "/console/customers?status=locked";
    const gate = await browser.get(asked);
    expect(gate.status).toBe(303);
    expect(gate.location).toBe(`/console/login?next=${encodeURIComponent(asked)}`);
    const form = await browser.get(gate.location!);
    expect(form.text).toContain(`name="next" value="${asked.replace("&", "&amp;")}"`);
    const login = await browser.submit(gate.location!, "/console/login", {
      email: "owner@example.com",
      password: PASSWORD,
      next: asked,
    });
    expect(login).toMatchObject({ status: 303, location: asked });
    // The home page itself needs no detour.
    expect((await new PageClient(server.url).get("/console")).location).toBe("/console/login");
  });

  it("carries the page through the two-factor step", async () => {
    const browser = new PageClient(server.url);
    const asked = "/console/audit-log";
    const login = await browser.submit(`/console/login?next=${asked}`, "/console/login", {
      email: "second@example.com",
      password: PASSWORD,
      next: asked,
    });
    expect(login.location).toBe(`/console/login/code?next=${encodeURIComponent(asked)}`);
    const code = await browser.submit(login.location!, "/console/login/code", {
      // The next step's code: the enrolment spent this one (as web-login.db.test.ts does).
      code: await totpCodeAt(totpSecret, new Date(Date.now() + 30_000)),
      next: asked,
    });
    expect(code).toMatchObject({ status: 303, location: asked });
  });

  it("ends the portal's login on the page asked for", async () => {
    const browser = new PageClient(server.url);
    const gate = await browser.get("/portal/payments");
    expect(gate.location).toBe("/portal/login?next=%2Fportal%2Fpayments");
    const login = await browser.submit(gate.location!, "/portal/login", {
      email: "ada@example.com",
      password: PASSWORD,
      next: "/portal/payments",
    });
    expect(login).toMatchObject({ status: 303, location: "/portal/payments" });
  });

  it("follows no address outside its own face, and none that only looks like one", async () => {
    for (const next of [
      "https://evil.example/console",
      "//evil.example/console",
      "/\\evil.example",
      "/console/../portal",
      "/portal",
      "/consolex",
      "/console/logout",
      "/console/customers?q=%00",
      "/console/customers?q=%E0%A4%A",
      "javascript:alert(1)",
    ]) {
      const browser = new PageClient(server.url);
      const login = await browser.submit("/console/login", "/console/login", {
        email: "owner@example.com",
        password: PASSWORD,
        next,
      });
      expect(login.location, next).toBe("/console");
      expect((await browser.get(`/console/login?next=${encodeURIComponent(next)}`)).text, next).not.toContain(
        'name="next"',
      );
    }
  });
});
