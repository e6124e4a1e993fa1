import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, reset, setClock, startTestEmulator } from "./helpers.ts";

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

const alice = () => client(em, "alice-token-0123456789");
const bob = () => client(em, "bob-token-0123456789ab");
const TASK_KEYS = [
  "action",
  "compute_resource_id",
  "duration",
  "id",
  "output",
  "progress",
  "queue",
  "status",
];

async function create(body: Record<string, unknown>) {
  return client(em).post("servers", { name: "web-1", plan: 1, location: 1, password: "pw", os: 3, ...body });
}

describe("create, get, list, delete", () => {
  it("creates a server shaped like the WHMCS module's request (extra keys ignored) → 201 Server", async () => {
    const res = await create({
      user: 5,
      additional_ip_count: 1,
      fqdns: ["web-1.example.com"],
      backup_settings: { enabled: true },
      ssh_keys: [1],
    });
    expect(res.status).toBe(201);
    const s = res.body.data;
    expect(s).toMatchObject({
      id: 1,
      name: "web-1",
      status: "started",
      is_suspended: false,
      created_at: "2026-10-01T00:00:00.000000Z",
      plan: { id: 1, tokens_per_hour: 7 },
      user: { id: 5, billing_user_id: 42 },
      project: { name: "Default Project" },
      location: { id: 1, name: "Frankfurt" },
      // RAM in bytes (solusio-api.md §5): the default plan has 1 GiB.
      specifications: { disk: 10, ram: 1073741824, vcpu: 1 },
      backup_settings: { enabled: true },
    });
    expect(s.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(s.ip_addresses.ipv4).toEqual([
      { id: 1, ip: "203.0.113.1", is_primary: true },
      { id: 2, ip: "203.0.113.2", is_primary: false },
    ]);
    // The Go SDK and Terraform read `ips` with each address's block.
    expect(s.ips.map((ip: { id: number; ip: string }) => [ip.id, ip.ip])).toEqual([
      [1, "203.0.113.1"],
      [2, "203.0.113.2"],
    ]);
    expect(s.ips[0].ip_block).toMatchObject({ name: "203.0.113.0/24", type: "IPv4" });
    expect((await client(em).get("servers/1")).body.data.name).toBe("web-1");
  });

  it("validates: missing fields, unknown plan/location/user, IPs on a plan without them", async () => {
    const missing = await client(em).post("servers", {});
    expect(missing.status).toBe(422);
    expect(Object.keys(missing.body.errors).sort()).toEqual(["location", "name", "plan"]);
    const unknown = await create({ plan: 99, location: 99, user: 99 });
    expect(Object.keys(unknown.body.errors).sort()).toEqual(["location", "plan", "user"]);
    const ips = await create({ plan: 2, user: 5, additional_ip_count: 1 });
    expect(ips.body.errors.additional_ip_count[0]).toMatch(/does not offer additional IPs/);
  });

  it("lists with filter[user_id] (PHP-encoded), filter[status], filter[search]; users see only their own", async () => {
    await create({ user: 5, name: "a-1" });
    await create({ user: 6, name: "b-1" });
    await create({ user: 5, name: "a-2" });
    await client(em).post("servers/3/stop");
    const byUser = await client(em).get("servers?filter%5Buser_id%5D=5");
    expect(byUser.body.data.map((s: { name: string }) => s.name)).toEqual(["a-1", "a-2"]);
    expect(
      (await client(em).get("servers?filter[status]=stopped")).body.data.map((s: { id: number }) => s.id),
    ).toEqual([3]);
    expect(
      (await client(em).get("servers?filter[search]=B-")).body.data.map((s: { id: number }) => s.id),
    ).toEqual([2]);
    expect((await client(em).get("servers?filter[status]=nope")).status).toBe(422);
    expect((await client(em).get("servers?filter[user_id]=abc")).status).toBe(422);
    expect((await alice().get("servers")).body.meta.total).toBe(2);
    expect((await alice().get("servers/2")).status).toBe(404);
  });

  it("DELETE → 200 {data: Task}; the server vanishes from GET servers and GET servers/{id}", async () => {
    await create({ user: 5 });
    const res = await client(em).del("servers/1");
    expect(res.status).toBe(200);
    expect(
      Object.keys(res.body.data)
        .filter((k) => TASK_KEYS.includes(k))
        .sort(),
    ).toEqual(TASK_KEYS);
    expect(res.body.data).toMatchObject({ action: "vm-delete", status: "done", progress: 100 });
    expect((await client(em).get("servers")).body.data).toEqual([]);
    expect((await client(em).get("servers/1")).status).toBe(404);
    expect((await client(em).del("servers/1")).status).toBe(404);
  });

  it("a user may create a server for themself but not for someone else", async () => {
    const own = await alice().post("servers", { name: "mine", plan: 1, location: 1 });
    expect(own.status).toBe(201);
    expect(own.body.data.user.id).toBe(5);
    expect((await alice().post("servers", { name: "x", plan: 1, location: 1, user: 6 })).status).toBe(403);
  });
});

describe("power actions", () => {
  it("start/stop/restart/suspend/resume → 200 {data: Task} with vm-* actions and the matching state", async () => {
    await create({ user: 5 });
    const steps: [string, string, boolean][] = [
      ["stop", "stopped", false],
      ["start", "started", false],
      ["restart", "started", false],
      ["suspend", "stopped", true],
      ["resume", "started", false],
    ];
    for (const [action, status, suspended] of steps) {
      const res = await client(em).post(`servers/1/${action}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ action: `vm-${action}`, status: "done" });
      const server = (await client(em).get("servers/1")).body.data;
      expect([action, server.status, server.is_suspended]).toEqual([action, status, suspended]);
    }
  });

  it("a suspended server cannot be started (403); owners cannot suspend or resume", async () => {
    await create({ user: 5 });
    await client(em).post("servers/1/suspend");
    const start = await client(em).post("servers/1/start");
    expect(start.status).toBe(403);
    expect(start.body.message).toMatch(/suspended/);
    expect((await alice().post("servers/1/resume")).status).toBe(403);
    expect((await alice().post("servers/1/stop")).status).toBe(200);
    expect((await client(em).post("servers/99/start")).status).toBe(404);
  });

  it("GET tasks/{id} returns the task", async () => {
    await create({ user: 5 });
    const task = (await client(em).post("servers/1/stop")).body.data;
    expect((await client(em).get(`tasks/${task.id}`)).body.data).toMatchObject({
      id: task.id,
      action: "vm-stop",
    });
  });
});

describe("user status drives servers", () => {
  it("suspended suspends the user's servers; active resumes the ones that were running", async () => {
    await create({ user: 5, name: "running" });
    await create({ user: 5, name: "stopped" });
    await client(em).post("servers/2/stop");
    await client(em).put("users/5", { status: "suspended" });
    let list = (await client(em).get("servers?filter[user_id]=5")).body.data;
    expect(list.map((s: { status: string; is_suspended: boolean }) => [s.status, s.is_suspended])).toEqual([
      ["stopped", true],
      ["stopped", true],
    ]);
    expect((await client(em).post("servers/1/start")).status).toBe(403);
    expect((await client(em).post("servers/1/resume")).status).toBe(403);
    await client(em).put("users/5", { status: "active" });
    list = (await client(em).get("servers?filter[user_id]=5")).body.data;
    expect(list.map((s: { status: string; is_suspended: boolean }) => [s.status, s.is_suspended])).toEqual([
      ["started", false],
      ["stopped", false],
    ]);
  });

  it("an admin suspension outlives the user's reactivation", async () => {
    await create({ user: 5 });
    await client(em).post("servers/1/suspend");
    await client(em).put("users/5", { status: "suspended" });
    await client(em).put("users/5", { status: "active" });
    expect((await client(em).get("servers/1")).body.data.is_suspended).toBe(true);
    await client(em).post("servers/1/resume");
    expect((await client(em).get("servers/1")).body.data).toMatchObject({
      is_suspended: false,
      status: "started",
    });
  });

  it("locked and suspended users cannot create servers (403 with a message)", async () => {
    for (const status of ["locked", "suspended"]) {
      await client(em).put("users/5", { status });
      const res = await create({ user: 5 });
      expect(res.status).toBe(403);
      expect(res.body.message).toBe(`User 5 is ${status} and cannot create servers.`);
    }
  });

  it("a locked user's running servers keep running", async () => {
    await create({ user: 5 });
    await client(em).put("users/5", { status: "locked" });
    expect((await client(em).get("servers/1")).body.data).toMatchObject({
      status: "started",
      is_suspended: false,
    });
  });
});

describe("limit groups are enforced on create and start", () => {
  // bob is in "Two servers": vms 2, running_vms 1, additional_ips 1.
  it("running_vms blocks a second running server; stopping one lets another start", async () => {
    expect((await create({ user: 6 })).status).toBe(201);
    const second = await create({ user: 6 });
    expect(second.status).toBe(403);
    expect(second.body.message).toMatch(/allows 1 running servers/);
    await client(em).post("servers/1/stop");
    expect((await create({ user: 6 })).status).toBe(201);
    const start = await client(em).post("servers/1/start");
    expect(start.status).toBe(403);
    await client(em).post("servers/2/stop");
    expect((await bob().post("servers/1/start")).status).toBe(200);
  });

  it("vms caps the number of servers; additional_ips caps IPs", async () => {
    await client(em).put("limit_groups/1", { running_vms: { limit: 5, is_enabled: true } });
    expect((await create({ user: 6, additional_ip_count: 2 })).status).toBe(403);
    expect((await create({ user: 6, additional_ip_count: 1 })).status).toBe(201);
    expect((await create({ user: 6, additional_ip_count: 1 })).body.message).toMatch(/additional IPs/);
    expect((await create({ user: 6 })).status).toBe(201);
    const third = await create({ user: 6 });
    expect(third.status).toBe(403);
    expect(third.body.message).toMatch(/allows 2 servers/);
  });

  it("lowering a limit below current use stops nothing; it only blocks new ones", async () => {
    await client(em).put("users/5", { limit_group_id: null });
    await create({ user: 5 });
    await create({ user: 5 });
    await client(em).put("users/5", { limit_group_id: 1 });
    const list = (await client(em).get("servers?filter[user_id]=5")).body.data;
    expect(list.map((s: { status: string }) => s.status)).toEqual(["started", "started"]);
    expect((await create({ user: 5 })).status).toBe(403);
  });
});

describe("the clock", () => {
  it("created_at follows the emulator clock", async () => {
    await setClock(em, { advance_hours: 5.5 });
    const res = await create({ user: 5 });
    expect(res.body.data.created_at).toBe("2026-10-01T05:30:00.000000Z");
  });
});
