import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendPid, lockWaitersOf } from "../../../test/helpers/lock-waiters.ts";
import { createTestDatabase, type TestDatabase } from "../../../test/helpers/test-database.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import { actors } from "../../kernel/actor.ts";
import {
  operatorContext,
  PORTAL_PASSWORD,
  portalCustomer,
} from "../../web/portal/testing/portal-fixtures.ts";
import { storePortalPassword } from "../portal-accounts/portal-accounts.ts";
import { verifyPassword } from "../staff/passwords.ts";
import { changePortalPassword } from "./portal-profile.ts";

// A customer's change of password checks the current one and then stores the new one: a change by someone
// else landing in between (the owner's reset link, staff) must not be overwritten by it. Whoever held a
// session and the old password took the account back from the owner's reset that way.

let handle: TestDatabase;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => {
  await handle?.close();
});
const onPostgres = process.env["DATABASE_URL"] !== undefined;
const OWNERS = "the owner's new password";
const OTHERS = "the other one's password";

describe("a portal password change racing another change", () => {
  // Two connections at once: PGlite has one, so this runs on PostgreSQL only (the `db` project with DATABASE_URL).
  it.skipIf(!onPostgres)("with the password checked before the other was stored is refused", async () => {
    const customer = await portalCustomer(handle, {
      email: "change-race@example.com",
      name: "Change Race",
      dueDate: "2099-01-01",
      single: true,
    });
    const ctx = operatorContext(handle);
    let change: Promise<unknown> | undefined;
    await handle.db.transaction().execute(async (trx) => {
      // The other change, not yet committed: the customer's change reads the old hash and checks against it.
      await storePortalPassword({ ...ctx, db: trx }, customer.id, OWNERS);
      const holder = await backendPid(trx);
      let settled = false;
      change = changePortalPassword({
        ctx: { ...ctx, actor: actors.customer(customer.id) },
        input: { current_password: PORTAL_PASSWORD, new_password: OTHERS },
      });
      change.then(
        () => (settled = true),
        () => (settled = true),
      );
      await waitUntil(
        "the change to finish or to wait for the other",
        async () => settled || (await lockWaitersOf(handle.db, holder)) > 0,
      );
    });
    await expect(change!, "the change checked with a password no longer the account's").rejects.toMatchObject(
      {
        code: "VALIDATION",
        message: expect.stringContaining("current_password"),
      },
    );
    const account = await handle.db
      .selectFrom("portal_account")
      .select("password_hash")
      .where("customer_id", "=", customer.id)
      .executeTakeFirstOrThrow();
    expect(await verifyPassword(account.password_hash!, OWNERS), "the other change's password stands").toBe(
      true,
    );
  });
});
