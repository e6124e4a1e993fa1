import { hashPassword } from "../ops/users.ts";
import { applyOwnerStatus } from "../ops/suspension.ts";
import { ADMIN_ROLE_NAME, bumpCounter, nextId, sameName } from "./state.ts";
import type { ParsedSeed } from "./seed-schema.ts";
import { newServerRecord } from "./server-record.ts";
import type { Counters, EmulatorState, UserRecord } from "./types.ts";

/** Every problem in a seed is collected, so one run tells the author all of them. */
export class SeedProblems {
  readonly #items: string[] = [];
  push(problem: string): void {
    this.#items.push(problem);
  }
  get length(): number {
    return this.#items.length;
  }
  list(): string[] {
    return [...this.#items];
  }
}

/** A reference is an id (number) or a name (string; for users, the email). */
export function resolveRef<T extends { id: number }>(
  records: T[],
  ref: number | string,
  where: string,
  what: string,
  problems: SeedProblems,
  nameOf: (r: T) => string = (r) => (r as unknown as { name: string }).name,
): number | undefined {
  const found =
    typeof ref === "number"
      ? records.find((r) => r.id === ref)
      : records.find((r) => nameOf(r).toLowerCase() === ref.toLowerCase());
  if (!found) problems.push(`${where}: no ${what} ${JSON.stringify(ref)}`);
  return found?.id;
}

/**
 * Ids for one kind of seeded record: explicit ids are reserved first (duplicates reported), the others get
 * the next free id around them, so record order in the seed never causes a clash.
 */
export class IdAllocator {
  readonly #reserved = new Set<number>();
  readonly #state: EmulatorState;
  readonly #kind: keyof Counters;

  constructor(
    state: EmulatorState,
    kind: keyof Counters,
    explicit: (number | undefined)[],
    what: string,
    problems: SeedProblems,
  ) {
    this.#state = state;
    this.#kind = kind;
    for (const id of explicit) {
      if (id === undefined) continue;
      if (this.#reserved.has(id)) problems.push(`${what}: id ${id} is used twice`);
      this.#reserved.add(id);
    }
  }

  take(explicit?: number): number {
    if (explicit !== undefined) {
      bumpCounter(this.#state, this.#kind, explicit);
      return explicit;
    }
    let id = nextId(this.#state, this.#kind);
    while (this.#reserved.has(id)) id = nextId(this.#state, this.#kind);
    return id;
  }
}

function addUser(
  state: EmulatorState,
  id: number,
  fields: Omit<UserRecord, "id" | "projectId" | "updatedAt" | "deletedAt">,
): UserRecord {
  const projectId = nextId(state, "project");
  state.projects.push({
    id: projectId,
    name: "Default Project",
    description: "",
    userId: id,
    isDefault: true,
    createdAt: fields.createdAt,
  });
  const user: UserRecord = { id, ...fields, projectId, updatedAt: fields.createdAt, deletedAt: null };
  state.users.push(user);
  return user;
}

export function addSeedUsers(
  state: EmulatorState,
  seed: ParsedSeed,
  now: Date,
  problems: SeedProblems,
): void {
  const at = now.toISOString();
  const ids = new IdAllocator(
    state,
    "user",
    seed.users.map((u) => u.id),
    "users",
    problems,
  );
  const adminRole = state.roles.find((r) => sameName(r.name, ADMIN_ROLE_NAME));
  const adminId = ids.take();
  addUser(state, adminId, {
    email: seed.admin.email,
    passwordHash: null,
    status: "active",
    roleIds: adminRole ? [adminRole.id] : [],
    billingUserId: null,
    billingToken: null,
    limitGroupId: null,
    languageId: null,
    createdAt: at,
  });
  state.adminUserId = adminId;

  const defaultRoles = state.roles.filter((r) => r.isDefault).map((r) => r.id);
  const emails = new Set([seed.admin.email.toLowerCase()]);
  for (const [i, u] of seed.users.entries()) {
    const where = `users.${i}`;
    if (emails.has(u.email.toLowerCase())) problems.push(`${where}: email ${u.email} is used twice`);
    emails.add(u.email.toLowerCase());
    const roleIds = (u.roles ?? []).flatMap(
      (ref) => resolveRef(state.roles, ref, `${where}.roles`, "role", problems) ?? [],
    );
    let limitGroupId = state.settings.limitGroupId;
    if (u.limit_group === null) limitGroupId = null;
    else if (u.limit_group !== undefined) {
      limitGroupId =
        resolveRef(state.limitGroups, u.limit_group, `${where}.limit_group`, "limit group", problems) ?? null;
    }
    const id = ids.take(u.id);
    const user = addUser(state, id, {
      email: u.email,
      passwordHash: u.password ? hashPassword(u.password) : null,
      status: u.status,
      roleIds: u.roles ? roleIds : defaultRoles,
      billingUserId: u.billing_user_id,
      billingToken: u.billing_token,
      limitGroupId,
      languageId: null,
      createdAt: u.created_at ? new Date(u.created_at).toISOString() : at,
    });
    if (u.api_token) {
      state.tokens.push({
        id: nextId(state, "token"),
        token: u.api_token,
        userId: user.id,
        isOneTime: false,
        createdAt: at,
        usedAt: null,
        expiresAt: null,
      });
    }
  }
}

export function addSeedServers(
  state: EmulatorState,
  seed: ParsedSeed,
  now: Date,
  problems: SeedProblems,
): void {
  const ids = new IdAllocator(
    state,
    "server",
    seed.servers.map((s) => s.id),
    "servers",
    problems,
  );
  for (const [i, s] of seed.servers.entries()) {
    const where = `servers.${i}`;
    const userId = resolveRef(state.users, s.user, `${where}.user`, "user", problems, (u) => u.email);
    const planId = resolveRef(state.plans, s.plan, `${where}.plan`, "plan", problems);
    const locationId =
      s.location === undefined
        ? state.locations[0]?.id
        : resolveRef(state.locations, s.location, `${where}.location`, "location", problems);
    const createdAt = s.created_at ? new Date(s.created_at).toISOString() : now.toISOString();
    const deletedAt = s.deleted_at ? new Date(s.deleted_at).toISOString() : null;
    if (deletedAt !== null && deletedAt <= createdAt)
      problems.push(`${where}: deleted_at must be after created_at`);
    const plan = state.plans.find((p) => p.id === planId);
    const owner = state.users.find((u) => u.id === userId);
    if (plan && s.additional_ip_count > 0 && !plan.isAdditionalIpsAvailable) {
      problems.push(`${where}: plan ${JSON.stringify(plan.name)} does not offer additional IPs`);
    }
    if (plan && s.backups_enabled && !plan.isBackupAvailable) {
      problems.push(`${where}: plan ${JSON.stringify(plan.name)} does not offer backups`);
    }
    const id = ids.take(s.id);
    if (!plan || !owner || locationId === undefined) continue;
    const server = newServerRecord(state, {
      id,
      name: s.name,
      ownerId: owner.id,
      plan,
      locationId,
      projectId: owner.projectId,
      status: deletedAt ? "not exists" : s.status,
      createdAt,
      deletedAt,
      additionalIps: s.additional_ip_count,
      backupsEnabled: s.backups_enabled,
    });
    if (s.is_suspended && !deletedAt) server.suspendedBy = ["admin"];
    if (server.suspendedBy.length > 0 && server.status === "started") {
      server.status = "stopped";
      server.resumeToStarted = true;
    }
    state.servers.push(server);
  }
  for (const user of state.users) if (user.status === "suspended") applyOwnerStatus(state, user);
}
