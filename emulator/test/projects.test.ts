import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, reset, setClock, startTestEmulator } from "./helpers.ts";

// Projects and server placement (solusio-api.md §6): a project has an owner, and a server placed in it belongs
// to that owner whoever's token creates it — so an admin creating into a customer's project bills the customer.

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

const alice = () => client(em, "alice-token-0123456789");
const bob = () => client(em, "bob-token-0123456789ab");

async function aliceProject(): Promise<number> {
  return (await alice().get("projects")).body.data[0].id;
}

describe("projects", () => {
  it("every user has a default project; it carries its owner", async () => {
    const res = await alice().get("projects");
    expect(res.status).toBe(200);
    expect(res.body.meta.total).toBe(1);
    expect(res.body.data[0]).toMatchObject({
      name: "Default Project",
      description: "",
      members: 1,
      is_owner: true,
      is_default: true,
      owner: { id: 5, email: "alice@example.com", billing_user_id: 42 },
      servers: 0,
    });
    // An admin sees every project, and is not their owner.
    const all = (await client(em).get("projects")).body.data;
    expect(all.map((p: { owner: { id: number } }) => p.owner.id)).toEqual([1, 5, 6]);
    expect(all[1].is_owner).toBe(false);
  });

  it("create 201 (owned by the token's user), get, update, delete 204", async () => {
    const created = await alice().post("projects", { name: "Shop", description: "web shop" });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ name: "Shop", is_default: false, owner: { id: 5 } });
    const id = created.body.data.id;
    expect((await alice().get(`projects/${id}`)).body.data.name).toBe("Shop");
    const updated = await alice().put(`projects/${id}`, { name: "Store" });
    expect(updated.body.data).toMatchObject({ name: "Store", description: "web shop" });
    expect((await bob().get(`projects/${id}`)).status).toBe(404);
    expect((await bob().put(`projects/${id}`, { name: "x" })).status).toBe(404);
    const del = await alice().del(`projects/${id}`);
    expect([del.status, del.text]).toEqual([204, ""]);
    expect((await alice().get(`projects/${id}`)).status).toBe(404);
  });

  it("refuses a bad body, deleting a default project or one with servers, a locked user's create", async () => {
    expect((await alice().post("projects", { name: "" })).status).toBe(422);
    const own = await aliceProject();
    expect((await alice().del(`projects/${own}`)).body.errors.project[0]).toMatch(/default project/);
    const shop = (await alice().post("projects", { name: "Shop" })).body.data.id;
    await alice().post(`projects/${shop}/servers`, { name: "s", plan_id: 1, location_id: 1 });
    expect((await alice().del(`projects/${shop}`)).body.errors.servers[0]).toMatch(/1 server/);
    await client(em).put("users/5", { status: "locked" });
    expect((await alice().post("projects", { name: "More" })).status).toBe(403);
  });
});

describe("placing servers in projects", () => {
  it("POST projects/{id}/servers takes the Go SDK's body (plan_id, location_id or zone_id, os_image_version_id)", async () => {
    const project = await aliceProject();
    // solus-go-sdk projectServers.go ProjectServersCreateRequest.
    const res = await alice().post(`projects/${project}/servers`, {
      name: "sdk-1",
      plan_id: 1,
      location_id: 1,
      os_image_version_id: 3,
      ssh_keys: [1],
      user_data: "#cloud-config",
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ user: { id: 5 }, project: { id: project }, plan: { id: 1 } });
    const older = await alice().post(`projects/${project}/servers`, {
      name: "sdk-2",
      plan_id: 1,
      zone_id: 1,
    });
    expect(older.status).toBe(201);
    const listed = await alice().get(`projects/${project}/servers`);
    expect(listed.body.data.map((s: { name: string }) => s.name)).toEqual(["sdk-1", "sdk-2"]);
    expect((await alice().get(`projects/${project}`)).body.data.servers).toBe(2);
    expect((await alice().post(`projects/${project}/servers`, { name: "x" })).body.errors).toHaveProperty(
      "plan",
    );
    expect(
      (await bob().post(`projects/${project}/servers`, { name: "x", plan_id: 1, location_id: 1 })).status,
    ).toBe(404);
    expect((await bob().get(`projects/${project}/servers`)).status).toBe(404);
  });

  it("an admin creating into a customer's project makes the customer the owner, and the customer is billed", async () => {
    const project = await aliceProject();
    const viaBody = await client(em).post("servers", { name: "a", plan: 1, location: 1, project });
    const viaPath = await client(em).post(`projects/${project}/servers`, {
      name: "b",
      plan_id: 1,
      location_id: 1,
    });
    for (const res of [viaBody, viaPath]) {
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ user: { id: 5 }, project: { id: project, owner: { id: 5 } } });
    }
    await setClock(em, { advance_hours: 10 });
    const usage = await client(em).get(
      "usage?period_start=2026-10-01T00:00:00Z&period_end=2026-11-01T00:00:00Z",
    );
    expect(usage.body.data.map((i: { user: unknown }) => i.user)).toEqual([
      { id: 5, billing_user_id: 42 },
      { id: 5, billing_user_id: 42 },
    ]);
    const created = await client(em).get("activity_logs?filter[event]=compute_resource_vm_created");
    expect(created.body.data.map((e: { data: { user_id: number } }) => e.data.user_id)).toEqual([5, 5]);
    // Alice sees them as her own.
    expect((await alice().get("servers")).body.meta.total).toBe(2);
  });

  it("refuses a project that does not exist or is another user's, and a user who is not the project's owner", async () => {
    const project = await aliceProject();
    expect((await client(em).post("servers", { name: "x", plan: 1, location: 1, project: 99 })).status).toBe(
      422,
    );
    const mismatch = await client(em).post("servers", { name: "x", plan: 1, location: 1, project, user: 6 });
    expect(mismatch.body.errors.user[0]).toMatch(/belongs to user 5/);
    const foreign = await bob().post("servers", { name: "x", plan: 1, location: 1, project });
    expect(foreign.status).toBe(422);
    expect(foreign.body.errors.project[0]).toMatch(/does not exist/);
  });
});
