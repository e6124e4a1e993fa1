import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callLogWritten,
  type SolusioHarness,
  startSolusioHarness,
  waitForJobs,
} from "../helpers/solusio-harness.ts";

// Seed step 8 end to end: customer changes in tokenbill reach the SolusIO emulator through the outbox and
// the job runner, over real HTTP, the way the official modules make them.

let h: SolusioHarness;

beforeAll(async () => {
  h = await startSolusioHarness({
    SOLUSIO_LIMIT_GROUPS: JSON.stringify([
      { name: "Default", vms: 3, running_vms: 2, additional_ips: 1 },
      { name: "Big", vms: 50, running_vms: 50, additional_ips: 10 },
    ]),
  });
  await h.emu("POST", "/api/v1/limit_groups", { name: "Default", vms: { limit: 3, is_enabled: true } });
  await h.emu("POST", "/api/v1/limit_groups", { name: "Big", vms: { limit: 50, is_enabled: true } });
  h.runner.start();
});
afterAll(async () => h?.close());

async function solusioUser(billingUserId: number) {
  const users = (await h.emu("GET", "/api/v1/users?per_page=100")).body.data as any[];
  return users.filter((u) => u.billing_user_id === billingUserId);
}

async function synced(id: number) {
  await waitForJobs(h.db);
  return (await h.server.api("GET", `/api/v1/customers/${id}`)).body.data;
}

describe("user lifecycle", () => {
  it("creates the SolusIO user with billing_user_id and the default limit group, then reports in_sync", async () => {
    const c = await h.server.api("POST", "/api/v1/customers", {
      email: "life@example.com",
      country: "DE",
      currency: "EUR",
    });
    expect(c.body.data.sync.state).toBe("pending");
    const after = await synced(c.body.data.id);
    expect(after.sync.state).toBe("in_sync");
    const [user, ...more] = await solusioUser(c.body.data.id);
    expect(more).toEqual([]);
    expect(user).toMatchObject({
      email: "life@example.com",
      status: "active",
      billing_user_id: c.body.data.id,
    });
    expect(user.limit_group.name).toBe("Default");
    expect(after.sync.solusio_user_id).toBe(user.id);
  });

  it("edits the e-mail, locks, suspends (servers too), re-activates and deletes", async () => {
    const c = (
      await h.server.api("POST", "/api/v1/customers", {
        email: "cycle@example.com",
        country: "DE",
        currency: "EUR",
      })
    ).body.data;
    await synced(c.id);
    const [user] = await solusioUser(c.id);
    const plan = (
      await h.emu("POST", "/api/v1/plans", { name: "p-cycle", tokens_per_hour: 7, tokens_per_month: 5000 })
    ).body.data;
    const location = (await h.emu("GET", "/api/v1/locations")).body.data[0];
    const server = await h.emu("POST", "/api/v1/servers", {
      name: "web",
      plan: plan.id,
      location: location.id,
      os: 1,
      password: "x",
      user: user.id,
    });
    expect(server.status).toBe(201);

    await h.server.api("PATCH", `/api/v1/customers/${c.id}`, { email: "renamed@example.com" });
    await synced(c.id);
    expect((await solusioUser(c.id))[0].email).toBe("renamed@example.com");

    await h.server.api("PATCH", `/api/v1/customers/${c.id}`, { status: "locked" });
    expect((await synced(c.id)).sync.state).toBe("in_sync");
    expect((await solusioUser(c.id))[0].status).toBe("locked");

    await h.server.api("PATCH", `/api/v1/customers/${c.id}`, { status: "suspended" });
    await synced(c.id);
    expect((await solusioUser(c.id))[0].status).toBe("suspended");
    expect((await h.emu("GET", `/api/v1/servers/${server.body.data.id}`)).body.data.is_suspended).toBe(true);

    await h.server.api("PATCH", `/api/v1/customers/${c.id}`, { status: "active", limit_group: "Big" });
    await synced(c.id);
    const active = (await solusioUser(c.id))[0];
    expect(active.status).toBe("active");
    expect(active.limit_group.name).toBe("Big");
    expect((await h.emu("GET", `/api/v1/servers/${server.body.data.id}`)).body.data.is_suspended).toBe(false);

    // SolusIO refuses to delete a user who still has servers, so the server goes first.
    await h.emu("DELETE", `/api/v1/servers/${server.body.data.id}`);
    expect((await h.server.api("DELETE", `/api/v1/customers/${c.id}`)).status).toBe(204);
    await waitForJobs(h.db);
    expect(await solusioUser(c.id)).toEqual([]);
  });

  it("adopts an existing SolusIO user with the same e-mail instead of creating a second one", async () => {
    const pre = await h.emu("POST", "/api/v1/users", {
      email: "exists@example.com",
      password: "pw-123456",
      status: "active",
    });
    const c = (
      await h.server.api("POST", "/api/v1/customers", {
        email: "exists@example.com",
        country: "DE",
        currency: "EUR",
      })
    ).body.data;
    await synced(c.id);
    const users = await solusioUser(c.id);
    expect(users).toHaveLength(1);
    expect(users[0].id).toBe(pre.body.data.id);
  });

  it("delivers each change once: a repeated delivery writes nothing to SolusIO", async () => {
    const c = (
      await h.server.api("POST", "/api/v1/customers", {
        email: "twice@example.com",
        country: "DE",
        currency: "EUR",
      })
    ).body.data;
    await synced(c.id);
    const writes = async () =>
      (
        await h.db
          .selectFrom("solusio_call")
          .select((eb) => eb.fn.countAll<bigint>().as("n"))
          .where("method", "in", ["POST", "PUT", "PATCH", "DELETE"])
          .executeTakeFirstOrThrow()
      ).n;
    // The call log is written in the background: count once the first delivery's calls are all in it.
    await callLogWritten(h);
    const before = await writes();
    await h.db
      .insertInto("job")
      .values({
        kind: "solusio.sync_customer",
        ordering_key: `customer:${c.id}`,
        payload: JSON.stringify({ customerId: String(c.id) }),
      })
      .execute();
    // Once the repeated job is done its calls are recorded (the client records each before it returns), and
    // once the call log has caught up they are counted: a write it made cannot be missed.
    await waitForJobs(h.db);
    await callLogWritten(h);
    expect(await writes()).toBe(before);
    expect(await solusioUser(c.id)).toHaveLength(1);
  });

  it("marks a customer failed with SolusIO's reason when a change is refused", async () => {
    await h.emu("POST", "/api/v1/users", {
      email: "taken@example.com",
      password: "pw-123456",
      status: "active",
      billing_user_id: 999999,
    });
    const c = (
      await h.server.api("POST", "/api/v1/customers", {
        email: "free@example.com",
        country: "DE",
        currency: "EUR",
      })
    ).body.data;
    await synced(c.id);
    await h.server.api("PATCH", `/api/v1/customers/${c.id}`, { email: "taken@example.com" });
    const failed = await synced(c.id);
    expect(failed.sync.state).toBe("failed");
    expect(failed.sync.error).toMatch(/email/i);
    // The job is done before its calls' rows are written (the call log writes in the background).
    await callLogWritten(h);
    const calls = await h.server.api("GET", "/api/v1/solusio/calls?failed=true");
    expect(calls.body.data.some((x: { status: number }) => x.status === 422)).toBe(true);
  });

  it("records every call with masked bodies", async () => {
    await callLogWritten(h);
    const calls = await h.server.api("GET", "/api/v1/solusio/calls?per_page=100");
    const create = calls.body.data.find(
      (x: { method: string; path: string }) => x.method === "POST" && x.path === "users",
    );
    expect(create.request_body.password).toBe("********");
    expect(create.duration_ms).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(calls.body)).not.toContain(h.emulator.adminToken);
  });
});
