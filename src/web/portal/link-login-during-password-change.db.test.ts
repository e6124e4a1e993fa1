import { type Kysely, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { backendPid, lockWaitersOf } from "../../../test/helpers/lock-waiters.ts";
import { serverPerFile } from "../../../test/helpers/server-per-file.ts";
import { waitUntil } from "../../../test/helpers/wait-until.ts";
import type { Database } from "../../db/schema.ts";
import { storePortalPassword } from "../../services/portal-accounts/portal-accounts.ts";
import { issuePortalToken } from "../../services/portal-accounts/portal-tokens.ts";
import { TestBrowser } from "../testing/test-browser.ts";
import { operatorContext, portalCustomer } from "./testing/portal-fixtures.ts";

// A login link used while the customer's password was being changed must not come out with a session: the
// change ends every session and retires the links, and a session written after it, for a link spent before
// it, outlived it (docs/security.md, "Sessions").

const file = serverPerFile({ LOGIN_FAILURES_PER_IP: 100 });
const onPostgres = process.env["DATABASE_URL"] !== undefined;
const NEW_PASSWORD = "a brand new portal password";

/** Whether the backend `pid` waits for a lock another one holds. */
async function waitsForLock(db: Kysely<Database>, pid: number): Promise<boolean> {
  const { rows } = await sql<{ waits: boolean }>`
    SELECT cardinality(pg_blocking_pids(${pid}::int)) > 0 AS waits`.execute(db);
  return rows[0]!.waits;
}

describe("a portal login link racing a password change", () => {
  // Three connections at once: PGlite has one, so this runs on PostgreSQL only (the `db` project with DATABASE_URL).
  it.skipIf(!onPostgres)("gets no session that outlives the change", async () => {
    const customer = await portalCustomer(file.handle, {
      email: "link-race@example.com",
      name: "Link Race",
      dueDate: "2099-01-01",
      single: true,
    });
    const ctx = operatorContext(file.handle);
    const link = (await issuePortalToken(ctx, customer.email, "magic_link"))!.token;
    const holder = new TestBrowser(file.server.url);
    const page = await holder.request("GET", `/portal/login/link/open?token=${encodeURIComponent(link)}`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    let open: ReturnType<TestBrowser["request"]> | undefined;
    let change: Promise<void> | undefined;
    await file.handle.db.transaction().execute(async (trx) => {
      // The customer's row held: the link's session, whose row refers to it, waits to be written, after the
      // link was spent.
      await sql`SELECT id FROM customer WHERE id = ${customer.id} FOR UPDATE`.execute(trx);
      const customerHolder = await backendPid(trx);
      let opened = false;
      open = holder.request("POST", "/portal/login/link/open", { _csrf: csrf, token: link });
      open.then(
        () => (opened = true),
        () => (opened = true),
      );
      await waitUntil(
        "the link's login to wait for the customer's row",
        async () => opened || (await lockWaitersOf(file.handle.db, customerHolder)) > 0,
      );
      expect(opened, "the link's login waited to write its session").toBe(false);
      // The password change, meanwhile: it finishes, or waits for the link's login.
      let changer: number | undefined;
      let changed = false;
      change = file.handle.db.transaction().execute(async (changeTrx) => {
        changer = await backendPid(changeTrx);
        await storePortalPassword({ ...ctx, db: changeTrx }, customer.id, NEW_PASSWORD);
      });
      change.then(
        () => (changed = true),
        () => (changed = true),
      );
      await waitUntil(
        "the password change to finish or to wait",
        async () => changed || (changer !== undefined && (await waitsForLock(file.handle.db, changer))),
      );
    });
    await change;
    await open;
    const home = await holder.request("GET", "/portal");
    expect(home.status, "the portal with whatever session the link gave").toBe(303);
    expect(home.location).toMatch(/^\/portal\/login/);
    // The link is spent either way, and the new password logs in.
    const again = await new TestBrowser(file.server.url).request(
      "GET",
      `/portal/login/link/open?token=${encodeURIComponent(link)}`,
    );
    expect(again.status).toBe(401);
    const owner = new TestBrowser(file.server.url);
    expect((await owner.login("portal", customer.email, NEW_PASSWORD)).location).toBe("/portal");
  });
});
