import { mergeBillingIntegration } from "../billing/billing-integration.ts";
import { newPlanRecord, notePlanPrices } from "../ops/plans.ts";
import {
  ADMIN_ROLE_NAME,
  CLIENT_ROLE_NAME,
  DEFAULT_FEATURES,
  defaultOtherSettings,
  emptyCounters,
  sameName,
} from "./state.ts";
import { EmulatorSeed, type ParsedSeed } from "./seed-schema.ts";
import { addSeedServers, addSeedUsers, IdAllocator, SeedProblems, resolveRef } from "./seed-people.ts";
import type { EmulatorState } from "./types.ts";

// Builds the state a new installation starts with: the admin user, the built-in roles (ADMIN, CLIENT), one
// location, one limit group ("Default", nothing limited, the default for new users), no plans, registration on
// (solusio-api.md §10) — plus whatever the seed adds ("Start"). Given locations or limit groups replace the
// default ones.

export class SeedError extends Error {
  constructor(problems: string[]) {
    super(`The seed is not valid:\n  - ${problems.join("\n  - ")}`);
    this.name = "SeedError";
  }
}

export function parseSeed(input: unknown): ParsedSeed {
  const result = EmulatorSeed.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new SeedError(result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
}

export function buildInitialState(seedInput: unknown, now: Date): EmulatorState {
  const seed = parseSeed(seedInput);
  const at = now.toISOString();
  const problems = new SeedProblems();
  const state: EmulatorState = {
    adminUserId: 0,
    counters: emptyCounters(),
    users: [],
    roles: [],
    locations: [],
    limitGroups: [],
    plans: [],
    planPrices: [],
    projects: [],
    servers: [],
    tasks: [],
    activityLogs: [],
    tokens: [],
    sessions: [],
    settings: {
      features: { ...DEFAULT_FEATURES, allow_registration: seed.settings.allow_registration },
      limitGroupId: null,
      billingIntegration: null,
      other: defaultOtherSettings(),
    },
  };

  // Roles: the built-ins first (ids 1 and 2 unless the seed gives them others), then the seed's.
  const roleIds = new IdAllocator(
    state,
    "role",
    seed.roles.map((r) => r.id),
    "roles",
    problems,
  );
  const seedDefault = seed.roles.some((r) => r.is_default);
  const builtIn = (name: string) => sameName(name, ADMIN_ROLE_NAME) || sameName(name, CLIENT_ROLE_NAME);
  for (const name of [ADMIN_ROLE_NAME, CLIENT_ROLE_NAME]) {
    const fromSeed = seed.roles.find((r) => sameName(r.name, name));
    const isDefault = fromSeed ? fromSeed.is_default : name === CLIENT_ROLE_NAME && !seedDefault;
    state.roles.push({ id: roleIds.take(fromSeed?.id), name, isDefault });
  }
  for (const r of seed.roles) {
    if (builtIn(r.name)) continue;
    state.roles.push({ id: roleIds.take(r.id), name: r.name, isDefault: r.is_default });
  }

  const locations =
    seed.locations.length > 0
      ? seed.locations
      : [{ name: "Default location", is_default: true, is_visible: true }];
  const explicitId = (l: (typeof locations)[number]) => ("id" in l ? l.id : undefined);
  const locationIds = new IdAllocator(state, "location", locations.map(explicitId), "locations", problems);
  for (const l of locations) {
    const id = locationIds.take(explicitId(l));
    state.locations.push({ id, name: l.name, isDefault: l.is_default, isVisible: l.is_visible });
  }
  const firstLocation = state.locations[0];
  if (firstLocation && !state.locations.some((l) => l.isDefault)) firstLocation.isDefault = true;

  const disabled = { limit: 0, is_enabled: false };
  const groups =
    seed.limit_groups.length > 0
      ? seed.limit_groups
      : [{ name: "Default", vms: disabled, running_vms: disabled, additional_ips: disabled }];
  const groupIds = new IdAllocator(
    state,
    "limitGroup",
    groups.map((g) => ("id" in g ? g.id : undefined)),
    "limit_groups",
    problems,
  );
  for (const g of groups) {
    const id = groupIds.take("id" in g ? g.id : undefined);
    state.limitGroups.push({
      id,
      name: g.name,
      vms: g.vms,
      runningVms: g.running_vms,
      additionalIps: g.additional_ips,
      createdAt: at,
      updatedAt: at,
    });
  }

  const planIds = new IdAllocator(
    state,
    "plan",
    seed.plans.map((p) => p.id),
    "plans",
    problems,
  );
  for (const p of seed.plans) {
    const plan = newPlanRecord(planIds.take(p.id), p, at);
    state.plans.push(plan);
    notePlanPrices(state, plan, at);
  }

  const defaultGroup = seed.limit_groups.length === 0 ? state.limitGroups[0] : undefined;
  if (seed.settings.limit_group === undefined) {
    state.settings.limitGroupId = defaultGroup?.id ?? null;
  } else if (seed.settings.limit_group !== null) {
    state.settings.limitGroupId =
      resolveRef(
        state.limitGroups,
        seed.settings.limit_group,
        "settings.limit_group",
        "limit group",
        problems,
      ) ?? null;
  }
  if (seed.settings.billing_integration) {
    try {
      state.settings.billingIntegration = mergeBillingIntegration(null, seed.settings.billing_integration);
    } catch (e) {
      problems.push(`settings.billing_integration: ${(e as Error).message}`);
    }
  }

  addSeedUsers(state, seed, now, problems);
  addSeedServers(state, seed, now, problems);
  if (problems.length > 0) throw new SeedError(problems.list());
  return state;
}
