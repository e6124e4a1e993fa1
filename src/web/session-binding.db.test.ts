import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { actors } from "../kernel/actor.ts";
import { createCustomer } from "../services/customers/customers.ts";
import { setPortalPassword } from "../services/portal-accounts/portal-accounts.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { TestBrowser } from "./testing/test-browser.ts";

// The session's side of the pages' defences, as an attacker tries them (docs/security.md, "Console and
// portal sessions"): a CSRF token works only with the session it was drawn for, even beside the same CSRF
// secret cookie; a logged-out session id is dead on the server, not just forgotten by the browser; a
// session id of one face opens nothing on the other.

let handle: DatabaseHandle;
let server: TestServer;
let customerId: bigint;
const PASSWORD = "correct horse battery";
const browser = () => new TestBrowser(server.url);

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, { LOGIN_FAILURES_PER_IP: 100 });
  const ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: PASSWORD } });
  const customer = await createCustomer({
    ctx,
    input: { email: "ada@example.com", name: "Ada", country: "DE", currency: "EUR" } as never,
  });
  customerId = BigInt(customer.id);
  await setPortalPassword({ ctx, input: { customer_id: customerId, password: PASSWORD } });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const tokenOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
const nameOfAda = async () =>
  (
    await handle.db
      .selectFrom("customer")
      .select("name")
      .where("id", "=", customerId)
      .executeTakeFirstOrThrow()
  ).name;

describe("a CSRF token", () => {
  it("drawn for another session is refused, even sent with that session's CSRF secret cookie", async () => {
    // The attacker's own session and token, and its tb_csrf cookie planted in the victim's browser.
    const attacker = browser();
    expect((await attacker.login("portal", "ada@example.com", PASSWORD)).status).toBe(303);
    const token = tokenOf((await attacker.request("GET", "/portal/profile")).text);
    const secret = attacker.cookie("tb_csrf", "/portal/profile")!;
    expect(token).not.toBe("");
    const victim = browser();
    expect((await victim.login("portal", "ada@example.com", PASSWORD)).status).toBe(303);
    victim.plant("tb_csrf", secret, "/");
    const forged = await victim.request("POST", "/portal/profile", { _csrf: token, name: "Mallory" });
    expect(forged.status).toBe(403);
    expect(await nameOfAda()).toBe("Ada");
    // The same token from its own session passes, so the 403 above is about the session.
    const own = await attacker.request("POST", "/portal/profile", { _csrf: token, name: "Ada" });
    expect(own.status).toBe(303);
  });

  it("drawn before login (on the login page) is refused once the session exists", async () => {
    const b = browser();
    const before = tokenOf((await b.request("GET", "/portal/login")).text);
    expect((await b.login("portal", "ada@example.com", PASSWORD)).status).toBe(303);
    const answer = await b.request("POST", "/portal/profile", { _csrf: before, name: "Mallory" });
    expect(answer.status).toBe(403);
    expect(await nameOfAda()).toBe("Ada");
  });
});

describe("logout", () => {
  for (const face of ["console", "portal"] as const) {
    const email = face === "console" ? "owner@example.com" : "ada@example.com";
    const cookie = face === "console" ? "tb_console" : "tb_portal";
    it(`ends the ${face} session on the server: its id sent again opens nothing`, async () => {
      const b = browser();
      expect((await b.login(face, email, PASSWORD)).status).toBe(303);
      const old = b.cookie(cookie, `/${face}`)!;
      expect((await b.request("GET", `/${face}`)).status).toBe(200);
      expect((await b.submit(`/${face}`, `/${face}/logout`, {})).status).toBe(303);
      // A copy of the id kept from before (a stolen cookie, a browser that ignored the clearing).
      const thief = browser();
      thief.plant(cookie, old, `/${face}`);
      const page = await thief.request("GET", `/${face}`);
      expect(page.status).toBe(303);
      expect(page.location).toMatch(new RegExp(`^/${face}/login`));
      expect((await thief.request("POST", `/${face}/logout`, {})).status).toBe(401);
    });
  }
});

describe("a session id", () => {
  it("of the portal opens no console page, and one of the console no portal page", async () => {
    const customer = browser();
    expect((await customer.login("portal", "ada@example.com", PASSWORD)).status).toBe(303);
    const staff = browser();
    expect((await staff.login("console", "owner@example.com", PASSWORD)).status).toBe(303);
    const crossed = browser();
    crossed.plant("tb_console", customer.cookie("tb_portal", "/portal")!, "/console");
    crossed.plant("tb_portal", staff.cookie("tb_console", "/console")!, "/portal");
    expect((await crossed.request("GET", "/console")).status).toBe(303);
    expect((await crossed.request("GET", "/portal")).status).toBe(303);
  });

  it("planted before a portal login is replaced by a new one (no session fixation)", async () => {
    const b = browser();
    b.plant("tb_portal", "planted-session-id-0123456789abcdef", "/portal");
    expect((await b.login("portal", "ada@example.com", PASSWORD)).status).toBe(303);
    expect(b.cookie("tb_portal", "/portal")).not.toBe("planted-session-id-0123456789abcdef");
    const planted = browser();
    planted.plant("tb_portal", "planted-session-id-0123456789abcdef", "/portal");
    expect((await planted.request("GET", "/portal")).status).toBe(303);
  });
});
