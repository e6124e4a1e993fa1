import { afterAll, beforeAll, expect, it } from "vitest";
import { reconcileCustomer } from "../../src/services/sync/reconcile-customer.ts";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";
import { withRollback } from "../helpers/with-rollback.ts";

// Two SolusIO users carrying one billing_user_id (someone gave customer B's user customer A's id). Until
// 2026-12-06 reconcile compared A with whichever user it listed last (B's: `email_differs`), called A's real
// user `unknown_to_billing`, and --fix queued a sync of A that changed nothing, on every run.

let h: SolusioHarness;

beforeAll(async () => {
  h = await startSolusioHarness({ SOLUSIO_DEFAULT_LIMIT_GROUP: "", SOLUSIO_LIMIT_GROUPS: "[]" });
  h.runner.start();
});
afterAll(async () => h?.close());

async function customer(email: string) {
  const r = await h.server.api("POST", "/api/v1/customers", { email, country: "DE", currency: "EUR" });
  return r.body.data.id as number;
}

const storedUser = async (id: number) =>
  Number(
    (
      await h.db
        .selectFrom("customer")
        .select("solusio_user_id")
        .where("id", "=", BigInt(id))
        .executeTakeFirstOrThrow()
    ).solusio_user_id,
  );

const rows = (drift: { kind: string; customer_id: number | null; solusio_user_id: number | null }[]) =>
  drift.map((d) => `${d.kind}:${d.customer_id}:${d.solusio_user_id}`).sort();

it("pairs each customer with its stored user and reports two users carrying one billing_user_id as a conflict", async () => {
  // One after the other: B's user is listed after A's, as in the report that found this.
  const a = await customer("dup-a@example.com");
  await waitForJobs(h.db);
  const b = await customer("dup-b@example.com");
  await waitForJobs(h.db);
  const [userA, userB] = [await storedUser(a), await storedUser(b)];
  const put = await h.emu("PUT", `/api/v1/users/${userB}`, { status: "active", billing_user_id: a });
  expect(put.status).toBe(200);

  const report = (await h.server.api("POST", "/api/v1/solusio/reconcile", {})).body.data;
  expect(rows(report.drift)).toEqual([`conflict:${a}:${userA}`, `conflict:${b}:${userB}`].sort());
  const duplicate = report.drift.find((d: { customer_id: number }) => d.customer_id === a);
  expect(duplicate.reason).toBe(
    `SolusIO users ${userA} (dup-a@example.com), ${userB} (dup-b@example.com) all carry billing_user_id ${a}` +
      ` (user ${userA} is this customer's stored user, user ${userB} is customer ${b}'s), so billing will not pick` +
      " one and --fix changes none of them. Keep the customer's user; in SolusIO delete each other one, or clear" +
      " its billing_user_id (or set it back to its own customer's id), then run reconcile --fix.",
  );
  expect(duplicate.solusio).toEqual({
    billing_user_id: a,
    users: [
      { id: userA, email: "dup-a@example.com", stored_by_customer: a },
      { id: userB, email: "dup-b@example.com", stored_by_customer: b },
    ],
  });
  const other = report.drift.find((d: { customer_id: number }) => d.customer_id === b);
  expect(other.reason).toBe(`SolusIO user ${userB} is owned by billing_user_id ${a}`);

  // One customer reconciled on its own (the console's button) says the same.
  const deps = { api: h.connection.api, limitGroupId: h.integration.limitGroupId };
  const one = await withRollback(h.db, (ctx) => reconcileCustomer(ctx, deps, BigInt(a)));
  expect(one).toEqual([duplicate]);

  // --fix leaves both users as they are: which one is the customer's is for a person to say.
  const fixed = (await h.server.api("POST", "/api/v1/solusio/reconcile", { fix: true })).body.data;
  expect([fixed.fixed, fixed.drift_by_kind]).toEqual([[], { conflict: 2 }]);
  await waitForJobs(h.db);
  const carried = async () =>
    [
      (await h.emu("GET", `/api/v1/users/${userA}`)).body.data,
      (await h.emu("GET", `/api/v1/users/${userB}`)).body.data,
    ].map((u) => [u.id, u.email, u.billing_user_id]);
  expect(await carried()).toEqual([
    [userA, "dup-a@example.com", a],
    [userB, "dup-b@example.com", a],
  ]);

  // The way out the reason names: B's user released in SolusIO, then --fix gives it back to B.
  await h.emu("PUT", `/api/v1/users/${userB}`, { status: "active", billing_user_id: null });
  const released = (await h.server.api("POST", "/api/v1/solusio/reconcile", { fix: true })).body.data;
  expect([released.fixed, rows(released.drift)]).toEqual([[b], [`billing_user_id_differs:${b}:${userB}`]]);
  await waitForJobs(h.db);
  expect((await h.server.api("POST", "/api/v1/solusio/reconcile", {})).body.data.drift).toEqual([]);
  expect(await carried()).toEqual([
    [userA, "dup-a@example.com", a],
    [userB, "dup-b@example.com", b],
  ]);
});

it("compares a customer with its stored user before a user that only has its e-mail", async () => {
  const c = await customer("stored@example.com");
  await waitForJobs(h.db);
  const user = await storedUser(c);
  // In SolusIO the customer's user is released and renamed, and someone else signs up with its e-mail.
  await h.emu("PUT", `/api/v1/users/${user}`, { status: "active", billing_user_id: null });
  await h.emu("PATCH", `/api/v1/users/${user}`, { email: "renamed@example.com" });
  const other = await h.emu("POST", "/api/v1/users", {
    email: "stored@example.com",
    password: "pw-123456",
    status: "active",
  });
  const report = (await h.server.api("POST", "/api/v1/solusio/reconcile", {})).body.data;
  const mine = report.drift.filter(
    (d: { customer_id: number | null; solusio_user_id: number }) =>
      d.customer_id === c || d.solusio_user_id === other.body.data.id,
  );
  // A sync finds the stored user first (and would give it back its id and e-mail): so does reconcile.
  expect(rows(mine)).toEqual(
    [
      `billing_user_id_differs:${c}:${user}`,
      `email_differs:${c}:${user}`,
      `unknown_to_billing:null:${other.body.data.id}`,
    ].sort(),
  );
});
