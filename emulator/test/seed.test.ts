import { describe, expect, it } from "vitest";
import { buildInitialState, SeedError } from "../state/fresh-install.ts";
import { T0 } from "./helpers.ts";

describe("a fresh installation (no seed)", () => {
  it("has the admin user, the built-in roles, one location, no plans, registration on", () => {
    const state = buildInitialState(undefined, T0);
    expect(state.users.map((u) => [u.id, u.email, u.roleIds])).toEqual([[1, "admin@example.com", [1]]]);
    expect(state.roles).toEqual([
      { id: 1, name: "Admin", isDefault: false },
      { id: 2, name: "Client", isDefault: true },
    ]);
    expect(state.locations).toHaveLength(1);
    expect(state.plans).toEqual([]);
    expect(state.settings).toEqual({ allowRegistration: true, limitGroupId: null, billingIntegration: null });
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
      ["Admin", false],
      ["Client", false],
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
      allowRegistration: false,
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
    expect(running?.ips).toHaveLength(2);
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
