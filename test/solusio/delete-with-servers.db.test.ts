import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SolusioHarness, startSolusioHarness, waitForJobs } from "../helpers/solusio-harness.ts";

// Deleting a customer whose SolusIO user still has servers: SolusIO refuses to delete such a user, so
// tokenbill refuses first (409) instead of deleting the row and leaving the user running unbilled; when
// SolusIO cannot be asked, nothing is deleted (503).

let h: SolusioHarness;
let planId: number;
let locationId: number;

beforeAll(async () => {
  h = await startSolusioHarness();
  h.runner.start();
  planId = (
    await h.emu("POST", "/api/v1/plans", { name: "p-delete", tokens_per_hour: 7, tokens_per_month: 5000 })
  ).body.data.id;
  locationId = (await h.emu("GET", "/api/v1/locations")).body.data[0].id;
});
afterEach(async () => {
  await h.emu("DELETE", "/_emulator/faults");
});
afterAll(async () => h?.close());

async function syncedCustomer(email: string) {
  const created = await h.server.api("POST", "/api/v1/customers", { email, country: "DE", currency: "EUR" });
  await waitForJobs(h.db);
  const customer = (await h.server.api("GET", `/api/v1/customers/${created.body.data.id}`)).body.data;
  expect(customer.sync.state).toBe("in_sync");
  return customer as { id: number; sync: { solusio_user_id: number } };
}

async function newServer(userId: number, name: string): Promise<number> {
  const server = await h.emu("POST", "/api/v1/servers", {
    name,
    plan: planId,
    location: locationId,
    os: 1,
    password: "pw-123456",
    user: userId,
  });
  expect(server.status).toBe(201);
  return server.body.data.id;
}

async function deletionJobs(customerId: number) {
  return h.db
    .selectFrom("job")
    .select("id")
    .where("ordering_key", "=", `customer:${customerId}`)
    .where(sql<boolean>`payload ? 'deleted'`)
    .execute();
}

describe("deleting a customer whose SolusIO user has servers", () => {
  it("is refused with 409 naming how many, and deletes nothing; once the servers are gone it goes", async () => {
    const c = await syncedCustomer("servers@example.com");
    const userId = c.sync.solusio_user_id;
    const first = await newServer(userId, "web-1");
    const second = await newServer(userId, "web-2");
    // Another user's server is not counted.
    const other = await syncedCustomer("other@example.com");
    await newServer(other.sync.solusio_user_id, "elsewhere");

    const refused = await h.server.api("DELETE", `/api/v1/customers/${c.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("CONFLICT");
    expect(refused.body.error.message).toContain(`SolusIO user ${userId} has 2 servers`);
    expect(refused.body.error.message).toMatch(/suspend or lock the customer instead/);
    expect((await h.server.api("GET", `/api/v1/customers/${c.id}`)).status).toBe(200);
    expect(await deletionJobs(c.id)).toEqual([]);
    expect((await h.emu("GET", `/api/v1/users/${userId}`)).status).toBe(200);

    await h.emu("DELETE", `/api/v1/servers/${first}`);
    const one = await h.server.api("DELETE", `/api/v1/customers/${c.id}`);
    expect(one.status).toBe(409);
    expect(one.body.error.message).toContain("has 1 server,");

    await h.emu("DELETE", `/api/v1/servers/${second}`);
    expect((await h.server.api("DELETE", `/api/v1/customers/${c.id}`)).status).toBe(204);
    expect(await deletionJobs(c.id)).toHaveLength(1);
    await waitForJobs(h.db);
    expect((await h.emu("GET", `/api/v1/users/${userId}`)).status).toBe(404);
    expect(await h.db.selectFrom("job").select("id").where("status", "=", "failed").execute()).toEqual([]);
  });

  it("is refused with 503 while SolusIO cannot be asked, and deletes nothing", async () => {
    const c = await syncedCustomer("down@example.com");
    await h.emu("POST", "/_emulator/faults", {
      rules: [{ path: "/api/v1/servers*", error_rate: 1, error_status: 503 }],
    });
    const refused = await h.server.api("DELETE", `/api/v1/customers/${c.id}`);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(refused.body.error.message).toMatch(/could not ask SolusIO .* not deleted: retry later/);
    expect((await h.server.api("GET", `/api/v1/customers/${c.id}`)).status).toBe(200);
    expect(await deletionJobs(c.id)).toEqual([]);
  });

  it("deletes a customer without a SolusIO user as before, without asking SolusIO", async () => {
    await h.emu("POST", "/_emulator/faults", {
      rules: [{ path: "/api/v1/*", error_rate: 1, error_status: 503 }],
    });
    const created = await h.server.api("POST", "/api/v1/customers", {
      email: "never-synced@example.com",
      country: "DE",
      currency: "EUR",
    });
    expect(created.body.data.sync.solusio_user_id).toBeNull();
    expect((await h.server.api("DELETE", `/api/v1/customers/${created.body.data.id}`)).status).toBe(204);
    await h.emu("DELETE", "/_emulator/faults");
    await waitForJobs(h.db);
  });

  it("is described in the OpenAPI document", async () => {
    const doc = (await h.server.api("GET", "/api/v1/openapi.json")).body;
    expect(doc.paths["/api/v1/customers/{id}"].delete.description).toMatch(/SolusIO user still has servers/);
  });

  it("deletes a customer whose stored SolusIO user is gone from SolusIO", async () => {
    const c = await syncedCustomer("gone@example.com");
    expect((await h.emu("DELETE", `/api/v1/users/${c.sync.solusio_user_id}`)).status).toBe(204);
    expect((await h.server.api("DELETE", `/api/v1/customers/${c.id}`)).status).toBe(204);
    await waitForJobs(h.db);
  });
});
