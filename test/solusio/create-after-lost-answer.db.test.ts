import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncCustomerHandler } from "../../src/services/sync/sync-customer.ts";
import {
  callLogWritten,
  type SolusioHarness,
  startSolusioHarness,
  waitForJobs,
} from "../helpers/solusio-harness.ts";
import { POLL } from "../helpers/wait-until.ts";

// Issue 10 item 4.2, end to end: a customer's first sync whose `POST users` SolusIO carried out but answered
// with a 5xx ends with exactly one SolusIO user, the customer's own, and the customer in_sync
// (solusio-api.md §1). The emulator's `fail_after_rate` fault does the work, then answers 502 or 503.
// The client-level cases (a dropped connection or a timeout after the work, a look-up that misses, a user
// that is not ours) are in src/solusio/create-after-lost-answer.test.ts.

let h: SolusioHarness;

beforeAll(async () => {
  h = await startSolusioHarness({ SOLUSIO_LIMIT_GROUPS: "[]", SOLUSIO_DEFAULT_LIMIT_GROUP: "" });
  h.runner.start();
});
afterAll(async () => h?.close());

async function emuUsersWithEmail(email: string) {
  const r = await h.emu("GET", `/api/v1/users?per_page=100&filter[search]=${encodeURIComponent(email)}`);
  return (r.body.data as { id: number; email: string; billing_user_id: number | null }[]).filter(
    (u) => u.email === email,
  );
}

describe("a new customer whose POST users was done but answered with a 5xx", () => {
  for (const status of [502, 503]) {
    it(`(${status}) ends with one SolusIO user, the customer's own, and the customer in_sync`, async () => {
      const email = `sync-lost-${status}@example.com`;
      const fault = await h.emu("POST", "/_emulator/faults", {
        rules: [
          { path: "/api/v1/users", methods: ["POST"], fail_after_rate: 1, after_status: status, times: 1 },
        ],
      });
      expect(fault.status).toBe(200);
      const created = await h.server.api("POST", "/api/v1/customers", {
        email,
        status: "locked",
        country: "DE",
        currency: "EUR",
      });
      expect(created.status).toBe(201);
      const id: number = created.body.data.id;
      await waitForJobs(h.db);
      // The fault was used up: the emulator really did answer that POST with the 5xx.
      expect((await h.emu("GET", "/_emulator/faults")).body.data).toEqual([]);

      const users = await emuUsersWithEmail(email);
      expect(users).toHaveLength(1);
      expect(users[0]).toMatchObject({ billing_user_id: id, status: "locked" });
      const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
      expect(customer.sync).toMatchObject({ state: "in_sync", error: null, solusio_user_id: users[0]!.id });

      // The call log says why: one POST whose answer was lost, then the look-up instead of a second POST.
      // Rows are written in the background (call-log.ts): read once they all are, the job's last ones too.
      await callLogWritten(h);
      const lastTwo = (
        await h.db
          .selectFrom("solusio_call")
          .select(["method", "path", "status"])
          .where("path", "=", "users")
          .orderBy("id", "desc")
          .limit(2)
          .execute()
      ).reverse();
      expect(lastTwo).toEqual([
        { method: "POST", path: "users", status },
        { method: "GET", path: "users", status: 200 },
      ]);
    });
  }
});

describe("a repeated sync job after an attempt whose POST users was done but its answer lost", () => {
  it("takes the user carrying the customer's billing_user_id, even under the e-mail the customer had then", async () => {
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "before-move@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id: number = created.body.data.id;
    await waitForJobs(h.db);
    const [lost] = await emuUsersWithEmail("before-move@example.com");
    expect(lost).toMatchObject({ billing_user_id: id });
    // As billing saw it after the lost answer: no SolusIO user id stored, and the e-mail changed since.
    await h.db
      .updateTable("customer")
      .set({ solusio_user_id: null, email: "after-move@example.com", sync_state: "pending" })
      .where("id", "=", BigInt(id))
      .execute();

    const sync = syncCustomerHandler({
      db: h.db,
      api: h.connection.api,
      logger: pino({ level: "silent" }),
      limitGroupId: h.integration.limitGroupId,
    });
    await sync({
      id: 0n,
      kind: "solusio.sync_customer",
      orderingKey: `customer:${id}`,
      payload: { customerId: String(id) },
      attempts: 2,
    });

    expect(await emuUsersWithEmail("after-move@example.com")).toEqual([
      expect.objectContaining({ id: lost!.id, billing_user_id: id }),
    ]);
    expect(await emuUsersWithEmail("before-move@example.com")).toEqual([]);
    const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(customer.sync).toMatchObject({ state: "in_sync", solusio_user_id: lost!.id });
  });
});

/** Every emulator user carrying this billing_user_id. */
async function emuUsersOf(billingUserId: number) {
  const r = await h.emu("GET", "/api/v1/users?per_page=100");
  expect(r.body.meta.last_page).toBe(1);
  return (r.body.data as { id: number; email: string; billing_user_id: number | null }[]).filter(
    (u) => u.billing_user_id === billingUserId,
  );
}

async function newSyncedCustomer(email: string): Promise<number> {
  const created = await h.server.api("POST", "/api/v1/customers", { email, country: "DE", currency: "EUR" });
  expect(created.status).toBe(201);
  await waitForJobs(h.db);
  return created.body.data.id;
}

describe("a new sync job of a customer whose earlier job may have created its user", () => {
  it("looks the user up by billing_user_id before it posts: an edit after a failed create leaves one user", async () => {
    const id = await newSyncedCustomer("failed-first@example.com");
    const [first] = await emuUsersOf(id);
    // As the job left the customer when the POST's 2xx answer could not be read and it failed for good: no
    // user id stored, although SolusIO created the user.
    await h.db
      .updateTable("customer")
      .set({
        solusio_user_id: null,
        sync_state: "failed",
        sync_error: "POST users: unexpected answer from SolusIO",
      })
      .where("id", "=", BigInt(id))
      .execute();
    // The edit queues a new job (and marks the customer pending again).
    const edited = await h.server.api("PATCH", `/api/v1/customers/${id}`, {
      email: "failed-then-edited@example.com",
    });
    expect(edited.status).toBe(200);
    await waitForJobs(h.db);

    expect(await emuUsersOf(id)).toEqual([
      expect.objectContaining({ id: first!.id, email: "failed-then-edited@example.com" }),
    ]);
    const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(customer.sync).toMatchObject({ state: "in_sync", error: null, solusio_user_id: first!.id });
  });

  it("two users carrying the customer's billing_user_id are a conflict: neither is picked", async () => {
    const id = await newSyncedCustomer("twice@example.com");
    const [first] = await emuUsersOf(id);
    const second = await h.emu("POST", "/api/v1/users", {
      email: "twice-again@example.com",
      password: "pw-123456",
      billing_user_id: id,
    });
    expect(second.status).toBe(201);
    await h.db.updateTable("customer").set({ solusio_user_id: null }).where("id", "=", BigInt(id)).execute();
    await h.server.api("PATCH", `/api/v1/customers/${id}`, { status: "suspended" });
    await waitForJobs(h.db);

    const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(customer.sync.state).toBe("conflict");
    expect(customer.sync.solusio_user_id).toBeNull();
    expect(customer.sync.error).toContain(
      `SolusIO users ${first!.id} (twice@example.com), ${second.body.data.id}`,
    );
    expect(customer.sync.error).toContain(`carry billing_user_id ${id}`);
    // Nothing was changed in SolusIO: both are still active.
    expect((await emuUsersOf(id)).map((u) => (u as unknown as { status: string }).status)).toEqual([
      "active",
      "active",
    ]);
  });

  it("the first create of a new customer still posts without looking first", async () => {
    // The call log is written in the background (gathered for 20 ms): the earlier tests' rows land first.
    await callLogWritten(h);
    const before = await h.db
      .selectFrom("solusio_call")
      .select("id")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    const id = await newSyncedCustomer("first-create@example.com");
    expect(await emuUsersOf(id)).toHaveLength(1);
    await callLogWritten(h);
    const trail = (
      await h.db
        .selectFrom("solusio_call")
        .select(["method", "path", "status"])
        .where("id", ">", before?.id ?? 0n)
        .where("path", "like", "users%")
        .orderBy("id")
        .execute()
    ).map((c) => `${c.method} ${c.path} ${c.status}`);
    expect(trail).toEqual(["POST users 201"]);
  });
});

describe("SolusIO answers 429 with Retry-After", () => {
  it("the sync job waits as long as asked instead of retrying at once, then looks before it posts", async () => {
    const fault = await h.emu("POST", "/_emulator/faults", {
      rules: [
        { path: "/api/v1/users", methods: ["POST"], error_rate: 1, error_status: 429, retry_after: 30 },
      ],
    });
    expect(fault.status).toBe(200);
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "rate-limited@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id: number = created.body.data.id;
    const job = async () =>
      h.db
        .selectFrom("job")
        .select(["id", "status", "attempts", "run_after", "last_error"])
        .where("ordering_key", "=", `customer:${id}`)
        .executeTakeFirstOrThrow();
    await expect.poll(async () => (await job()).last_error, POLL).toMatch(/waiting 30 s/);
    const deferred = await job();
    expect(deferred.status).toBe("pending");
    expect(deferred.run_after.getTime() - Date.now()).toBeGreaterThan(25_000);
    // One POST, not one every second: the attempt is over (its failure is recorded), and a runner asked to run
    // every job it may run now leaves this one waiting.
    await h.runner.drain();
    const rules = (await h.emu("GET", "/_emulator/faults")).body.data;
    expect(rules[0].matched).toBe(1);
    const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(customer.sync).toMatchObject({ state: "pending", error: expect.stringMatching(/waiting 30 s/) });

    // SolusIO takes requests again; the job's time comes.
    await h.emu("DELETE", "/_emulator/faults");
    await h.db.updateTable("job").set({ run_after: new Date() }).where("id", "=", deferred.id).execute();
    await waitForJobs(h.db);
    expect(await emuUsersOf(id)).toHaveLength(1);
    const synced = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(synced.sync).toMatchObject({ state: "in_sync", error: null });
  });
});

describe("a sync job deferred by Retry-After after its POST users may have been done", () => {
  it("keeps the attempt, so its next run looks first even after an edit changed the e-mail meanwhile", async () => {
    // The POST is carried out and answered 502; the look-up before the next POST is answered 429, wait 30 s.
    const fault = await h.emu("POST", "/_emulator/faults", {
      rules: [
        { path: "/api/v1/users", methods: ["POST"], fail_after_rate: 1, after_status: 502, times: 1 },
        {
          path: "/api/v1/users",
          methods: ["GET"],
          error_rate: 1,
          error_status: 429,
          retry_after: 30,
          times: 1,
        },
      ],
    });
    expect(fault.status).toBe(200);
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "deferred-before@example.com",
      country: "DE",
      currency: "EUR",
    });
    const id: number = created.body.data.id;
    const job = async () =>
      h.db
        .selectFrom("job")
        .select(["id", "status", "attempts", "last_error"])
        .where("ordering_key", "=", `customer:${id}`)
        .orderBy("id")
        .executeTakeFirstOrThrow();
    await expect.poll(async () => (await job()).last_error, POLL).toMatch(/waiting 30 s/);
    const deferred = await job();
    expect([deferred.status, deferred.attempts]).toEqual(["pending", 1]);
    // An edit meanwhile: its job queues behind, and it clears the customer's sync note.
    const edited = await h.server.api("PATCH", `/api/v1/customers/${id}`, {
      email: "deferred-after@example.com",
    });
    expect(edited.status).toBe(200);
    await h.db.updateTable("job").set({ run_after: new Date() }).where("id", "=", deferred.id).execute();
    await waitForJobs(h.db);

    const users = await emuUsersOf(id);
    expect(users).toEqual([expect.objectContaining({ email: "deferred-after@example.com" })]);
    const customer = (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
    expect(customer.sync).toMatchObject({ state: "in_sync", error: null, solusio_user_id: users[0]!.id });
  });
});
