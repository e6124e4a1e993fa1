import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { backendPid, lockWaitersOf } from "../../test/helpers/lock-waiters.ts";
import { serverPerFile } from "../../test/helpers/server-per-file.ts";
import { waitUntil } from "../../test/helpers/wait-until.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import { actors } from "../kernel/actor.ts";
import { setStaffPassword } from "../services/staff/staff-repairs.ts";
import { createStaffUser } from "../services/staff/staff-users.ts";
import { TestBrowser } from "./testing/test-browser.ts";

// A console login that checked the old password while an administrator was setting a new one must not come
// out with a session: the reset ends every session of the user, and one started just after it, on the
// strength of the old password, outlived it (docs/security.md, "Sessions").

const file = serverPerFile({ LOGIN_FAILURES_PER_IP: 100 });
const onPostgres = process.env["DATABASE_URL"] !== undefined;
const OLD = "the old staff password";
const NEW = "the new staff password";

describe("a console login racing a password reset", () => {
  // Two connections at once: PGlite has one, so this runs on PostgreSQL only (the `db` project with DATABASE_URL).
  it.skipIf(!onPostgres)("with the old password gets no session once the new one is stored", async () => {
    const ctx = systemContext(
      file.handle,
      parseConfig({ LOG_LEVEL: "silent" }),
      pino({ level: "silent" }),
      actors.cli(),
    );
    const user = await createStaffUser({
      ctx,
      input: { email: "race@example.com", role: "admin", password: OLD },
    });
    const attacker = new TestBrowser(file.server.url);
    let login: ReturnType<TestBrowser["login"]> | undefined;
    let settled = false;
    await file.handle.db.transaction().execute(async (trx) => {
      // The reset, not yet committed: the new hash stored and every session ended.
      await setStaffPassword({ ctx: { ...ctx, db: trx }, input: { id: user.id, password: NEW } });
      const holder = await backendPid(trx);
      login = attacker.login("console", "race@example.com", OLD);
      login.then(
        () => (settled = true),
        () => (settled = true),
      );
      // The login either finishes (it never looked at the reset) or waits for it; the reset commits only then.
      await waitUntil(
        "the login to finish or to wait for the password reset",
        async () => settled || (await lockWaitersOf(file.handle.db, holder)) > 0,
      );
    });
    const answer = await login!;
    const home = await attacker.request("GET", "/console");
    expect(home.status, "the console with whatever session the login gave").toBe(303);
    expect(home.location).toMatch(/^\/console\/login/);
    expect(answer.status, "the login's answer").toBe(401);
    expect(answer.text).toContain("Wrong e-mail or password.");
    const owner = new TestBrowser(file.server.url);
    expect((await owner.login("console", "race@example.com", NEW)).location).toBe("/console");
  });
});
