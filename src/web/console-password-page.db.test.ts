import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PageAnswer, PageClient } from "../../test/helpers/page-client.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { actors } from "../kernel/actor.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { createApiKey } from "../services/api-keys/api-keys.ts";
import { setStaffPassword } from "../services/staff/staff-repairs.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { readSession } from "../services/staff/web-sessions.ts";

// The console's change-password page over real HTTP, and the demand to change a generated password: a user
// made without a password (or given a generated one by a reset) is sent to the page by every console page
// but logout and the assets, after login too; the change ends their other sessions and renews this one.

const CHOSEN = "a password the owner chose";
const PAGE = "/console/account/password";
let handle: DatabaseHandle;
let server: TestServer;
let ctx: ServiceContext;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, { LOGIN_FAILURES_PER_IP: 1000, LOGIN_FAILURES_PER_EMAIL: 1000 });
  ctx = systemContext(handle, parseConfig({ LOG_LEVEL: "silent" }), pino({ level: "silent" }), actors.cli());
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: CHOSEN } });
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const flagOf = async (id: string) =>
  (
    await handle.db
      .selectFrom("staff_user")
      .select("must_change_password")
      .where("id", "=", id)
      .executeTakeFirstOrThrow()
  ).must_change_password;

/** Logs in through the form, however the login ends. */
const logIn = async (email: string, password: string, next?: string) => {
  const client = new PageClient(server.url);
  const login = next === undefined ? "/console/login" : `/console/login?next=${encodeURIComponent(next)}`;
  const answer = await client.submit(login, "/console/login", {
    email,
    password,
    ...(next === undefined ? {} : { next }),
  });
  return { client, answer };
};

const change = (client: PageClient, fields: Record<string, string>, page = PAGE) =>
  client.submit(page, PAGE, fields);

const errorOf = (answer: PageAnswer, field: string) =>
  new RegExp(`id="${field}-error">([^<]*)<`).exec(answer.text)?.[1];

/** A new staff user with a generated password, as `tokenbill staff create` without --password makes one. */
const generated = async (email: string, role: "admin" | "support" = "support") => {
  const user = await createStaffUser({ ctx, input: { email, role } });
  return { id: user.id, password: user.password! };
};

describe("a generated password", () => {
  it("is flagged by staff create and an administrator's reset, and not when a password is given", async () => {
    const made = await generated("made@example.com");
    expect(await flagOf(made.id)).toBe(true);
    const chosen = await createStaffUser({
      ctx,
      input: { email: "chosen@example.com", role: "support", password: CHOSEN },
    });
    expect(await flagOf(chosen.id)).toBe(false);
    await setStaffPassword({ ctx, input: { id: chosen.id } });
    expect(await flagOf(chosen.id)).toBe(true);
    // A password given by the operator (the user's own, as the sandbox's) clears the demand.
    await setStaffPassword({ ctx, input: { id: chosen.id, password: CHOSEN } });
    expect(await flagOf(chosen.id)).toBe(false);
  });

  it("sends the login and every console page but logout and the assets to the change-password page", async () => {
    const user = await generated("first@example.com");
    const { client, answer } = await logIn(
      "first@example.com",
      user.password,
      "/console/invoices?status=paid",
    );
    expect(answer).toMatchObject({
      status: 303,
      location: `${PAGE}?next=${encodeURIComponent("/console/invoices?status=paid")}`,
    });
    expect(await client.get("/console")).toMatchObject({ status: 303, location: PAGE });
    expect(await client.get("/console/customers")).toMatchObject({
      status: 303,
      location: `${PAGE}?next=%2Fconsole%2Fcustomers`,
    });
    expect(await client.get("/console/account")).toMatchObject({ status: 303 });
    // A form's POST too: nothing runs, the browser is sent to the page.
    const home = await client.get(PAGE);
    expect(home.status).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(home.text)![1]!;
    const posted = await client.request("POST", "/console/account/totp/start", { _csrf: csrf });
    expect(posted).toMatchObject({ status: 303, location: PAGE });
    const totp = await handle.db
      .selectFrom("staff_user")
      .select("totp_secret")
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(totp.totp_secret).toBeNull();
    for (const asset of ["/console/assets/submit-once.js", "/console/assets/follow-page.js"])
      expect((await client.get(asset)).status, asset).toBe(200);
    // The page itself has no navigation to pages that would not open, and names the account.
    expect(home.text).not.toContain('aria-label="Console"');
    expect(home.text).toMatch(
      /<input id="username" type="text" autocomplete="username" value="first@example.com" readonly>/,
    );
    expect(await client.submit(PAGE, "/console/logout")).toMatchObject({
      status: 303,
      location: "/console/login?notice=logged_out",
    });
    expect(await client.get(PAGE)).toMatchObject({
      status: 303,
      location: "/console/login?next=%2Fconsole%2Faccount%2Fpassword",
    });
  });

  it("leaves the admin API with the user's API keys as it was: keys are not passwords", async () => {
    const admin = await generated("keymaker@example.com", "admin");
    const { key } = await createApiKey({
      ctx: { ...ctx, actor: actors.staff(admin.id) },
      input: { name: "made while flagged" },
    });
    const answer = await fetch(`${server.url}/api/v1/customers`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(answer.status).toBe(200);
  });

  it("ends the demand, the user's other sessions and this session's old id once changed", async () => {
    const user = await generated("second@example.com");
    const other = await logIn("second@example.com", user.password);
    const { client } = await logIn("second@example.com", user.password, "/console/customers");
    const oldToken = client.cookies.value("tb_console", "/console")!;
    const done = await change(
      client,
      {
        current_password: user.password,
        new_password: CHOSEN,
        new_password_again: CHOSEN,
        next: "/console/customers",
      },
      `${PAGE}?next=%2Fconsole%2Fcustomers`,
    );
    // The page the login was for, with a renewed session (the old id ended with the others).
    expect(done).toMatchObject({ status: 303, location: "/console/customers" });
    expect(client.cookies.value("tb_console", "/console")).not.toBe(oldToken);
    expect(await readSession(ctx, oldToken, "staff")).toBeUndefined();
    expect((await client.get("/console/customers")).status).toBe(200);
    expect(await other.client.get("/console")).toMatchObject({ status: 303, location: "/console/login" });
    expect(await flagOf(user.id)).toBe(false);
    // The new password logs in straight to the console; the generated one no longer does.
    expect((await logIn("second@example.com", CHOSEN)).answer).toMatchObject({
      status: 303,
      location: "/console",
    });
    expect((await logIn("second@example.com", user.password)).answer.status).toBe(401);
  });
});

describe("the change-password page", () => {
  it("is on the account page's way for everyone, and renews the session after a change", async () => {
    const { client } = await logIn("owner@example.com", CHOSEN);
    const other = await logIn("owner@example.com", CHOSEN);
    const page = await client.get(PAGE);
    expect(page.status).toBe(200);
    expect(page.text).toContain('aria-label="Console"');
    expect(page.text).toMatch(/<label for="current_password">Current password<\/label>/);
    expect(page.text).toMatch(
      /<input id="current_password" name="current_password" type="password" autocomplete="current-password"/,
    );
    expect(page.text).toMatch(
      /<input id="new_password" name="new_password" type="password" autocomplete="new-password"/,
    );
    expect(page.text).toMatch(
      /<input id="new_password_again" name="new_password_again" type="password" autocomplete="new-password"/,
    );
    expect((await client.get("/console/account")).text).toContain(`href="${PAGE}"`);
    const next = "a new password for the owner";
    const done = await change(client, {
      current_password: CHOSEN,
      new_password: next,
      new_password_again: next,
    });
    expect(done).toMatchObject({ status: 303, location: "/console/account?notice=own_password_changed" });
    expect((await client.get(done.location!)).text).toContain(
      "Your password is changed. Your sessions on other devices have ended.",
    );
    expect(await other.client.get("/console")).toMatchObject({ status: 303 });
    // Back as it was, for the other tests.
    await change(client, { current_password: next, new_password: CHOSEN, new_password_again: CHOSEN });
  });

  it("says what is wrong beside each field, in the error summary, and changes nothing", async () => {
    const { client } = await logIn("owner@example.com", CHOSEN);
    const empty = await change(client, {});
    expect(empty.status).toBe(400);
    expect(empty.text).toContain("<title>Error: Change your password");
    expect(empty.text).toContain('class="alert error-summary"');
    expect(errorOf(empty, "current_password")).toBe("Enter your current password.");
    expect(errorOf(empty, "new_password")).toBe("Enter a new password.");
    expect(errorOf(empty, "new_password_again")).toBe("Enter the new password again.");
    const cases: [Record<string, string>, string, string][] = [
      [
        {
          current_password: CHOSEN,
          new_password: "one long password",
          new_password_again: "another long one",
        },
        "new_password_again",
        "This is not the same as the new password: type it again.",
      ],
      [
        {
          current_password: "not the password",
          new_password: "a fine new password",
          new_password_again: "a fine new password",
        },
        "current_password",
        "This is not your current password.",
      ],
      [
        { current_password: CHOSEN, new_password: "short", new_password_again: "short" },
        "new_password",
        "The new password must be at least 12 characters.",
      ],
      [
        { current_password: CHOSEN, new_password: "x".repeat(201), new_password_again: "x".repeat(201) },
        "new_password",
        "The new password must be at most 200 characters.",
      ],
      [
        {
          current_password: CHOSEN,
          new_password: "tab\tin the password",
          new_password_again: "tab\tin the password",
        },
        "new_password",
        "The new password must not hold a control character (such as a tab or a line break).",
      ],
      [
        { current_password: CHOSEN, new_password: CHOSEN, new_password_again: CHOSEN },
        "new_password",
        "The new password must differ from the current password.",
      ],
    ];
    for (const [fields, field, message] of cases) {
      const answer = await change(client, fields);
      expect(answer.status, message).toBe(400);
      expect(errorOf(answer, field), message).toBe(message);
      expect(answer.text).toMatch(new RegExp(`<a href="#${field}">`));
      // Nothing typed is echoed back into the page.
      expect(answer.text).not.toContain(fields["new_password"]!.slice(0, 12));
    }
    expect((await logIn("owner@example.com", CHOSEN)).answer.location).toBe("/console");
  });

  it("refuses a form without its CSRF token and a request without a session", async () => {
    const { client } = await logIn("owner@example.com", CHOSEN);
    const forged = await client.request("POST", PAGE, {
      current_password: CHOSEN,
      new_password: "a forged new password",
      new_password_again: "a forged new password",
    });
    expect(forged.status).toBe(403);
    const nobody = new PageClient(server.url);
    expect((await nobody.request("POST", PAGE, { current_password: CHOSEN })).status).toBe(401);
    expect((await logIn("owner@example.com", CHOSEN)).answer.location).toBe("/console");
  });
});
