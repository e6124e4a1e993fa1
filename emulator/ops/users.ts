import { createHash } from "node:crypto";
import { fieldError, validationError, type FieldErrors } from "../errors.ts";
import { findLimitGroup, findRole, findUserByEmail, nextId, serversOf } from "../state/state.ts";
import type { EmulatorState, UserRecord, UserStatus } from "../state/types.ts";
import { applyOwnerStatus } from "./suspension.ts";

export interface UserInput {
  email?: string;
  password?: string | null;
  status?: UserStatus;
  billingUserId?: number | null;
  billingToken?: string | null;
  limitGroupId?: number | null;
  roleIds?: number[];
  languageId?: number | null;
}

export function hashPassword(password: string): string {
  return createHash("sha256").update(password).digest("hex");
}

/** References to other records must exist; collected so one 422 lists every problem. */
function checkReferences(state: EmulatorState, input: UserInput, selfId: number | null): void {
  const errors: FieldErrors = {};
  if (input.email !== undefined) {
    const other = findUserByEmail(state, input.email);
    if (other && other.id !== selfId) errors["email"] = ["The email has already been taken."];
  }
  if (
    input.limitGroupId !== undefined &&
    input.limitGroupId !== null &&
    !findLimitGroup(state, input.limitGroupId)
  ) {
    errors["limit_group_id"] = [`Limit group ${input.limitGroupId} does not exist.`];
  }
  for (const [i, roleId] of (input.roleIds ?? []).entries()) {
    if (!findRole(state, roleId)) errors[`roles.${i}`] = [`Role ${roleId} does not exist.`];
  }
  if (Object.keys(errors).length > 0) throw validationError(errors);
}

export function createUser(
  state: EmulatorState,
  now: Date,
  input: UserInput & { email: string },
): UserRecord {
  checkReferences(state, input, null);
  const at = now.toISOString();
  const id = nextId(state, "user");
  const projectId = nextId(state, "project");
  state.projects.push({
    id: projectId,
    name: "Default Project",
    description: "",
    userId: id,
    isDefault: true,
    createdAt: at,
  });
  const defaultRoles = state.roles.filter((r) => r.isDefault).map((r) => r.id);
  const user: UserRecord = {
    id,
    email: input.email,
    passwordHash: input.password ? hashPassword(input.password) : null,
    status: input.status ?? "active",
    roleIds: input.roleIds && input.roleIds.length > 0 ? [...new Set(input.roleIds)] : defaultRoles,
    billingUserId: input.billingUserId ?? null,
    billingToken: input.billingToken ?? null,
    // solusio-api.md §4: the default group for new users is settings.limit_group.
    limitGroupId: input.limitGroupId !== undefined ? input.limitGroupId : state.settings.limitGroupId,
    languageId: input.languageId ?? null,
    projectId,
    createdAt: at,
    updatedAt: at,
    deletedAt: null,
  };
  state.users.push(user);
  return user;
}

/** PUT and PATCH: only the fields sent change (what SolusIO does to unsent fields is unverified, §2). */
export function updateUser(state: EmulatorState, now: Date, user: UserRecord, input: UserInput): UserRecord {
  checkReferences(state, input, user.id);
  const previous = user.status;
  if (input.email !== undefined) user.email = input.email;
  if (input.password) user.passwordHash = hashPassword(input.password);
  if (input.status !== undefined) user.status = input.status;
  if (input.billingUserId !== undefined) user.billingUserId = input.billingUserId;
  if (input.billingToken !== undefined) user.billingToken = input.billingToken;
  if (input.limitGroupId !== undefined) user.limitGroupId = input.limitGroupId;
  if (input.roleIds !== undefined) user.roleIds = [...new Set(input.roleIds)];
  if (input.languageId !== undefined) user.languageId = input.languageId;
  user.updatedAt = now.toISOString();
  if (previous !== user.status) applyOwnerStatus(state, user);
  return user;
}

export function deleteUser(state: EmulatorState, now: Date, user: UserRecord, actingUserId: number): void {
  if (user.id === actingUserId || user.id === state.adminUserId) {
    throw fieldError(
      "user",
      "The user whose token makes this request (or the installation's admin) cannot be deleted.",
    );
  }
  const servers = serversOf(state, user.id);
  if (servers.length > 0) {
    const ids = servers.map((s) => s.id).join(", ");
    throw fieldError(
      "servers",
      `The user has ${servers.length} server${servers.length === 1 ? "" : "s"} (${ids}); delete them before deleting the user.`,
    );
  }
  user.deletedAt = now.toISOString();
  // Their tokens and sessions die with them; the record stays for the usage of past servers.
  state.tokens = state.tokens.filter((t) => t.userId !== user.id);
  state.sessions = state.sessions.filter((s) => s.userId !== user.id);
}
