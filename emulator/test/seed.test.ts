import { describe, expect, it } from "vitest";
import { buildInitialState, SeedError } from "../state/fresh-install.ts";
import { T0 } from "./helpers.ts";

describe("a fresh installation (no seed)", () => {
  it("has the admin user, the built-in roles, one location, one default limit group, no plans, registration on", () => {
    const state = buildInitialState(undefined, T0);
    expect(state.users.map((u) => [u.id, u.email, u.roleIds])).toEqual([[1, "admin@example.com", [1]]]);
    // solusio-api.md §10: the ADMIN and CLIENT roles and one limit group.
    expect(state.roles).toEqual([
      { id: 1, name: "ADMIN", isDefault: false },
      { id: 2, name: "CLIENT", isDefault: true },
    ]);
    expect(state.locations).toHaveLength(1);
    expect(state.limitGroups.map((g) => [g.id, g.name, g.vms.is_enabled])).toEqual([[1, "Default", false]]);
    expect(state.plans).toEqual([]);
    expect(state.settings).toMatchObject({
      features: { allow_registration: true },
      limitGroupId: 1,
      billingIntegration: null,
    });
  });

  it("keeps seeds that give RAM in MiB working: a value under 1 MiB is read as MiB", () => {
    const state = buildInitialState(
      {
        plans: [
          { name: "MiB", params: { disk: 20, ram: 1024, vcpu: 1 } },
          { name: "Bytes", params: { disk: 20, ram: 2147483648, vcpu: 1 } },
        ],
      },
      T0,
    );
    expect(state.plans.map((p) => p.params.ram)).toEqual([1073741824, 2147483648]);
  });

  it("a seed with limit groups replaces the default one; settings.limit_group null means no default group", () => {
    const none = buildInitialState({ settings: { limit_group: null } }, T0);
    expect([none.limitGroups.length, none.settings.limitGroupId]).toEqual([1, null]);
    const given = buildInitialState({ limit_groups: [{ name: "Mine" }] }, T0);
    expect([given.limitGroups.map((g) => g.name), given.settings.limitGroupId]).toEqual([["Mine"], null]);
  });
});

describe("the seed", () => {
  const seed = {
    admin: { email: "root@example.com" },
    settings: {
      allow_registration: false,
      limit_group: "Standard",
      billing_integration: {
        type: "custom",
        drivers: { custom: { url: "http://billing.test/api/", token: "t" } },
      },
    },
    roles: [{ name: "Reseller", is_default: true }],
    locations: [{ name: "Amsterdam" }, { id: 10, name: "Paris", is_default: true }],
    limit_groups: [{ name: "Standard", vms: { limit: 3, is_enabled: true } }],
    plans: [{ name: "Small", tokens_per_hour: 7, tokens_per_month: 5000, is_additional_ips_available: true }],
    users: [
      { email: "a@example.com", billing_user_id: "42", status: "Suspended", roles: ["Client"] },
      { id: 20, email: "b@example.com", limit_group: null, api_token: "b-token-0123456789ab" },
    ],
    servers: [
      {
        name: "running",
        user: "a@example.com",
        plan: "Small",
        created_at: "2026-09-01T00:00:00Z",
        additional_ip_count: 1,
      },
      {
        name: "gone",
        user: 20,
        plan: 1,
        location: "Paris",
        created_at: "2026-09-01T00:00:00Z",
        deleted_at: "2026-09-02T00:00:00Z",
      },
    ],
  };

  it("resolves references by name, email or id and applies defaults", () => {
    const state = buildInitialState(seed, T0);
    expect(state.roles.map((r) => [r.name, r.isDefault])).toEqual([
      ["ADMIN", false],
      ["CLIENT", false],
      ["Reseller", true],
    ]);
    expect(state.locations.map((l) => [l.id, l.name, l.isDefault])).toEqual([
      [1, "Amsterdam", false],
      [10, "Paris", true],
    ]);
    const a = state.users.find((u) => u.email === "a@example.com");
    const b = state.users.find((u) => u.email === "b@example.com");
    expect(a).toMatchObject({ billingUserId: 42, status: "suspended", roleIds: [2], limitGroupId: 1 });
    expect(b).toMatchObject({ id: 20, limitGroupId: null, roleIds: [3] });
    expect(state.tokens.map((t) => [t.userId, t.token])).toEqual([[20, "b-token-0123456789ab"]]);
    expect(state.settings).toMatchObject({
      features: { allow_registration: false },
      limitGroupId: 1,
      billingIntegration: { type: "custom" },
    });
  });

  it("seeds servers with their history; a suspended owner's servers are suspended", () => {
    const state = buildInitialState(seed, T0);
    const [running, gone] = state.servers;
    expect(running).toMatchObject({
      name: "running",
      status: "stopped",
      suspendedBy: ["owner"],
      resumeToStarted: true,
      createdAt: "2026-09-01T00:00:00.000Z",
    });
    expect(running?.ips.map((ip) => [ip.isPrimary, ip.attachedAt, ip.detachedAt])).toEqual([
      [true, "2026-09-01T00:00:00.000Z", null],
      [false, "2026-09-01T00:00:00.000Z", null],
    ]);
    // The history begins at creation: usage reads nothing else.
    expect(running?.planHistory).toEqual([
      { planId: 1, plan: expect.objectContaining({ tokensPerHour: 7 }), from: "2026-09-01T00:00:00.000Z" },
    ]);
    expect(running?.backupHistory).toEqual([{ enabled: false, at: "2026-09-01T00:00:00.000Z" }]);
    expect(gone).toMatchObject({
      userId: 20,
      locationId: 10,
      deletedAt: "2026-09-02T00:00:00.000Z",
      status: "not exists",
    });
  });

  it("lists every problem in one error", () => {
    const bad = {
      limit_groups: [
        { id: 1, name: "x" },
        { id: 1, name: "y" },
      ],
      users: [{ email: "a@example.com" }, { email: "A@example.com", roles: ["Nope"] }],
      servers: [
        {
          name: "s",
          user: "a@example.com",
          plan: "Missing",
          created_at: "2026-09-02T00:00:00Z",
          deleted_at: "2026-09-01T00:00:00Z",
        },
      ],
      settings: { limit_group: "Unknown" },
    };
    let message = "";
    try {
      buildInitialState(bad, T0);
    } catch (e) {
      expect(e).toBeInstanceOf(SeedError);
      message = (e as Error).message;
    }
    for (const part of [
      "id 1 is used twice",
      "email A@example.com is used twice",
      'no role "Nope"',
      'no plan "Missing"',
      "deleted_at must be after created_at",
      'no limit group "Unknown"',
    ]) {
      expect(message).toContain(part);
    }
  });
});
