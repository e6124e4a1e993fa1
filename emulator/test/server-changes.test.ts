import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, reset, setClock, startTestEmulator } from "./helpers.ts";

// Resize, additional IPs and the backups switch (solusio-api.md §6): answers, refusals, and what each writes
// to GET tasks and GET activity_logs (§9 (c)). BASIC_SEED: plan 1 offers IPs and backups (10 %), plan 2 neither.

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

const alice = () => client(em, "alice-token-0123456789");
const bob = () => client(em, "bob-token-0123456789ab");

async function create(body: Record<string, unknown> = {}): Promise<number> {
  const res = await client(em).post("servers", { name: "web", plan: 1, location: 1, user: 5, ...body });
  expect(res.status, res.text).toBe(201);
  return res.body.data.id;
}

describe("POST servers/{id}/resize", () => {
  it("answers 200 {data: Task} and changes the plan at the clock's instant", async () => {
    const id = await create();
    await setClock(em, { now: "2026-10-02T10:30:00Z" });
    const res = await alice().post(`servers/${id}/resize`, { plan_id: 4, preserve_disk: true });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      action: "vm-resize",
      status: "done",
      compute_resource_vm_id: id,
      created_at: "2026-10-02T10:30:00.000000Z",
      finished_at: "2026-10-02T10:30:00.000000Z",
    });
    expect((await client(em).get(`servers/${id}`)).body.data.plan.id).toBe(4);
    expect(em.state.servers[0]?.planHistory.map((p) => [p.planId, p.from])).toEqual([
      [1, "2026-10-01T00:00:00.000Z"],
      [4, "2026-10-02T10:30:00.000Z"],
    ]);
  });

  it("refuses an unknown plan (422), a deleted or another user's server (404), a bad body (422)", async () => {
    const id = await create();
    const unknown = await client(em).post(`servers/${id}/resize`, { plan_id: 99 });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors.plan_id[0]).toMatch(/Plan 99 does not exist/);
    expect((await client(em).post(`servers/${id}/resize`, {})).status).toBe(422);
    expect((await bob().post(`servers/${id}/resize`, { plan_id: 4 })).status).toBe(404);
    await client(em).del(`servers/${id}`);
    expect((await client(em).post(`servers/${id}/resize`, { plan_id: 4 })).status).toBe(404);
  });

  it("refuses a plan that cannot keep the server's IPs or backups; resizing to the same plan changes nothing", async () => {
    const id = await create({ additional_ip_count: 1 });
    expect((await client(em).post(`servers/${id}/resize`, { plan_id: 2 })).body.errors.plan_id[0]).toMatch(
      /additional IPs/,
    );
    const other = await create({ backup_settings: { enabled: true } });
    expect((await client(em).post(`servers/${other}/resize`, { plan_id: 4 })).status).toBe(422);
    // The Go SDK's resize may switch backups off in the same call.
    const both = await client(em).post(`servers/${other}/resize`, {
      plan_id: 4,
      backup_settings: { enabled: false },
    });
    expect(both.status).toBe(200);
    expect((await client(em).get(`servers/${other}`)).body.data.backup_settings.enabled).toBe(false);
    expect((await client(em).post(`servers/${id}/resize`, { plan_id: 1 })).status).toBe(200);
    expect(em.state.servers[0]?.planHistory).toHaveLength(1);
  });
});

describe("additional IPs", () => {
  it("POST servers/{id}/ips {count} attaches IPs; DELETE {ids} detaches them; both answer a Task", async () => {
    const id = await create();
    const added = await alice().post(`servers/${id}/ips`, { count: 2 });
    expect(added.status).toBe(200);
    expect(added.body.data).toMatchObject({ action: "vm-update-network", status: "done" });
    const ips = (await client(em).get(`servers/${id}`)).body.data.ips;
    expect(ips.map((ip: { id: number }) => ip.id)).toEqual([1, 2, 3]);
    const removed = await alice().request("DELETE", `servers/${id}/ips`, { ids: [2] });
    expect(removed.status).toBe(200);
    const after = (await client(em).get(`servers/${id}`)).body.data;
    expect(after.ips.map((ip: { id: number }) => ip.id)).toEqual([1, 3]);
    expect(after.ip_addresses.ipv4.map((ip: { id: number }) => ip.id)).toEqual([1, 3]);
  });

  it("refuses the primary IP, an IP the server does not have, a plan without IPs, a bad count", async () => {
    const id = await create();
    const primary = await client(em).request("DELETE", `servers/${id}/ips`, { ids: [1] });
    expect(primary.status).toBe(422);
    expect(primary.body.errors["ids.0"][0]).toMatch(/primary/);
    expect((await client(em).request("DELETE", `servers/${id}/ips`, { ids: [77] })).status).toBe(422);
    expect((await client(em).request("DELETE", `servers/${id}/ips`, { ids: [] })).status).toBe(422);
    expect((await client(em).post(`servers/${id}/ips`, { count: 0 })).status).toBe(422);
    const noIps = await create({ plan: 2 });
    expect((await client(em).post(`servers/${noIps}/ips`, { count: 1 })).body.errors.count[0]).toMatch(
      /does not offer additional IPs/,
    );
  });

  it("keeps to the owner's limit group (403), like a create", async () => {
    // Bob's group allows one additional IP.
    const id = await create({ user: 6 });
    expect((await bob().post(`servers/${id}/ips`, { count: 1 })).status).toBe(200);
    expect((await bob().post(`servers/${id}/ips`, { count: 1 })).status).toBe(403);
  });
});

describe("PATCH servers/{id} backup_settings", () => {
  it("switches paid backups on and off; 422 when the plan does not offer them", async () => {
    const id = await create();
    const on = await alice().patch(`servers/${id}`, { backup_settings: { enabled: true } });
    expect(on.status).toBe(200);
    expect(on.body.data.backup_settings.enabled).toBe(true);
    // solus-go-sdk servers.go ServerBackupSettings: `enabled,omitempty` — switching off sends no `enabled`.
    const off = await alice().patch(`servers/${id}`, {
      backup_settings: { schedule: { type: "daily", time: { hour: 0, minutes: 0 } }, limit: { limit: 0 } },
    });
    expect(off.body.data.backup_settings.enabled).toBe(false);
    const noBackups = await create({ plan: 2 });
    const refused = await client(em).patch(`servers/${noBackups}`, { backup_settings: { enabled: true } });
    expect(refused.status).toBe(422);
    expect(refused.body.errors["backup_settings.enabled"][0]).toMatch(/does not offer backups/);
    // A PATCH without backup_settings (the WHMCS module's hostname change) leaves them alone.
    await alice().patch(`servers/${id}`, { backup_settings: { enabled: true } });
    const renamed = await alice().patch(`servers/${id}`, { name: "web-2", fqdns: ["web-2"] });
    expect(renamed.body.data).toMatchObject({ name: "web-2", backup_settings: { enabled: true } });
  });
});

describe("GET tasks and GET activity_logs", () => {
  it("record creates, deletes, resizes, IP changes and backup switches at the clock's instant", async () => {
    await setClock(em, { now: "2026-10-01T10:30:00Z" });
    const id = await create({ additional_ip_count: 1 });
    await setClock(em, { advance_hours: 1 });
    // Plan 4 offers no additional IPs: the one that came with the server goes first.
    await client(em).request("DELETE", `servers/${id}/ips`, { ids: [2] });
    await client(em).post(`servers/${id}/resize`, { plan_id: 4 });
    await client(em).post(`servers/${id}/resize`, { plan_id: 1 });
    await client(em).post(`servers/${id}/ips`, { count: 1 });
    await alice().patch(`servers/${id}`, { backup_settings: { enabled: true } });
    await setClock(em, { advance_minutes: 5 });
    await client(em).del(`servers/${id}`);

    const logs = await client(em).get("activity_logs?per_page=100");
    expect(logs.status).toBe(200);
    expect(logs.body.meta).toMatchObject({ total: 8, last_page: 1 });
    const at1 = "2026-10-01T10:30:00.000000Z";
    const at2 = "2026-10-01T11:30:00.000000Z";
    const admin = "admin@example.com";
    expect(logs.body.data).toEqual([
      {
        id: 1,
        event: "compute_resource_vm_created",
        user_email: admin,
        created_at: at1,
        data: {
          server_id: id,
          server_uuid: "00000000-0000-4000-8000-000000000001",
          server_name: "web",
          user_id: 5,
          plan_id: 1,
          backups_enabled: false,
        },
      },
      {
        id: 2,
        event: "additional_ip_created",
        user_email: admin,
        created_at: at1,
        data: { server_id: id, ip_id: 2, ip: "203.0.113.2" },
      },
      {
        id: 3,
        event: "additional_ip_deleted",
        user_email: admin,
        created_at: at2,
        data: { server_id: id, ip_id: 2 },
      },
      {
        id: 4,
        event: "compute_resource_vm_resized",
        user_email: admin,
        created_at: at2,
        data: { server_id: id, plan_id: 4, previous_plan_id: 1 },
      },
      {
        id: 5,
        event: "compute_resource_vm_resized",
        user_email: admin,
        created_at: at2,
        data: { server_id: id, plan_id: 1, previous_plan_id: 4 },
      },
      {
        id: 6,
        event: "additional_ip_created",
        user_email: admin,
        created_at: at2,
        data: { server_id: id, ip_id: 3, ip: "203.0.113.3" },
      },
      {
        id: 7,
        event: "compute_resource_vm_backups_switched",
        user_email: "alice@example.com",
        created_at: at2,
        data: { server_id: id, enabled: true },
      },
      {
        id: 8,
        event: "compute_resource_vm_delete_requested",
        user_email: admin,
        created_at: "2026-10-01T11:35:00.000000Z",
        data: { server_id: id },
      },
    ]);

    const tasks = await client(em).get("tasks?per_page=100");
    expect(
      tasks.body.data.map((t: { action: string; created_at: string }) => [t.action, t.created_at]),
    ).toEqual([
      ["vm-create", at1],
      ["vm-update-network", at2],
      ["vm-resize", at2],
      ["vm-resize", at2],
      ["vm-update-network", at2],
      ["vm-delete", "2026-10-01T11:35:00.000000Z"],
    ]);
  });

  it("filter and page like every list; activity logs are for admins, tasks for their servers' owners", async () => {
    const a = await create();
    const b = await create({ user: 6 });
    await client(em).post(`servers/${a}/resize`, { plan_id: 4 });
    await client(em).del(`servers/${b}`);
    // solus-go-sdk tasks filter: filter[action], filter[status], filter[compute_resource_vm_id].
    const resized = await client(em).get("tasks?filter%5Baction%5D=vm-resize&filter%5Bstatus%5D=done");
    expect(
      resized.body.data.map((t: { compute_resource_vm_id: number }) => t.compute_resource_vm_id),
    ).toEqual([a]);
    expect((await client(em).get("tasks?filter[status]=failed")).body.data).toEqual([]);
    expect((await client(em).get("tasks?filter[status]=nope")).status).toBe(422);
    expect((await client(em).get(`tasks?filter[compute_resource_vm_id]=${b}`)).body.meta.total).toBe(2);
    expect((await alice().get("tasks")).body.meta.total).toBe(2);
    const paged = await client(em).get("tasks?per_page=2&page=2");
    expect(paged.body.meta).toMatchObject({ current_page: 2, last_page: 2, total: 4 });
    expect(paged.body.links.prev).toContain("page=1");

    const created = await client(em).get("activity_logs?filter[event]=compute_resource_vm_created");
    expect(created.body.data.map((e: { data: { server_id: number } }) => e.data.server_id)).toEqual([a, b]);
    expect((await client(em).get("activity_logs?filter[user_id]=1")).body.meta.total).toBe(4);
    expect((await client(em).get("activity_logs?per_page=3")).body.meta).toMatchObject({
      last_page: 2,
      total: 4,
    });
    expect((await alice().get("activity_logs")).status).toBe(403);
  });
});
