import { sql } from "kysely";
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
import { totpCodeAt } from "../services/staff/totp.ts";
import { TestBrowser } from "./testing/test-browser.ts";

// A console login's two-factor step must not come out with a session when a password reset landed after its
// password step: the reset ends every session of the user, the pending one too, and a full session written
// after it, on the strength of the old password, outlived it (docs/security.md, "Sessions").

const DATABASE_URL = process.env["DATABASE_URL"];
const onPostgres = DATABASE_URL !== undefined;
// The login counts in the database (login_count), as on every PostgreSQL install: the test holds one of them.
const file = serverPerFile({ LOGIN_FAILURES_PER_IP: 100, ...(onPostgres ? { DATABASE_URL } : {}) });
const OLD = "the old staff password";
const NEW = "the new staff password";
const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

describe("a console two-factor code racing a password reset", () => {
  // Two connections at once: PGlite has one, so this runs on PostgreSQL only (the `db` project with DATABASE_URL).
  it.skipIf(!onPostgres)(
    "gets no session when the reset lands after the pending session was read",
    async () => {
      const ctx = systemContext(
        file.handle,
        parseConfig({ LOG_LEVEL: "silent" }),
        pino({ level: "silent" }),
        actors.cli(),
      );
      const user = await createStaffUser({
        ctx,
        input: { email: "code-race@example.com", role: "admin", password: OLD },
      });
      await file.handle.db
        .updateTable("staff_user")
        .set({ totp_secret: SECRET, totp_enabled_at: new Date() })
        .where("id", "=", user.id)
        .execute();
      const attacker = new TestBrowser(file.server.url);
      expect((await attacker.login("console", "code-race@example.com", OLD)).location).toBe(
        "/console/login/code",
      );
      const codePage = await attacker.request("GET", "/console/login/code");
      const csrf = /name="_csrf" value="([^"]+)"/.exec(codePage.text)![1]!;
      let step: ReturnType<TestBrowser["request"]> | undefined;
      await file.handle.db.transaction().execute(async (trx) => {
        // The address's login count (written by the password step) held: the code step reads its pending session,
        // then waits here, before its code is checked and its session written.
        await sql`SELECT key FROM login_count WHERE key LIKE 'login-ip:%' FOR UPDATE`.execute(trx);
        const holder = await backendPid(trx);
        let settled = false;
        step = attacker.request("POST", "/console/login/code", {
          _csrf: csrf,
          code: await totpCodeAt(SECRET, new Date()),
        });
        step.then(
          () => (settled = true),
          () => (settled = true),
        );
        await waitUntil(
          "the code step to wait for the login count",
          async () => settled || (await lockWaitersOf(file.handle.db, holder)) > 0,
        );
        expect(settled, "the code step waited for the count").toBe(false);
        // The reset lands whole meanwhile: the new hash stored and every session, the pending one too, ended.
        await setStaffPassword({ ctx, input: { id: user.id, password: NEW } });
      });
      const answer = await step!;
      const home = await attacker.request("GET", "/console");
      expect(home.status, "the console with whatever session the code step gave").toBe(303);
      expect(home.location).toMatch(/^\/console\/login/);
      expect(answer.status, "the code step's answer").toBe(303);
      expect(answer.location).toMatch(/^\/console\/login/);
      const owner = new TestBrowser(file.server.url);
      expect((await owner.login("console", "code-race@example.com", NEW)).location).toBe(
        "/console/login/code",
      );
    },
  );
});
