import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { commandsOnSharedDatabase } from "./helpers/tokenbill-command.ts";

// `tokenbill staff …` repairs an account from the host, as the only owner locked out needs: a new password,
// two-factor login off, enable after disable; and a repeated disable or enable says there was nothing to do.

// The commands share one database, held by this test as a running serve holds it (one process each is costly).
const { data, tokenbill } = commandsOnSharedDatabase();

/** Runs `staff create` and returns the new user's id. */
async function createStaff(email: string, role: string, ...more: string[]): Promise<string> {
  const created = await tokenbill("staff", "create", "--email", email, "--role", role, ...more);
  expect(created.code).toBe(0);
  return /^id:\s+(stf_[0-9a-f]+)$/m.exec(created.stdout)![1]!;
}

// Each command is a process of its own on two shared cores: hence the longer limits. The tests run at once:
// each works on staff users of its own, and their commands, mostly starting up, overlap.
describe.concurrent("tokenbill staff", () => {
  it("turns a lost phone's two-factor login off and resets a password to a one-time one", async () => {
    const id = await createStaff("only-owner@example.com", "owner", "--password", "the owner's old password");
    // The owner enrolled a phone, then lost it (enrolment itself is a console page).
    await sql`UPDATE staff_user SET totp_secret = 'JBSWY3DPEHPK3PXP', totp_enabled_at = now() WHERE id = ${id}`.execute(
      data().handle.db,
    );
    expect(await tokenbill("staff", "reset-2fa", id)).toMatchObject({
      code: 0,
      stdout: `two-factor login of ${id} turned off; their sessions have ended\n`,
    });
    const reset = await tokenbill("staff", "reset-password", id);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(
      new RegExp(`^password of ${id} reset; their sessions have ended\\npassword: [A-Za-z0-9_-]{24}\\n`),
    );
  }, 120_000);

  it("prints a new user and its one-time password as JSON with --json, the password on stdout only", async () => {
    const created = await tokenbill(
      "staff",
      "create",
      "--email",
      "json@example.com",
      "--role",
      "billing",
      "--json",
    );
    expect([created.code, created.stderr]).toEqual([0, ""]);
    const user = JSON.parse(created.stdout);
    expect(user).toMatchObject({ email: "json@example.com", role: "billing", disabled_at: null });
    expect(user.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const list = await tokenbill("staff", "list", "--json");
    expect(JSON.parse(list.stdout).data).toContainEqual(
      expect.objectContaining({ id: user.id, role: "billing", must_change_password: true }),
    );
  }, 120_000);

  it("refuses a second staff user with an e-mail already taken, in words, not the index's name", async () => {
    await createStaff("twice@example.com", "support");
    const again = await tokenbill("staff", "create", "--email", "TWICE@example.com", "--role", "support");
    // It said "staff user twice@example.com already exists (staff_user_email_unique)".
    expect([again.code, again.stdout, again.stderr]).toEqual([
      4,
      "",
      "error: a staff user with this e-mail already exists: twice@example.com\n",
    ]);
  }, 120_000);

  it("enables a disabled user, and says so when a user already was disabled or enabled", async () => {
    const id = await createStaff("helper@example.com", "support");
    expect(await tokenbill("staff", "disable", id)).toMatchObject({ code: 0, stdout: `disabled ${id}\n` });
    expect(await tokenbill("staff", "disable", id)).toMatchObject({
      code: 0,
      stdout: `${id} was already disabled\n`,
    });
    expect(await tokenbill("staff", "enable", id)).toMatchObject({ code: 0, stdout: `enabled ${id}\n` });
    expect(await tokenbill("staff", "enable", id)).toMatchObject({
      code: 0,
      stdout: `${id} was already enabled\n`,
    });
    const list = await tokenbill("staff", "list");
    // A table with its header row, as every list the command prints (it had none until 2026-12).
    expect(list.stdout).toMatch(/^Id +E-mail +Role +State +2FA +Must change password\n-+ +-+/);
    // Made without --password: its generated password must be changed at the first login (migration 034).
    expect(list.stdout).toMatch(new RegExp(`^${id} +helper@example\\.com +support +active +off +yes$`, "m"));
  }, 120_000);

  it("revokes the API keys a disabled admin created and says how many", async () => {
    const id = await createStaff("leaving-admin@example.com", "admin");
    // The admin made a key in the console (a console page, so written here as the console writes it).
    await sql`INSERT INTO api_key (id, name, key_hash, created_at, created_by)
              VALUES ('key_0a0b0c0d0e0f', 'backup', 'h', now(), ${`staff:${id}`})`.execute(data().handle.db);
    expect(await tokenbill("staff", "disable", id)).toMatchObject({
      code: 0,
      stdout: `disabled ${id}\n1 API key they created revoked: key_0a0b0c0d0e0f\n`,
    });
    const list = await tokenbill("apikey", "list");
    expect(list.stdout).toMatch(
      // The creator is named as the console names it (nameActors), not by the audit label staff:stf_…; the
      // row names no role, so it has the column's default (admin, migration 045).
      /^key_0a0b0c0d0e0f +tbk_0a0b0c0d0e0f +backup +admin +revoked \S+ +never +leaving-admin@example\.com$/m,
    );
  }, 120_000);
});
