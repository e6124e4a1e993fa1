import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import { systemContext } from "../../app/database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { beginTotpEnrolment, confirmTotpEnrolment } from "../../services/staff/staff-login.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";
import { totpCodeAt } from "../../services/staff/totp.ts";
import { readSession, startSession } from "../../services/staff/web-sessions.ts";
import { ConsoleClient, textOf } from "./customer-test-client.ts";

// The settings page's staff repairs over real HTTP: two-factor login off, a one-time password, enable after
// disable, each behind a confirmation page, refused to those who may not, and each saying when there was
// nothing to do.

const PASSWORD = "console owner password";
let handle: DatabaseHandle;
let server: TestServer;
let ctx: ServiceContext;
let owner: ConsoleClient;
let admin: ConsoleClient;
let ownerId: string;
let supportId: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  ctx = systemContext(handle, parseConfig({ LOG_LEVEL: "silent" }), pino({ level: "silent" }), actors.cli());
  const make = async (email: string, role: "owner" | "admin" | "support") =>
    (await createStaffUser({ ctx, input: { email, role, password: PASSWORD } })).id;
  ownerId = await make("owner@example.com", "owner");
  await make("admin@example.com", "admin");
  supportId = await make("support@example.com", "support");
  const asSupport = { ...ctx, actor: actors.staff(supportId) };
  const { secret } = await beginTotpEnrolment({ ctx: asSupport, input: {} });
  await confirmTotpEnrolment({ ctx: asSupport, input: { code: await totpCodeAt(secret, new Date()) } });
  owner = await ConsoleClient.logIn(server.url, "owner@example.com", PASSWORD);
  admin = await ConsoleClient.logIn(server.url, "admin@example.com", PASSWORD);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

const notice = async (location: string | null) =>
  (await owner.get(location!)).text.match(/<p class="notice" role="status">([^<]*)<\/p>/)?.[1];

describe("staff repairs on the settings page", () => {
  it("turns a user's two-factor login off after a confirmation, ending their sessions", async () => {
    const path = `/console/settings/staff/${supportId}/two-factor`;
    expect((await owner.get("/console/settings")).text).toContain(`href="${path}"`);
    const { token } = await startSession(ctx, { kind: "staff", staffUserId: supportId });
    const confirm = await owner.get(path);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain("Turn off two-factor login");
    const off = await owner.submit(path, path);
    expect(off).toMatchObject({ status: 303, location: "/console/settings?notice=two_factor_off" });
    expect(await notice(off.location)).toContain("Two-factor login is off");
    expect(await readSession(ctx, token, "staff")).toBeUndefined();
    const again = await owner.submit(path, path);
    expect(again.location).toBe("/console/settings?notice=two_factor_already_off");
    expect(await notice(again.location)).toBe(
      "Two-factor login was already off for the user; nothing changed.",
    );
    // Without a second factor the password alone logs in.
    await ConsoleClient.logIn(server.url, "support@example.com", PASSWORD);
  });

  it("gives a user a one-time password shown once, which logs in; the old one no longer does", async () => {
    const path = `/console/settings/staff/${supportId}/password`;
    // Post/Redirect/Get: the password is shown on the settings page the form sends to, once.
    const posted = await owner.submit(path, path);
    expect(posted).toMatchObject({ status: 303, location: "/console/settings" });
    const answer = await owner.get(posted.location!);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const password = textOf(answer.text, "reset-password")!;
    expect(textOf((await owner.get("/console/settings")).text, "reset-password")).toBeUndefined();
    expect(password).toHaveLength(24);
    expect(answer.text).toContain("New password for support@example.com");
    // It logs in, to the change-password page: someone else has seen it (migration 034).
    const support = new ConsoleClient(server.url);
    const login = await support.submit("/console/login", "/console/login", {
      email: "support@example.com",
      password,
    });
    expect(login).toMatchObject({ status: 303, location: "/console/account/password" });
    const old = await new ConsoleClient(server.url).submit("/console/login", "/console/login", {
      email: "support@example.com",
      password: PASSWORD,
    });
    expect(old.status).toBe(401);
    // An admin may not reset an owner's password; support may reset nobody's.
    const ownerPath = `/console/settings/staff/${ownerId}/password`;
    expect((await admin.submit(ownerPath, ownerPath)).status).toBe(403);
    // Until support has chosen a password of their own, the form is not even run: the change page first.
    expect(await support.submit(path, path)).toMatchObject({
      status: 303,
      location: "/console/account/password",
    });
    const chosen = "support's own new password";
    await support.submit("/console/account/password", "/console/account/password", {
      current_password: password,
      new_password: chosen,
      new_password_again: chosen,
    });
    const again = await ConsoleClient.logIn(server.url, "support@example.com", chosen);
    expect((await again.submit(path, path)).status).toBe(403);
  });

  it("enables a disabled user, and says so when a user already was disabled or enabled", async () => {
    const disable = `/console/settings/staff/${supportId}/disable`;
    const enable = `/console/settings/staff/${supportId}/enable`;
    expect((await owner.submit(disable, disable)).location).toBe("/console/settings?notice=disabled");
    const twice = await owner.submit(disable, disable);
    expect(twice.location).toBe("/console/settings?notice=already_disabled");
    expect(await notice(twice.location)).toBe("The user was already disabled; nothing changed.");
    expect((await owner.get("/console/settings")).text).toContain(`href="${enable}"`);
    expect((await owner.submit(enable, enable)).location).toBe("/console/settings?notice=enabled");
    expect((await owner.submit(enable, enable)).location).toBe("/console/settings?notice=already_enabled");
    const row = await handle.db
      .selectFrom("staff_user")
      .select("disabled_at")
      .where("id", "=", supportId)
      .executeTakeFirstOrThrow();
    expect(row.disabled_at).toBeNull();
  });

  it("names the user each confirmation is about, and has none for an id that is no user", async () => {
    // Until 2026-12-05 each asked "The staff user stf_… …?" and confirmed even an id that was no one's.
    for (const repair of ["disable", "enable", "two-factor", "password"]) {
      const confirm = await owner.get(`/console/settings/staff/${supportId}/${repair}`);
      expect(confirm.status, repair).toBe(200);
      expect(confirm.text, repair).toContain("support@example.com");
      expect(confirm.text, repair).not.toContain(`staff user ${supportId}`);
      const nobody = await owner.get(`/console/settings/staff/stf_00000000/${repair}`);
      expect(nobody.status, repair).toBe(404);
      expect(nobody.text, repair).not.toContain('type="submit" class="danger"');
    }
  });
});
