import { describe, expect, it } from "vitest";
import { backendPid, lockWaitersOf } from "../../../test/helpers/lock-waiters.ts";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import { storePortalPassword } from "../../services/portal-accounts/portal-accounts.ts";
import { TestBrowser } from "../testing/test-browser.ts";
import { operatorContext, PORTAL_PASSWORD, portalCustomer } from "./testing/portal-fixtures.ts";

// A password login that checked the old password while a new one was being stored (a reset link, the profile
// page, staff) must not come out with a session: the change ends every session of the customer, and one
// started just after that, on the strength of the old password, outlived it. An attacker holding the old
// password and logging in over and over kept a session through the owner's reset.

const file = serverPerFile({ LOGIN_FAILURES_PER_IP: 100 });
const onPostgres = process.env["DATABASE_URL"] !== undefined;
const NEW_PASSWORD = "a brand new portal password";

describe("a portal login racing a password change", () => {
  // Two connections at once: PGlite has one, so this runs on PostgreSQL only (the `db` project with DATABASE_URL).
  it.skipIf(!onPostgres)("with the old password gets no session once the new one is stored", async () => {
    const customer = await portalCustomer(file.handle, {
      email: "race@example.com",
      name: "Race",
      dueDate: "2099-01-01",
      single: true,
    });
    const attacker = new TestBrowser(file.server.url);
    let login: ReturnType<TestBrowser["login"]> | undefined;
    let settled = false;
    await file.handle.db.transaction().execute(async (trx) => {
      // The change, not yet committed: the new hash stored, every session ended, the links retired.
      await storePortalPassword({ ...operatorContext(file.handle), db: trx }, customer.id, NEW_PASSWORD);
      const holder = await backendPid(trx);
      login = attacker.login("portal", customer.email, PORTAL_PASSWORD);
      login.then(
        () => (settled = true),
        () => (settled = true),
      );
      // The login either finishes (it never looked at the change) or waits for it; either way the change
      // commits only then, as it would a moment after a login that read the old hash.
      await waitUntil(
        "the login to finish or to wait for the password change",
        async () => settled || (await lockWaitersOf(file.handle.db, holder)) > 0,
      );
    });
    const answer = await login!;
    const home = await attacker.request("GET", "/portal");
    expect(home.status, "the portal with whatever session the login gave").toBe(303);
    expect(home.location).toMatch(/^\/portal\/login/);
    expect(answer.status, "the login's answer").toBe(401);
    expect(answer.text).toContain("Wrong e-mail or password.");
    // The new password logs in.
    const owner = new TestBrowser(file.server.url);
    expect((await owner.login("portal", customer.email, NEW_PASSWORD)).location).toBe("/portal");
  });
});
