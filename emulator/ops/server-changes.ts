import { fieldError } from "../errors.ts";
import {
  additionalIpCount,
  allocateIps,
  attachedIps,
  findPlan,
  findUser,
  snapshotPlan,
} from "../state/state.ts";
import type { EmulatorState, ServerRecord, TaskRecord } from "../state/types.ts";
import { recordActivity, recordTask } from "./journal.ts";
import { assertWithinIpLimit } from "./limits.ts";

// The changes that alter what a server costs mid-period (solusio-api.md §6, billing-rules §2.2): resize, additional
// IPs, paid backups on/off. Each takes effect at the emulator clock's instant and appends to the server's history,
// which is all the usage endpoint reads. Every refusal is checked before anything changes.

/** Resize: the plan changes at `now`. Resizing to the plan it is on changes nothing, so a retried call is harmless [OURS]. */
export function resizeServer(
  state: EmulatorState,
  now: Date,
  server: ServerRecord,
  planId: number,
  actorEmail: string,
): TaskRecord {
  const plan = findPlan(state, planId);
  if (!plan) throw fieldError("plan_id", `Plan ${planId} does not exist.`);
  if (plan.id !== server.planId) {
    // [OURS]: refused rather than silently dropping what the new plan cannot have.
    if (additionalIpCount(server) > 0 && !plan.isAdditionalIpsAvailable) {
      throw fieldError("plan_id", `Plan ${plan.id} does not offer additional IPs; remove them first.`);
    }
    if (server.backupsEnabled && !plan.isBackupAvailable) {
      throw fieldError("plan_id", `Plan ${plan.id} does not offer backups; switch them off first.`);
    }
    const previous = server.planId;
    const snapshot = snapshotPlan(plan);
    server.planId = plan.id;
    server.plan = snapshot;
    server.planHistory.push({ planId: plan.id, plan: snapshot, from: now.toISOString() });
    recordActivity(state, now, "compute_resource_vm_resized", actorEmail, {
      server_id: server.id,
      plan_id: plan.id,
      previous_plan_id: previous,
    });
  }
  return recordTask(state, now, server.id, "vm-resize");
}

/** Paid backups on or off from `now`; 422 when switching on and the plan does not offer them. */
export function switchBackups(
  state: EmulatorState,
  now: Date,
  server: ServerRecord,
  enabled: boolean,
  actorEmail: string,
): void {
  if (enabled === server.backupsEnabled) return;
  if (enabled && !findPlan(state, server.planId)?.isBackupAvailable) {
    throw fieldError("backup_settings.enabled", `Plan ${server.planId} does not offer backups.`);
  }
  server.backupsEnabled = enabled;
  server.backupHistory.push({ enabled, at: now.toISOString() });
  recordActivity(state, now, "compute_resource_vm_backups_switched", actorEmail, {
    server_id: server.id,
    enabled,
  });
}

/** `count` more additional IPs attached at `now`, within the plan's offer and the owner's limit group. */
export function addIps(
  state: EmulatorState,
  now: Date,
  server: ServerRecord,
  count: number,
  actorEmail: string,
): TaskRecord {
  if (!findPlan(state, server.planId)?.isAdditionalIpsAvailable) {
    throw fieldError("count", `Plan ${server.planId} does not offer additional IPs.`);
  }
  const owner = findUser(state, server.userId);
  if (owner) assertWithinIpLimit(state, owner, count);
  const ips = allocateIps(state, count, now.toISOString(), false);
  server.ips.push(...ips);
  for (const ip of ips) {
    recordActivity(state, now, "additional_ip_created", actorEmail, {
      server_id: server.id,
      ip_id: ip.id,
      ip: ip.ip,
    });
  }
  // Which task SolusIO runs for an IP change is not public; the Go SDK's "vm-update-network" fits [OURS].
  return recordTask(state, now, server.id, "vm-update-network");
}

/** Detaches the given additional IPs at `now`; the primary IP, or an id the server does not have, is a 422. */
export function removeIps(
  state: EmulatorState,
  now: Date,
  server: ServerRecord,
  ids: number[],
  actorEmail: string,
): TaskRecord {
  const attached = attachedIps(server);
  const wanted = [...new Set(ids)];
  for (const [i, id] of wanted.entries()) {
    const ip = attached.find((a) => a.id === id);
    if (!ip) throw fieldError(`ids.${i}`, `Server ${server.id} has no IP ${id}.`);
    if (ip.isPrimary) throw fieldError(`ids.${i}`, `IP ${id} is the primary IP of server ${server.id}.`);
  }
  for (const id of wanted) {
    const ip = attached.find((a) => a.id === id);
    if (!ip) continue;
    ip.detachedAt = now.toISOString();
    recordActivity(state, now, "additional_ip_deleted", actorEmail, { server_id: server.id, ip_id: id });
  }
  return recordTask(state, now, server.id, "vm-update-network");
}
