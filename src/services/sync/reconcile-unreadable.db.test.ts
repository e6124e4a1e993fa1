import { afterEach, beforeAll, expect, it } from "vitest";
import { databasePerFile } from "../../../test/helpers/database-per-file.ts";
import { withRollback } from "../../../test/helpers/with-rollback.ts";
import { type PageServer, startPageServer } from "../../solusio/testing/page-server.ts";
import { reconcileSolusio } from "./reconcile.ts";
import { insertReconciledCustomers } from "./testing/reconciled-customers.ts";

// Reconciliation with SolusIO users tokenbill cannot read: each is reported with what is wrong with it, the
// customer it may belong to is named, the other users are compared as usual, and --fix leaves those
// customers alone (their sync would stop at the same user).

const file = databasePerFile();
let solusio: PageServer | undefined;
const ids: number[] = [];

beforeAll(async () => {
  ids.push(...(await insertReconciledCustomers(file.handle.db)));
});
afterEach(async () => {
  await solusio?.close();
  solusio = undefined;
});

it("reports unreadable users beside the drift of the readable ones, and --fix does not touch their customers", async () => {
  const [ok, oddId, oddMail] = ids as [number, number, number];
  const users = {
    data: [
      { id: 1, email: "ok@example.com", status: "suspended", billing_user_id: ok },
      { id: 2, email: "renamed@example.com", status: "archived", billing_user_id: String(oddId) },
      { id: 3, email: "ODD-MAIL@example.com", status: "active", billing_user_id: null, roles: "client" },
      { id: 4, email: "stray@example.com", status: "active", billing_user_id: "n/a" },
    ],
    meta: { current_page: 1, last_page: 1 },
  };
  solusio = await startPageServer([users, users]);
  const deps = { api: solusio.api, limitGroupId: async () => undefined };

  const report = await withRollback(file.handle.db, (ctx) => reconcileSolusio(ctx, deps, { fix: false }));
  expect(report.solusio_users).toBe(4);
  expect(report.drift.map((d) => [d.kind, d.customer_id, d.solusio_user_id])).toEqual([
    ["status_differs", ok, 1],
    ["unreadable_in_solusio", oddId, 2],
    ["unreadable_in_solusio", oddMail, 3],
    ["unreadable_in_solusio", null, 4],
  ]);
  expect(report.drift.slice(1).map((d) => d.reason)).toEqual([
    expect.stringMatching(/^SolusIO user 2 cannot be read: status: /),
    expect.stringMatching(/^SolusIO user 3 cannot be read: roles: /),
    "SolusIO user 4 cannot be read: billing_user_id: expected a whole number up to 2^53, or its digits",
  ]);

  const fixed = await withRollback(file.handle.db, (ctx) => reconcileSolusio(ctx, deps, { fix: true }));
  expect(fixed.fixed).toEqual([ok]);
});
