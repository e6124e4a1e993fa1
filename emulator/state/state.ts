import type {
  Counters,
  EmulatorState,
  IpRecord,
  LimitGroupRecord,
  LocationRecord,
  PlanRecord,
  PlanSnapshot,
  ProjectRecord,
  RoleRecord,
  ServerRecord,
  UserRecord,
} from "./types.ts";

// The built-in roles as SolusIO names them (solusio-api.md §2); names are compared case-insensitively.
export const ADMIN_ROLE_NAME = "ADMIN";
export const CLIENT_ROLE_NAME = "CLIENT";

/**
 * The `features` booleans of GET settings as the newest Go SDK declares them (settings.go SettingsFeatures: seven,
 * none omitempty, so its PATCH always sends all seven), with a fresh installation's values [OURS for the values].
 * PATCH settings keeps any other boolean it is sent as well.
 */
export const DEFAULT_FEATURES: Readonly<Record<string, boolean>> = {
  hide_plan_name: false,
  hide_user_data: false,
  hide_plan_section: false,
  hide_location_section: false,
  allow_registration: true,
  allow_password_recovery: true,
  hide_api_documentation_link: false,
};

/**
 * The other keys of GET settings the Go SDK's Settings declares (settings.go), as a fresh installation answers
 * them [OURS for the values]. The emulator acts on none of them; PATCH replaces each key whole.
 */
export function defaultOtherSettings(): Record<string, unknown> {
  return {
    hostname: "",
    mail: {},
    send_statistics: false,
    registration: { role: CLIENT_ROLE_NAME },
    theme: {},
    network_rules: { arp: true, dhcp: true, cloud_init: true, smtp: true, icmp: true, icmp_reply: true },
    notifications: {},
    compute_resource: {},
    non_existent_vms_remover: { enabled: false, interval: 0 },
    dns: {},
    update: {},
  };
}

export function registrationAllowed(state: EmulatorState): boolean {
  return state.settings.features["allow_registration"] ?? true;
}

export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function emptyCounters(): Counters {
  return {
    user: 0,
    role: 0,
    location: 0,
    limitGroup: 0,
    plan: 0,
    project: 0,
    server: 0,
    ip: 0,
    task: 0,
    token: 0,
    activityLog: 0,
  };
}

/** Ids are never reused, even after deletes, like auto-increment columns. */
export function nextId(state: EmulatorState, kind: keyof Counters): number {
  state.counters[kind] += 1;
  return state.counters[kind];
}

/** After records with explicit ids were added (seed), make sure new ids come after them. */
export function bumpCounter(state: EmulatorState, kind: keyof Counters, usedId: number): void {
  if (usedId > state.counters[kind]) state.counters[kind] = usedId;
}

export function liveUsers(state: EmulatorState): UserRecord[] {
  return state.users.filter((u) => u.deletedAt === null);
}

export function findUser(state: EmulatorState, id: number): UserRecord | undefined {
  return state.users.find((u) => u.id === id && u.deletedAt === null);
}

/** Including deleted users: usage still names the owner of a deleted server. */
export function findUserEvenDeleted(state: EmulatorState, id: number): UserRecord | undefined {
  return state.users.find((u) => u.id === id);
}

export function findUserByEmail(state: EmulatorState, email: string): UserRecord | undefined {
  const wanted = email.toLowerCase();
  return state.users.find((u) => u.deletedAt === null && u.email.toLowerCase() === wanted);
}

export function findRole(state: EmulatorState, id: number): RoleRecord | undefined {
  return state.roles.find((r) => r.id === id);
}

export function findLocation(state: EmulatorState, id: number): LocationRecord | undefined {
  return state.locations.find((l) => l.id === id);
}

export function findLimitGroup(state: EmulatorState, id: number): LimitGroupRecord | undefined {
  return state.limitGroups.find((g) => g.id === id);
}

export function findPlan(state: EmulatorState, id: number): PlanRecord | undefined {
  return state.plans.find((p) => p.id === id);
}

export function findServer(state: EmulatorState, id: number): ServerRecord | undefined {
  return state.servers.find((s) => s.id === id && s.deletedAt === null);
}

export function liveServers(state: EmulatorState): ServerRecord[] {
  return state.servers.filter((s) => s.deletedAt === null);
}

export function serversOf(state: EmulatorState, userId: number): ServerRecord[] {
  return state.servers.filter((s) => s.deletedAt === null && s.userId === userId);
}

export function isAdmin(state: EmulatorState, user: UserRecord): boolean {
  return user.roleIds.some((id) => sameName(findRole(state, id)?.name ?? "", ADMIN_ROLE_NAME));
}

/** A deterministic, well-formed UUID per server id, so golden files of the billing side stay stable. */
export function serverUuid(id: number): string {
  return `00000000-0000-4000-8000-${id.toString(16).padStart(12, "0")}`;
}

/** Addresses from the documentation ranges (RFC 5737), allocated in order. */
export function ipForId(id: number): string {
  const blocks = ["203.0.113", "198.51.100", "192.0.2"];
  const index = id - 1;
  const block = blocks[Math.floor(index / 254) % blocks.length] ?? "203.0.113";
  return `${block}.${(index % 254) + 1}`;
}

export function snapshotPlan(plan: PlanRecord): PlanSnapshot {
  return {
    id: plan.id,
    name: plan.name,
    params: { ...plan.params },
    tokensPerHour: plan.tokensPerHour,
    tokensPerMonth: plan.tokensPerMonth,
    ipTokensPerHour: plan.ipTokensPerHour,
    ipTokensPerMonth: plan.ipTokensPerMonth,
    backupPrice: plan.backupPrice,
  };
}

/** `count` new IPv4 addresses attached at `at`; the first is the primary one when `primary` is set. */
export function allocateIps(state: EmulatorState, count: number, at: string, primary: boolean): IpRecord[] {
  const ips: IpRecord[] = [];
  for (let i = 0; i < count; i++) {
    const id = nextId(state, "ip");
    ips.push({ id, ip: ipForId(id), isPrimary: primary && i === 0, attachedAt: at, detachedAt: null });
  }
  return ips;
}

/** The IPs a server has now: detached additional IPs are history only. */
export function attachedIps(server: ServerRecord): IpRecord[] {
  return server.ips.filter((ip) => ip.detachedAt === null);
}

export function additionalIpCount(server: ServerRecord): number {
  return attachedIps(server).filter((ip) => !ip.isPrimary).length;
}

export function findProject(state: EmulatorState, id: number): ProjectRecord | undefined {
  return state.projects.find((p) => p.id === id);
}
