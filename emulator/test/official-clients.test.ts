import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, reset, startTestEmulator } from "./helpers.ts";
import {
  ActivityLog,
  Features,
  IpAddress,
  LimitGroup,
  one,
  page,
  Plan,
  Project,
  Role,
  Server,
  Settings,
  Task,
  User,
} from "./official-shapes.ts";

// solusio-api.md §10: the official clients run against the emulator unchanged. Each request below is built the
// way the client builds it (body keys, zero values, PHP-encoded filters; the file read is named in a comment),
// and each answer is decoded into the shapes the client declares (official-shapes.ts).

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em));

/** The answer, decoded as the client would; a field of the wrong type or missing fails with its path. */
function decode<S extends z.ZodType>(
  schema: S,
  reply: { status: number; body: unknown; text: string },
): z.output<S> {
  const result = schema.safeParse(reply.body);
  if (!result.success) throw new Error(`${result.error.message}\n${reply.text.slice(0, 2000)}`);
  return result.data;
}

describe("users and user tokens", () => {
  it("the WHMCS module: search by e-mail, create, update status and billing_user_id, one-time token", async () => {
    // solusiovps lib/SolusAPI/Resources/UserResource.php getUserByEmail: Guzzle encodes filter[search].
    const none = await client(em).get("users?filter%5Bsearch%5D=carol%40example.com");
    expect(decode(page(User), none).data).toEqual([]);
    // Requests/UserRequestBuilder.php getCreateRequest: status 'Active' (UserResource::STATUS_ACTIVE), int id.
    const created = await client(em).post("users", {
      email: "carol@example.com",
      password: "secret-pw",
      status: "Active",
      billing_user_id: 77,
      limit_group_id: 1,
      roles: [2],
    });
    expect(created.status).toBe(201);
    const user = decode(one(User), created).data;
    expect(user).toMatchObject({ email: "carol@example.com", status: "active", roles: [{ name: "CLIENT" }] });
    const found = await client(em).get("users?filter%5Bsearch%5D=carol%40example.com");
    expect(decode(page(User), found).data.map((u) => u.id)).toEqual([user.id]);
    // getUpdateRequest: {status, billing_user_id}.
    const updated = await client(em).put(`users/${user.id}`, { status: "Active", billing_user_id: 78 });
    expect(decode(one(User), updated).data.status).toBe("active");
    // createToken: {is_one_time: true} → data.access_token.
    const token = await client(em).post(`users/${user.id}/tokens`, { is_one_time: true });
    expect(token.status).toBe(201);
    expect(token.body.data.access_token).toEqual(expect.any(String));
  });

  it("the Go SDK: UsersService.Create and Update (omitempty bodies), RolesService.List", async () => {
    // solus-go-sdk users.go UserCreateRequest {password, email, status, language_id, roles} (all omitempty).
    const created = await client(em).post("users", {
      password: "secret-pw",
      email: "dave@example.com",
      status: "active",
      roles: [2],
    });
    expect(created.status).toBe(201);
    const user = decode(one(User), created).data;
    // users.go UserUpdateRequest {password, status, language_id, roles}: locking a user.
    const locked = await client(em).put(`users/${user.id}`, { status: "locked" });
    expect(decode(one(User), locked).data.status).toBe("locked");
    // roles.go List + GetByName: the built-in ADMIN and CLIENT roles.
    const roles = decode(page(Role), await client(em).get("roles")).data;
    expect(roles.map((r) => r.name)).toEqual(["ADMIN", "CLIENT"]);
  });
});

describe("plans and limit groups", () => {
  // plans.go setDefaultsForPlanLimits: every limit is sent, with its default unit.
  const limits = {
    disk_bandwidth: { is_enabled: false, limit: 0, unit: "Bps" },
    disk_iops: { is_enabled: false, limit: 0, unit: "iops" },
    network_incoming_bandwidth: { is_enabled: false, limit: 0, unit: "Kbps" },
    network_outgoing_bandwidth: { is_enabled: false, limit: 0, unit: "Kbps" },
    network_incoming_traffic: { is_enabled: false, limit: 0, unit: "KB" },
    network_outgoing_traffic: { is_enabled: false, limit: 0, unit: "KB" },
    network_total_traffic: { is_enabled: true, limit: 1024, unit: "GB" },
    network_reduce_bandwidth: { is_enabled: false, limit: 0, unit: "Kbps" },
    backup_limit: { is_enabled: true, limit: 3, unit: "units" },
  };

  it("the Go SDK: PlansService.Create and Update with every field of PlanCreateRequest/PlanUpdateRequest", async () => {
    // plans.go PlanCreateRequest, marshalled: zero values included, reset_limit_policy defaulted to "never".
    const created = await client(em).post("plans", {
      name: "Go plan",
      params: { disk: 20, ram: 1073741824, vcpu: 1 },
      storage_type: "fb",
      image_format: "qcow2",
      limits,
      tokens_per_hour: 7,
      tokens_per_month: 5000,
      position: 0,
      is_visible: true,
      is_default: false,
      is_snapshots_enabled: false,
      is_backup_available: true,
      backup_price: 10,
      reset_limit_policy: "never",
      network_traffic_limit_type: "",
    });
    expect(created.status).toBe(201);
    const plan = decode(one(Plan), created).data;
    expect(plan).toMatchObject({ backup_price: 10, is_backup_available: true, params: { ram: 1073741824 } });
    expect(plan.limits.network_total_traffic).toEqual({ is_enabled: true, limit: 1024, unit: "GB" });
    // plans.go PlanUpdateRequest.
    const updated = await client(em).put(`plans/${plan.id}`, {
      name: "Go plan",
      limits,
      tokens_per_hour: 14,
      tokens_per_month: 10000,
      position: 0,
      is_visible: true,
      is_default: false,
      is_snapshots_enabled: false,
      is_backup_available: true,
      backup_price: 12.5,
      reset_limit_policy: "never",
      network_traffic_limit_type: "",
    });
    expect(decode(one(Plan), updated).data).toMatchObject({ tokens_per_hour: 14, backup_price: 12.5 });
    decode(page(Plan), await client(em).get("plans"));
  });

  it("the WHMCS module: plans and limit groups listed page by page until meta.last_page", async () => {
    // solusiovps lib/SolusAPI/Resources/Traits/ListRequest.php: sprintf('%s?page=%d', ENTITY, page).
    for (const [entity, schema] of [
      ["plans", Plan],
      ["limit_groups", LimitGroup],
    ] as const) {
      const first = decode(page(schema), await client(em).get(`${entity}?page=1`));
      expect(first.meta.last_page).toBe(1);
      expect(first.data.length).toBeGreaterThan(0);
    }
  });
});

describe("projects, server placement, resize, IPs, backups", () => {
  it("the Go SDK: projects, ProjectServerCreate, VirtualServersService.Create, Resize, Patch(backup_settings)", async () => {
    const alice = client(em, "alice-token-0123456789");
    // projects.go List.
    const projects = decode(page(Project), await alice.get("projects")).data;
    const project = projects[0];
    if (!project) throw new Error("alice has no project");
    // projectServers.go ProjectServersCreateRequest {name, plan_id, location_id, os_image_version_id}.
    const inProject = await alice.post(`projects/${project.id}/servers`, {
      name: "go-1",
      plan_id: 1,
      location_id: 1,
      os_image_version_id: 3,
    });
    expect(inProject.status).toBe(201);
    expect(decode(one(Server), inProject).data.project.id).toBe(project.id);
    // virtualServers.go VirtualServerCreateRequest: boot_mode defaulted to "disk", ssh_keys always sent.
    const created = await client(em).post("servers", {
      name: "go-2",
      boot_mode: "disk",
      ssh_keys: [],
      plan: 1,
      project: project.id,
      location: 1,
      os: 3,
    });
    expect(created.status).toBe(201);
    const server = decode(one(Server), created).data;
    expect(server.user.id).toBe(5);
    // ProjectID has no omitempty: a caller that names no project sends 0 (and nil SSHKeys as null), refused
    // like an unknown project [OURS].
    const noProject = await client(em).post("servers", {
      name: "go-3",
      boot_mode: "disk",
      ssh_keys: null,
      plan: 1,
      project: 0,
      location: 1,
      os: 3,
    });
    expect(noProject.status).toBe(422);
    expect(noProject.body.errors).toHaveProperty("project");
    // servers.go ServerResizeRequest {preserve_disk, plan_id} (backup_settings nil: omitted) → Task.
    const resized = await client(em).post(`servers/${server.id}/resize`, { preserve_disk: true, plan_id: 4 });
    expect(decode(one(Task), resized).data.action).toBe("vm-resize");
    await client(em).post(`servers/${server.id}/resize`, { preserve_disk: true, plan_id: 1 });
    // servers.go ServerUpdateRequest {backup_settings: {enabled, schedule, limit}} (enabled omitempty).
    const on = await client(em).patch(`servers/${server.id}`, {
      backup_settings: {
        enabled: true,
        schedule: { type: "daily", time: { hour: 3, minutes: 0 } },
        limit: { is_enabled: false, limit: 0, unit: "" },
      },
    });
    expect(decode(one(Server), on).data.backup_settings.enabled).toBe(true);
    const off = await client(em).patch(`servers/${server.id}`, {
      backup_settings: {
        schedule: { type: "", time: { hour: 0, minutes: 0 } },
        limit: { is_enabled: false, limit: 0, unit: "" },
      },
    });
    expect(decode(one(Server), off).data.backup_settings.enabled).toBe(false);
    // Additional IPs [OURS: neither client has the call]: the answer is a Task, the IPs decode as IPBlockIPAddress.
    expect(
      decode(one(Task), await client(em).post(`servers/${server.id}/ips`, { count: 1 })).data.status,
    ).toBe("done");
    const ips = decode(one(Server), await client(em).get(`servers/${server.id}`)).data.ips;
    expect(ips).toHaveLength(2);
    IpAddress.parse(ips[1]);
    decode(page(Server), await client(em).get("servers"));
  });

  it("the WHMCS module: create (ServerCreateRequestBuilder), resize (ServerResizeRequestBuilder), list by user", async () => {
    // solusiovps Requests/ServerCreateRequestBuilder.php get(): name, plan, location, password, fqdns,
    // backup_settings {enabled, schedule}, os, user_data, user, additional_ip_count.
    const created = await client(em).post("servers", {
      name: "vps-12.example.com",
      plan: 1,
      location: 1,
      password: "pw",
      fqdns: ["vps-12.example.com"],
      backup_settings: { enabled: true, schedule: { type: "daily", time: { hour: 0, minutes: 0 } } },
      os: 3,
      user_data: "#cloud-config",
      user: 5,
      additional_ip_count: 1,
    });
    expect(created.status).toBe(201);
    const server = decode(one(Server), created).data;
    expect(server.backup_settings.enabled).toBe(true);
    expect(created.body.data.ip_addresses.ipv4).toHaveLength(2);
    // Requests/ServerResizeRequestBuilder.php get(): {plan_id, preserve_disk} (custom_plan when configured).
    const resized = await client(em).post(`servers/${server.id}/resize`, {
      plan_id: 1,
      preserve_disk: true,
      custom_plan: { params: { ram: 2147483648 } },
    });
    expect(decode(one(Task), resized).data.action).toBe("vm-resize");
    // Resources/ServerResource.php getAllByUser: query filter[user_id].
    const mine = decode(page(Server), await client(em).get("servers?filter%5Buser_id%5D=5"));
    expect(mine.data.map((s) => s.id)).toEqual([server.id]);
  });
});

describe("settings", () => {
  it("the Go SDK: read, change one feature, send the whole features object back", async () => {
    // settings.go Get.
    const before = decode(one(Settings), await client(em).get("settings")).data;
    // settings.go SettingsUpdateRequest{Features: &f}: the whole SettingsFeatures (its seven booleans, none
    // omitempty, so false ones are sent too), one flag changed.
    const features = { ...Features.parse(before.features), allow_registration: false };
    expect(Object.keys(features)).toHaveLength(7);
    const patched = await client(em).patch("settings", { features });
    expect(decode(one(Settings), patched).data.features).toEqual(features);
    // SettingsUpdateRequest{LimitGroup: &g}: the whole LimitGroup is sent.
    const group = decode(page(LimitGroup), await client(em).get("limit_groups")).data[0];
    const withGroup = await client(em).patch("settings", { limit_group: group });
    expect(decode(one(Settings), withGroup).data.limit_group?.id).toBe(group?.id);
    // SettingsBillingIntegration {type, drivers: {whmcs: {url, token}}}.
    const billing = await client(em).patch("settings", {
      billing_integration: {
        type: "whmcs",
        drivers: { whmcs: { url: "https://billing.example/api/", token: "t" } },
      },
    });
    expect(decode(one(Settings), billing).data.billing_integration?.type).toBe("whmcs");
    expect(decode(one(Settings), await client(em).get("settings")).data.features.allow_registration).toBe(
      false,
    );
  });
});

describe("tasks and activity logs", () => {
  it("the Go SDK: TasksService.List with its filters, ActivityLogsService.List by event", async () => {
    await client(em).post("servers", { name: "t", plan: 1, location: 1, user: 5 });
    // tasks.go FilterTasks: filter[action], filter[status], filter[compute_resource_vm_id].
    const tasks = await client(em).get("tasks?filter%5Baction%5D=vm-create&filter%5Bstatus%5D=done");
    expect(decode(page(Task), tasks).data).toHaveLength(1);
    // activityLogs.go FilterActivityLogs.ByEvent.
    const logs = await client(em).get("activity_logs?filter%5Bevent%5D=compute_resource_vm_created");
    expect(decode(page(ActivityLog), logs).data[0]?.data).toMatchObject({
      server_id: 1,
      user_id: 5,
      plan_id: 1,
    });
  });
});
