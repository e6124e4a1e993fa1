import { beforeAll, expect, it } from "vitest";
import { databasePerFile } from "../../../test/helpers/database-per-file.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import { actors } from "../../kernel/actor.ts";
import { startPageServer } from "../../solusio/testing/page-server.ts";
import { createStaffUser } from "../staff/staff-users.ts";
import { reconcileSolusio } from "./reconcile.ts";
import { reconcileCustomer } from "./reconcile-customer.ts";
import { insertReconciledCustomers } from "./testing/reconciled-customers.ts";

// One customer reconciled from a look-up of its own SolusIO user finds what the whole reconcile finds for
// it; any staff role may do that, while the whole reconcile (every user, every customer) is for admins.

const file = databasePerFile();
const ids: number[] = [];

beforeAll(async () => {
  ids.push(...(await insertReconciledCustomers(file.handle.db)));
});

it("finds one customer's drift by its billing_user_id, then its e-mail, for a support user", async () => {
  const [ok, oddId, oddMail] = ids as [number, number, number];
  // A SolusIO that ignores the filters answers every user: the exact match is still the one taken.
  const users = {
    data: [
      { id: 1, email: "ok@example.com", status: "suspended", billing_user_id: ok },
      { id: 2, email: "renamed@example.com", status: "archived", billing_user_id: String(oddId) },
      { id: 3, email: "ODD-MAIL@example.com", status: "active", billing_user_id: null, roles: "client" },
    ],
    meta: { current_page: 1, last_page: 1 },
  };
  const solusio = await startPageServer([users, users, users, users]);
  try {
    const deps = { api: solusio.api, limitGroupId: async () => undefined };
    const drift = await withRollback(file.handle.db, async (ctx) => {
      const support = await createStaffUser({
        ctx,
        input: { email: "support@example.com", role: "support", password: "a long enough password" },
      });
      const asSupport = { ...ctx, actor: actors.staff(support.id) };
      await expect(reconcileSolusio(asSupport, deps, { fix: false })).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      const found = [];
      for (const id of ids) found.push(...(await reconcileCustomer(asSupport, deps, BigInt(id))));
      return found;
    });
    expect(drift.map((d) => [d.kind, d.customer_id, d.solusio_user_id])).toEqual([
      ["status_differs", ok, 1],
      ["unreadable_in_solusio", oddId, 2],
      ["unreadable_in_solusio", oddMail, 3],
    ]);
    // The whole reconcile was refused before it asked SolusIO anything; each customer is one look-up, and
    // the e-mail is searched only when no user carries the billing_user_id.
    expect(solusio.requests.map((r) => r.query)).toEqual([
      { "filter[billing_user_id]": String(ok), page: "1" },
      { "filter[billing_user_id]": String(oddId), page: "1" },
      { "filter[billing_user_id]": String(oddMail), page: "1" },
      { "filter[search]": "odd-mail@example.com", page: "1" },
    ]);
  } finally {
    await solusio.close();
  }
});

it("asks for the stored user alone when it does not carry the billing_user_id, and sets an unreadable one apart", async () => {
  const [ok] = ids as [number];
  const empty = { data: [], meta: { current_page: 1, last_page: 1 } };
  // GET users/{id} answers a user whose status tokenbill does not read.
  const odd = { data: { id: 7, email: "ok@example.com", status: "archived", billing_user_id: null } };
  const solusio = await startPageServer([empty, odd]);
  try {
    const deps = { api: solusio.api, limitGroupId: async () => undefined };
    const drift = await withRollback(file.handle.db, async (ctx) => {
      await ctx.db
        .updateTable("customer")
        .set({ solusio_user_id: 7n })
        .where("id", "=", BigInt(ok))
        .execute();
      return reconcileCustomer(ctx, deps, BigInt(ok));
    });
    expect(drift.map((d) => [d.kind, d.customer_id, d.solusio_user_id])).toEqual([
      ["unreadable_in_solusio", ok, 7],
    ]);
    expect(drift[0]?.reason).toMatch(/^SolusIO user 7 cannot be read: GET users\/7: unexpected answer/);
    expect(solusio.requests.map((r) => r.path)).toEqual(["/api/v1/users", "/api/v1/users/7"]);
  } finally {
    await solusio.close();
  }
});
