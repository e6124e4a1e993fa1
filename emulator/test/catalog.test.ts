import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAX_PRICE_CHANGES_PER_PLAN, notePlanPrices } from "../ops/plans.ts";
import type { RunningEmulator } from "../start.ts";
import { BASIC_SEED, client, reset, startTestEmulator, T0, updatePlanAsSdk } from "./helpers.ts";

let em: RunningEmulator;
beforeAll(async () => {
  em = await startTestEmulator({ seed: BASIC_SEED });
});
afterAll(() => em.close());
beforeEach(() => reset(em, BASIC_SEED));

const alice = () => client(em, "alice-token-0123456789");

describe("roles", () => {
  it("lists the built-in roles with users_count; GET one; 404", async () => {
    const res = await client(em).get("roles");
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      { id: 1, name: "ADMIN", is_default: false, users_count: 1 },
      { id: 2, name: "CLIENT", is_default: true, users_count: 2 },
    ]);
    expect(res.body.meta.total).toBe(2);
    expect((await client(em).get("roles/2")).body.data.name).toBe("CLIENT");
    expect((await client(em).get("roles/9")).status).toBe(404);
  });
});

describe("locations", () => {
  it("admins see all, users only visible ones", async () => {
    expect((await client(em).get("locations")).body.data.map((l: { id: number }) => l.id)).toEqual([1, 2]);
    expect((await alice().get("locations")).body.data.map((l: { id: number }) => l.id)).toEqual([1]);
    expect((await alice().get("locations/2")).status).toBe(404);
    expect((await client(em).get("locations/2")).body.data).toEqual({
      id: 2,
      name: "Hidden DC",
      description: "",
      icon: null,
      is_default: false,
      is_visible: false,
      compute_resources: [],
    });
  });

  it("a fresh installation has one location and no plans", async () => {
    await reset(em, {});
    expect((await client(em).get("locations")).body.data).toHaveLength(1);
    expect((await client(em).get("plans")).body).toMatchObject({
      data: [],
      meta: { total: 0, last_page: 1 },
    });
  });
});

describe("limit groups", () => {
  it("create 201, get, update 200, delete 204; the shape mirrors §4", async () => {
    const created = await client(em).post("limit_groups", {
      name: "Starter",
      vms: { limit: 3, is_enabled: true },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      name: "Starter",
      vms: { limit: 3, is_enabled: true },
      running_vms: { limit: 0, is_enabled: false },
      additional_ips: { limit: 0, is_enabled: false },
    });
    expect(created.body.data.created_at).toBe("2026-10-01T00:00:00.000000Z");
    const id = created.body.data.id;
    const updated = await client(em).put(`limit_groups/${id}`, {
      running_vms: { limit: 1, is_enabled: true },
    });
    expect(updated.body.data).toMatchObject({ name: "Starter", running_vms: { limit: 1, is_enabled: true } });
    expect((await client(em).get(`limit_groups/${id}`)).status).toBe(200);
    const del = await client(em).del(`limit_groups/${id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    expect((await client(em).get(`limit_groups/${id}`)).status).toBe(404);
  });

  it("validates bodies and refuses to delete a group in use", async () => {
    const bad = await client(em).post("limit_groups", { vms: { limit: -1, is_enabled: "yes" } });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(["name", "vms.is_enabled", "vms.limit"]);
    const inUse = await client(em).del("limit_groups/1");
    expect(inUse.status).toBe(422);
    expect(inUse.body.message).toMatch(/assigned to 1 user/);
  });

  it("is admin only", async () => {
    expect((await alice().get("limit_groups")).status).toBe(403);
  });
});

describe("plans", () => {
  it("lists plans with their token fields; users see visible plans only; price is null without billing", async () => {
    const all = await client(em).get("plans");
    expect(all.body.meta.total).toBe(5);
    expect(all.body.data[0]).toMatchObject({
      id: 1,
      name: "1 Core, 1 GB RAM",
      virtualization_type: "kvm",
      tokens_per_hour: 7,
      tokens_per_month: 5000,
      ip_tokens_per_hour: 1,
      ip_tokens_per_month: 500,
      iso_image_tokens_per_hour: 0,
      iso_image_tokens_per_month: 0,
      is_additional_ips_available: true,
      is_backup_available: true,
      backup_price: 10,
      is_visible: true,
      is_default: false,
      params: { disk: 10, ram: 1073741824, vcpu: 1 },
      price: null,
    });
    // Every limit the Go SDK declares, disabled, in the unit it defaults to.
    expect(all.body.data[0].limits).toMatchObject({
      disk_iops: { is_enabled: false, limit: 0, unit: "iops" },
      network_total_traffic: { is_enabled: false, limit: 0, unit: "KB" },
      backup_limit: { is_enabled: false, limit: 0, unit: "units" },
    });
    expect((await alice().get("plans")).body.meta.total).toBe(4);
    expect((await alice().get("plans/5")).status).toBe(404);
  });

  it("create 201, update 200, delete 204; one default at a time", async () => {
    const created = await client(em).post("plans", {
      name: "New",
      tokens_per_hour: 14,
      tokens_per_month: 10000,
      is_default: true,
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      name: "New",
      tokens_per_hour: 14,
      tokens_per_month: 10000,
      is_default: true,
    });
    const id = created.body.data.id;
    await updatePlanAsSdk(em, 4, { is_default: true });
    expect((await client(em).get(`plans/${id}`)).body.data.is_default).toBe(false);
    const updated = await updatePlanAsSdk(em, id, { tokens_per_month: 9000 });
    expect(updated.body.data).toMatchObject({ tokens_per_hour: 14, tokens_per_month: 9000 });
    const del = await client(em).del(`plans/${id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    expect((await client(em).del(`plans/${id}`)).status).toBe(404);
  });

  it("takes paid backups, ISO tokens, limits, virtualization type and RAM in bytes on create and update", async () => {
    const created = await client(em).post("plans", {
      name: "Backups",
      tokens_per_hour: 7,
      tokens_per_month: 5000,
      is_backup_available: true,
      backup_price: 12.5,
      iso_image_tokens_per_hour: 1,
      iso_image_tokens_per_month: 300,
      virtualization_type: "vz",
      limits: { network_total_traffic: { is_enabled: true, limit: 5, unit: "TB" }, disk_iops: { limit: 9 } },
      params: { disk: 20, ram: 2147483648, vcpu: 2 },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      is_backup_available: true,
      backup_price: 12.5,
      iso_image_tokens_per_hour: 1,
      iso_image_tokens_per_month: 300,
      virtualization_type: "vz",
      params: { disk: 20, ram: 2147483648, vcpu: 2 },
      limits: {
        network_total_traffic: { is_enabled: true, limit: 5, unit: "TB" },
        disk_iops: { is_enabled: false, limit: 9, unit: "iops" },
        backup_limit: { is_enabled: false, limit: 0, unit: "units" },
      },
    });
    const id = created.body.data.id;
    const updated = await updatePlanAsSdk(em, id, {
      backup_price: 0.5,
      is_backup_available: false,
      limits: { backup_limit: { is_enabled: true, limit: 3 } },
    });
    // The update's limits replace the plan's: one it leaves out is back to disabled (until 2026-12-06 merged).
    expect(updated.body.data).toMatchObject({
      backup_price: 0.5,
      is_backup_available: false,
      limits: {
        network_total_traffic: { is_enabled: false, limit: 0, unit: "KB" },
        disk_iops: { is_enabled: false, limit: 0, unit: "iops" },
        backup_limit: { is_enabled: true, limit: 3, unit: "units" },
      },
    });
    expect((await client(em).get(`plans/${id}`)).body.data.limits).toEqual(updated.body.data.limits);
  });

  // Until 2026-12-06 these were checked and dropped: every plan showed position = id, "never", "separate",
  // snapshots off, whatever a client had sent.
  it("stores and shows back what the Go SDK sends besides prices: position, reset_limit_policy, traffic type, snapshots, storage", async () => {
    const created = await client(em).post("plans", {
      name: "Kept",
      tokens_per_hour: 7,
      tokens_per_month: 5000,
      position: 2.5,
      is_snapshots_enabled: true,
      reset_limit_policy: "first_day_of_month",
      network_traffic_limit_type: "total",
      storage_type: "lvm",
      image_format: "raw",
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const shown = {
      position: 2.5,
      is_snapshots_enabled: true,
      reset_limit_policy: "first_day_of_month",
      network_traffic_limit_type: "total",
      storage_type: "lvm",
      image_format: "raw",
    };
    expect(created.body.data).toMatchObject(shown);
    expect((await client(em).get(`plans/${id}`)).body.data).toMatchObject(shown);
    // A plan created without them: its id as position, SolusIO's defaults.
    const plain = (await client(em).post("plans", { name: "Plain", network_traffic_limit_type: "" })).body
      .data;
    expect(plain).toMatchObject({
      position: plain.id,
      is_snapshots_enabled: false,
      reset_limit_policy: "never",
      network_traffic_limit_type: "separate",
      storage_type: "fb",
      image_format: "qcow2",
    });

    const updated = await updatePlanAsSdk(em, id, {
      position: 7,
      is_snapshots_enabled: false,
      reset_limit_policy: "vm_created_day",
      network_traffic_limit_type: "separate",
    });
    expect(updated.status).toBe(200);
    const after = { position: 7, is_snapshots_enabled: false, reset_limit_policy: "vm_created_day" };
    expect(updated.body.data).toMatchObject({ ...after, network_traffic_limit_type: "separate" });
    expect((await client(em).get("plans")).body.data.find((p: { id: number }) => p.id === id)).toMatchObject(
      after,
    );
    // The SDK's zero values: an empty policy is "never" (as the SDK itself sends it); an empty traffic type
    // keeps the plan's [OURS].
    await updatePlanAsSdk(em, id, { network_traffic_limit_type: "total" });
    const zero = await updatePlanAsSdk(em, id, { reset_limit_policy: "", network_traffic_limit_type: "" });
    expect(zero.body.data).toMatchObject({
      reset_limit_policy: "never",
      network_traffic_limit_type: "total",
    });
    const bad = await updatePlanAsSdk(em, id, { reset_limit_policy: "weekly", position: "first" });
    expect(bad.status).toBe(422);
    expect(Object.keys(bad.body.errors).sort()).toEqual(["position", "reset_limit_policy"]);
  });

  it("keeps at most MAX_PRICE_CHANGES_PER_PLAN price changes a plan, dropping the oldest; a deleted unused plan's go", async () => {
    // A server on the plan: a plan no server was ever on keeps no history but its current prices (ops/plans.ts).
    expect((await client(em).post("servers", { name: "s", plan: 1, location: 1, user: 5 })).status).toBe(201);
    const plan = em.state.plans.find((p) => p.id === 1)!;
    const before = em.state.planPrices.filter((c) => c.planId === plan.id).length;
    for (let i = 1; i <= MAX_PRICE_CHANGES_PER_PLAN + 5; i++) {
      plan.tokensPerHour = 1000 + i;
      notePlanPrices(em.state, plan, new Date(T0.getTime() + i * 1000).toISOString());
    }
    const kept = em.state.planPrices.filter((c) => c.planId === plan.id);
    expect(before).toBeGreaterThan(0);
    expect(kept).toHaveLength(MAX_PRICE_CHANGES_PER_PLAN);
    expect(kept.at(-1)!.tokensPerHour).toBe(1000 + MAX_PRICE_CHANGES_PER_PLAN + 5);
    expect(kept[0]!.tokensPerHour).toBe(1000 + 6);

    const made = (await client(em).post("plans", { name: "Short-lived", tokens_per_hour: 3 })).body.data;
    await updatePlanAsSdk(em, made.id, { tokens_per_hour: 4 });
    expect(em.state.planPrices.some((c) => c.planId === made.id)).toBe(true);
    expect((await client(em).del(`plans/${made.id}`)).status).toBe(204);
    expect(em.state.planPrices.some((c) => c.planId === made.id)).toBe(false);
  });

  it("refuses a backup price outside 0–100, RAM given in MiB, an unknown virtualization type", async () => {
    const res = await client(em).post("plans", {
      name: "Bad",
      backup_price: 101,
      virtualization_type: "xen",
      params: { disk: 10, ram: 1024, vcpu: 1 },
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.errors).sort()).toEqual([
      "backup_price",
      "params.ram",
      "virtualization_type",
    ]);
    expect(res.body.errors["params.ram"][0]).toMatch(/bytes/);
    expect((await updatePlanAsSdk(em, 1, { backup_price: -1 })).status).toBe(422);
  });

  // A SolusIO may refuse a partial body or reset what it leaves out; until 2026-12-06 the emulator merged any
  // part, so tokenbill's four-field price update passed every test.
  it("refuses a PUT plans without a field the Go SDK's update body always has, as SolusIO words a 422", async () => {
    const partial = {
      tokens_per_hour: 8,
      tokens_per_month: 5000,
      ip_tokens_per_hour: 1,
      ip_tokens_per_month: 500,
    };
    const res = await client(em).put("plans/1", partial);
    expect(res.status).toBe(422);
    expect(res.body.message).toBe("The name field is required. (and 9 more errors)");
    expect(res.body.errors.name).toEqual(["The name field is required."]);
    expect(Object.keys(res.body.errors).sort()).toEqual([
      "backup_price",
      "is_backup_available",
      "is_default",
      "is_snapshots_enabled",
      "is_visible",
      "limits",
      "name",
      "network_traffic_limit_type",
      "position",
      "reset_limit_policy",
    ]);
    const before = (await client(em).get("plans/1")).body.data;
    expect(before.tokens_per_hour).not.toBe(8);
    const noName = await updatePlanAsSdk(em, 1, { ...partial, name: undefined });
    expect([noName.status, noName.body]).toEqual([
      422,
      { message: "The name field is required.", errors: { name: ["The name field is required."] } },
    ]);
    expect((await client(em).get("plans/1")).body.data).toEqual(before);
    const whole = await updatePlanAsSdk(em, 1, partial);
    expect(whole.status).toBe(200);
    expect(whole.body.data).toEqual({ ...before, ...partial });
  });

  it("refuses non-integer and negative token prices (billing-rules §1) with 422", async () => {
    const res = await client(em).post("plans", {
      name: "Bad",
      tokens_per_hour: 7.5,
      tokens_per_month: -1,
      ip_tokens_per_hour: "3",
    });
    expect(res.status).toBe(422);
    expect(res.body.errors.tokens_per_hour[0]).toMatch(/whole number of tokens|integer/);
    expect(Object.keys(res.body.errors).sort()).toEqual([
      "ip_tokens_per_hour",
      "tokens_per_hour",
      "tokens_per_month",
    ]);
  });

  it("refuses to delete a plan that live servers use", async () => {
    await client(em).post("servers", { name: "s", plan: 1, location: 1, user: 5 });
    expect((await client(em).del("plans/1")).status).toBe(422);
  });
});

describe("settings", () => {
  it("GET → default settings of a fresh installation", async () => {
    const res = await client(em).get("settings");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      data: {
        // The seven booleans of the Go SDK's SettingsFeatures.
        features: {
          hide_plan_name: false,
          hide_user_data: false,
          hide_plan_section: false,
          hide_location_section: false,
          allow_registration: true,
          allow_password_recovery: true,
          hide_api_documentation_link: false,
        },
        limit_group: null,
        billing_integration: null,
        // The Go SDK's other Settings keys, acted on by nothing here.
        hostname: "",
        registration: { role: "CLIENT" },
        non_existent_vms_remover: { enabled: false, interval: 0 },
      },
    });
  });

  it("PATCH turns registration off, sets the default limit group and the custom billing integration", async () => {
    const res = await client(em).patch("settings", {
      features: { allow_registration: false },
      limit_group: { id: 1 },
      billing_integration: {
        type: "custom",
        drivers: { custom: { url: "https://billing.example/solusio/api/", token: "t0k" } },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.features.allow_registration).toBe(false);
    expect(res.body.data.limit_group).toMatchObject({ id: 1, name: "Two servers" });
    expect(res.body.data.billing_integration).toEqual({
      type: "custom",
      drivers: { custom: { url: "https://billing.example/solusio/api/", token: "t0k" } },
    });
    // Keys not sent stay as they are.
    const again = await client(em).patch("settings", { limit_group_id: null });
    expect(again.body.data).toMatchObject({ features: { allow_registration: false }, limit_group: null });
    expect(again.body.data.billing_integration.type).toBe("custom");
  });

  it("PATCH keeps what it is sent: every features boolean (merged by key) and any other key", async () => {
    const res = await client(em).patch("settings", {
      features: { hide_plan_name: true, allow_password_recovery: false, some_new_flag: true },
      hostname: "solus.example.com",
      theme: { brand_name: "Acme" },
    });
    expect(res.status).toBe(200);
    const got = (await client(em).get("settings")).body.data;
    expect(got.features).toEqual({
      hide_plan_name: true,
      hide_user_data: false,
      hide_plan_section: false,
      hide_location_section: false,
      allow_registration: true,
      allow_password_recovery: false,
      hide_api_documentation_link: false,
      some_new_flag: true,
    });
    expect(got).toMatchObject({ hostname: "solus.example.com", theme: { brand_name: "Acme" } });
    await client(em).patch("settings", { theme: { primary_color: "#fff" } });
    expect((await client(em).get("settings")).body.data.theme).toEqual({ primary_color: "#fff" });
  });

  it("validates: unknown limit group, a type without its driver, a bad URL → 422 and nothing changes", async () => {
    for (const body of [
      { limit_group: 99 },
      { billing_integration: { type: "whmcs" } },
      { billing_integration: { type: "custom", drivers: { custom: { url: "ftp://x" } } } },
      { features: { allow_registration: "no" } },
    ]) {
      const res = await client(em).patch("settings", { features: { allow_registration: false }, ...body });
      expect(res.status).toBe(422);
    }
    expect((await client(em).get("settings")).body.data.features.allow_registration).toBe(true);
  });

  it("is admin only", async () => {
    expect((await alice().get("settings")).status).toBe(403);
    expect((await alice().patch("settings", {})).status).toBe(403);
  });
});

describe("self-registration", () => {
  it("works while allow_registration is on, and is refused (403) when the billing side turned it off", async () => {
    const anon = client(em, null);
    const ok = await anon.post("auth/register", { email: "self@example.com", password: "long-enough" });
    expect(ok.status).toBe(201);
    expect(ok.body.data).toMatchObject({
      email: "self@example.com",
      billing_user_id: null,
      status: "active",
    });
    expect(
      (await anon.post("auth/register", { email: "self@example.com", password: "long-enough" })).status,
    ).toBe(422);
    expect((await anon.post("auth/register", { email: "x@example.com", password: "short" })).status).toBe(
      422,
    );
    await client(em).patch("settings", { features: { allow_registration: false } });
    const refused = await anon.post("auth/register", { email: "other@example.com", password: "long-enough" });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/Registration is disabled/);
  });
});
