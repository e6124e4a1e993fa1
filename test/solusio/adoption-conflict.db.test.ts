import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";

// Issue 8, item 2: no SolusIO account can be taken over through an e-mail address. Billing adopts a SolusIO
// user only when its e-mail matches exactly, it has no admin role and its billing_user_id is empty or the
// customer's own; anything else is a `conflict` that changes nothing in SolusIO (solusio-api.md §2).

let h: SolusioHarness;
let admin: any;
let adminRoleId: number;

beforeAll(async () => {
  h = await startSolusioHarness();
  // A default limit group exists, so a takeover would also move the user into it: the tests can see that.
  await h.emu("POST", "/api/v1/limit_groups", { name: "Default", vms: { limit: 3, is_enabled: true } });
  admin = (await h.emu("GET", "/api/v1/account")).body.data;
  adminRoleId = admin.roles.find((r: { name: string }) => r.name.toLowerCase() === "admin").id;
  h.runner.start();
});
afterAll(async () => h?.close());

async function newCustomer(email: string, status = "locked") {
  // Status `locked` differs from the SolusIO users below (active): an overwrite would show.
  const r = await h.server.api("POST", "/api/v1/customers", {
    email,
    status,
    country: "DE",
    currency: "EUR",
  });
  expect(r.status).toBe(201);
  return r.body.data as { id: number };
}

async function synced(id: number) {
  await waitForJobs(h.db);
  return (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
}

async function emuUser(id: number) {
  return (await h.emu("GET", `/api/v1/users/${id}`)).body?.data;
}

async function emuCreateUser(email: string, billingUserId: number | null) {
  const r = await h.emu("POST", "/api/v1/users", {
    email,
    password: "pw-123456",
    status: "active",
    billing_user_id: billingUserId,
  });
  expect(r.status).toBe(201);
  return r.body.data;
}

/** What a takeover would change: status, owner, limit group, roles. */
const owned = (u: any) => ({
  email: u.email,
  status: u.status,
  billing_user_id: u.billing_user_id,
  limit_group: u.limit_group,
  roles: u.roles.map((r: { id: number }) => r.id),
});

describe("adoption by e-mail", () => {
  it("a customer with the admin's e-mail is a conflict: the admin is not changed, logged into or deleted", async () => {
    const c = await newCustomer(admin.email);
    const after = await synced(c.id);
    expect(after.sync.state).toBe("conflict");
    expect(after.sync.solusio_user_id).toBeNull();
    expect(after.sync.error).toContain(`SolusIO user ${admin.id}`);
    expect(after.sync.error).toMatch(/admin role/);
    expect(after.sync.error).toMatch(/e-mail/);
    expect(owned(await emuUser(admin.id))).toEqual(owned(admin));

    const sso = await h.server.api("POST", `/api/v1/customers/${c.id}/sso`);
    expect(sso.status).toBe(409);
    expect(sso.body.error.message).toMatch(/conflict/);

    expect((await h.server.api("DELETE", `/api/v1/customers/${c.id}`)).status).toBe(204);
    await waitForJobs(h.db);
    expect(owned(await emuUser(admin.id))).toEqual(owned(admin));
    // The deletion job ends done: it left the admin alone on purpose, not because SolusIO refused.
    const last = await h.db
      .selectFrom("job")
      .select(["status", "last_error"])
      .where("ordering_key", "=", `customer:${c.id}`)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(last).toEqual({ status: "done", last_error: null });
  });

  it("a user owned by another billing_user_id is a conflict; it survives, and a new e-mail then syncs", async () => {
    const other = await emuCreateUser("owned@example.com", 999);
    const c = await newCustomer("OWNED@example.com");
    const after = await synced(c.id);
    expect(after.sync.state).toBe("conflict");
    expect(after.sync.error).toContain(`SolusIO user ${other.id}`);
    expect(after.sync.error).toMatch(/billing_user_id 999/);
    expect(after.sync.error).toMatch(/reconcile --fix/);
    expect(owned(await emuUser(other.id))).toEqual(owned(other));
    expect((await h.server.api("POST", `/api/v1/customers/${c.id}/sso`)).status).toBe(409);

    // The way out the message names: another e-mail re-queues the sync, which creates the customer's own user.
    await h.server.api("PATCH", `/api/v1/customers/${c.id}`, { email: "owned-new@example.com" });
    const fixed = await synced(c.id);
    expect(fixed.sync).toMatchObject({ state: "in_sync", error: null });
    expect(await emuUser(fixed.sync.solusio_user_id)).toMatchObject({
      email: "owned-new@example.com",
      billing_user_id: c.id,
      status: "locked",
    });
    expect(owned(await emuUser(other.id))).toEqual(owned(other));

    expect((await h.server.api("DELETE", `/api/v1/customers/${c.id}`)).status).toBe(204);
    await waitForJobs(h.db);
    expect(await emuUser(fixed.sync.solusio_user_id)).toBeUndefined();
    expect(owned(await emuUser(other.id))).toEqual(owned(other));
  });

  it("deleting a customer deletes only a user that carries its billing_user_id", async () => {
    // Billing's user was deleted in SolusIO, then someone else's account appeared with the same e-mail: one
    // that nobody billed yet (billing_user_id empty), or one another billing system owns.
    for (const [i, owner] of [null, 998].entries()) {
      const email = `handover-${i}@example.com`;
      const c = await newCustomer(email);
      const mine = (await synced(c.id)).sync.solusio_user_id;
      expect((await h.emu("DELETE", `/api/v1/users/${mine}`)).status).toBe(204);
      const other = await emuCreateUser(email, owner);
      expect((await h.server.api("DELETE", `/api/v1/customers/${c.id}`)).status).toBe(204);
      await waitForJobs(h.db);
      expect(owned(await emuUser(other.id))).toEqual(owned(other));
    }
  });

  it("the stored user that meanwhile got another owner or the admin role is a conflict, not overwritten", async () => {
    for (const change of [{ billing_user_id: 777 }, { roles: [adminRoleId] }]) {
      const c = await newCustomer(`stored-${Object.keys(change)[0]}@example.com`, "active");
      const userId = (await synced(c.id)).sync.solusio_user_id;
      expect((await h.emu("PUT", `/api/v1/users/${userId}`, change)).status).toBe(200);
      const before = await emuUser(userId);
      await h.server.api("PATCH", `/api/v1/customers/${c.id}`, { status: "locked" });
      const after = await synced(c.id);
      expect(after.sync.state).toBe("conflict");
      expect(after.sync.error).toContain(`SolusIO user ${userId}`);
      expect(after.sync.error).toMatch("billing_user_id" in change ? /billing_user_id 777/ : /admin role/);
      expect(owned(await emuUser(userId))).toEqual(owned(before));
      expect((await h.server.api("POST", `/api/v1/customers/${c.id}/sso`)).status).toBe(409);
    }
  });

  /** xerin@{domain} first, then 14 more e-mails containing erin@{domain}: a full default page (15). */
  async function decoys(domain: string, firstOwner: number | null) {
    const users = [await emuCreateUser(`xerin@${domain}`, firstOwner)];
    for (let i = 0; i < 14; i++) users.push(await emuCreateUser(`x${i}erin@${domain}`, null));
    const search = await h.emu("GET", `/api/v1/users?filter[search]=erin@${domain}`);
    expect(search.body.data[0].email).toBe(`xerin@${domain}`); // the emulator searches substrings
    return users;
  }

  it("erin@ with xerin@ listed first creates exactly erin@ and deletes only it; the decoys are untouched", async () => {
    const others = await decoys("example.com", null);
    const c = await newCustomer("erin@example.com");
    const first = (await synced(c.id)).sync.solusio_user_id;
    // SolusIO loses billing's user: the next sync and the deletion must find it by e-mail, not by id.
    await h.emu("DELETE", `/api/v1/users/${first}`);
    await h.server.api("PATCH", `/api/v1/customers/${c.id}`, { status: "active" });
    const after = await synced(c.id);
    expect(after.sync.state).toBe("in_sync");
    expect([first, ...others.map((d) => d.id)]).not.toContain(after.sync.solusio_user_id);
    expect(await emuUser(after.sync.solusio_user_id)).toMatchObject({
      email: "erin@example.com",
      billing_user_id: c.id,
      status: "active",
    });
    await h.emu("DELETE", `/api/v1/users/${after.sync.solusio_user_id}`);
    expect((await h.server.api("DELETE", `/api/v1/customers/${c.id}`)).status).toBe(204);
    await waitForJobs(h.db);
    for (const d of others) expect(owned(await emuUser(d.id))).toEqual(owned(d));
  });

  it("an exact match on page 2 with an empty billing_user_id is adopted (as before); the decoys are untouched", async () => {
    const others = await decoys("example.org", 999);
    const free = await emuCreateUser("erin@example.org", null);
    const c = await newCustomer("ERIN@example.org");
    const after = await synced(c.id);
    expect(after.sync).toMatchObject({ state: "in_sync", solusio_user_id: free.id });
    expect(await emuUser(free.id)).toMatchObject({
      email: "erin@example.org",
      status: "locked",
      billing_user_id: c.id,
      limit_group: { name: "Default" },
    });
    for (const d of others) expect(owned(await emuUser(d.id))).toEqual(owned(d));
  });
});

describe("reconcile", () => {
  it("lists customers whose SolusIO user cannot be adopted, with the reason, and --fix leaves them alone", async () => {
    const foreign = await emuCreateUser("rc-foreign@example.com", 555);
    const c1 = await newCustomer("rc-foreign@example.com");
    await synced(c1.id);
    const c2 = await newCustomer("rc-admin@example.com");
    const promoted = (await synced(c2.id)).sync.solusio_user_id;
    // Made admin in SolusIO after billing created it (or an admin that an older tokenbill took over).
    await h.emu("PUT", `/api/v1/users/${promoted}`, { roles: [adminRoleId] });
    const promotedBefore = await emuUser(promoted);

    const mine = (d: { customer_id: number }) => d.customer_id === c1.id || d.customer_id === c2.id;
    const report = (await h.server.api("POST", "/api/v1/solusio/reconcile", {})).body.data;
    const drift = report.drift.filter(mine);
    expect(drift.map((d: any) => `${d.kind}:${d.customer_id}:${d.solusio_user_id}`).sort()).toEqual(
      [`conflict:${c1.id}:${foreign.id}`, `conflict:${c2.id}:${promoted}`].sort(),
    );
    expect(drift.find((d: any) => d.customer_id === c1.id).reason).toMatch(/billing_user_id 555/);
    expect(drift.find((d: any) => d.customer_id === c2.id).reason).toMatch(/admin role/);

    const fixed = (await h.server.api("POST", "/api/v1/solusio/reconcile", { fix: true })).body.data;
    expect(fixed.fixed).not.toContain(c1.id);
    expect(fixed.fixed).not.toContain(c2.id);
    await waitForJobs(h.db);
    expect(owned(await emuUser(foreign.id))).toEqual(owned(foreign));
    expect(owned(await emuUser(promoted))).toEqual(owned(promotedBefore));
  });
});
