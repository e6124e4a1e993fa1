import { forbidden } from "../errors.ts";
import { additionalIpCount, findLimitGroup, serversOf } from "../state/state.ts";
import type { EmulatorState, Limit, LimitGroupRecord, ServerRecord, UserRecord } from "../state/types.ts";

// Limit groups (solusio-api.md §4) are checked only when something new is created or started: lowering a
// limit below current use stops or deletes nothing. Refusals are 403 with a message [OURS for the code].

function groupOf(state: EmulatorState, user: UserRecord): LimitGroupRecord | undefined {
  return user.limitGroupId === null ? undefined : findLimitGroup(state, user.limitGroupId);
}

function reached(limit: Limit, used: number, adding: number): boolean {
  return limit.is_enabled && used + adding > limit.limit;
}

/** solusio-api.md §2: a locked or suspended user cannot create projects either. */
export function assertMayCreateProjects(user: UserRecord): void {
  if (user.status === "locked" || user.status === "suspended") {
    throw forbidden(`User ${user.id} is ${user.status} and cannot create projects.`);
  }
}

export function assertMayCreateServers(user: UserRecord): void {
  if (user.status === "locked" || user.status === "suspended") {
    throw forbidden(`User ${user.id} is ${user.status} and cannot create servers.`);
  }
}

export function assertWithinCreateLimits(
  state: EmulatorState,
  user: UserRecord,
  additionalIps: number,
): void {
  const group = groupOf(state, user);
  if (!group) return;
  const servers = serversOf(state, user.id);
  if (reached(group.vms, servers.length, 1)) {
    throw forbidden(
      `Limit group "${group.name}" allows ${group.vms.limit} servers; user ${user.id} has ${servers.length}.`,
    );
  }
  const running = servers.filter((s) => s.status === "started").length;
  if (reached(group.runningVms, running, 1)) {
    throw forbidden(
      `Limit group "${group.name}" allows ${group.runningVms.limit} running servers; user ${user.id} has ${running} running.`,
    );
  }
  assertWithinIpLimit(state, user, additionalIps);
}

/** Adding `adding` additional IPs to the user's servers (at create or with POST servers/{id}/ips). */
export function assertWithinIpLimit(state: EmulatorState, user: UserRecord, adding: number): void {
  const group = groupOf(state, user);
  if (!group || adding === 0) return;
  const ips = serversOf(state, user.id).reduce((sum, s) => sum + additionalIpCount(s), 0);
  if (reached(group.additionalIps, ips, adding)) {
    throw forbidden(
      `Limit group "${group.name}" allows ${group.additionalIps.limit} additional IPs; user ${user.id} has ${ips} and asked for ${adding} more.`,
    );
  }
}

export function assertWithinStartLimits(state: EmulatorState, user: UserRecord, server: ServerRecord): void {
  const group = groupOf(state, user);
  if (!group) return;
  const running = serversOf(state, user.id).filter(
    (s) => s.status === "started" && s.id !== server.id,
  ).length;
  if (reached(group.runningVms, running, 1)) {
    throw forbidden(
      `Limit group "${group.name}" allows ${group.runningVms.limit} running servers; user ${user.id} has ${running} running.`,
    );
  }
}
