import { fieldError, forbidden, validationError, type FieldErrors } from "../errors.ts";
import { attachedIps, findLocation, findPlan, findProject, findUser, nextId } from "../state/state.ts";
import { newServerRecord } from "../state/server-record.ts";
import type { EmulatorState, ServerRecord, TaskRecord } from "../state/types.ts";
import { recordActivity, recordTask } from "./journal.ts";
import { assertMayCreateServers, assertWithinCreateLimits, assertWithinStartLimits } from "./limits.ts";
import { holdSuspended, liftSuspension } from "./suspension.ts";

export interface ServerInput {
  name: string;
  planId: number;
  locationId: number;
  ownerId: number;
  /** The project to place it in; the owner's default project when absent. */
  projectId?: number;
  additionalIpCount: number;
  backupsEnabled: boolean;
  /** Who asked, for the activity log. */
  actorEmail: string;
}

export const POWER_ACTIONS = ["start", "stop", "restart", "suspend", "resume"] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

export function createServer(state: EmulatorState, now: Date, input: ServerInput): ServerRecord {
  const plan = findPlan(state, input.planId);
  const location = findLocation(state, input.locationId);
  const owner = findUser(state, input.ownerId);
  const errors: FieldErrors = {};
  if (!plan) errors["plan"] = [`Plan ${input.planId} does not exist.`];
  if (!location) errors["location"] = [`Location ${input.locationId} does not exist.`];
  if (!owner) errors["user"] = [`User ${input.ownerId} does not exist.`];
  if (plan && input.additionalIpCount > 0 && !plan.isAdditionalIpsAvailable) {
    errors["additional_ip_count"] = [`Plan ${plan.id} does not offer additional IPs.`];
  }
  if (plan && input.backupsEnabled && !plan.isBackupAvailable) {
    errors["backup_settings.enabled"] = [`Plan ${plan.id} does not offer backups.`];
  }
  if (!plan || !location || !owner || Object.keys(errors).length > 0) throw validationError(errors);

  assertMayCreateServers(owner);
  assertWithinCreateLimits(state, owner, input.additionalIpCount);

  const at = now.toISOString();
  const server = newServerRecord(state, {
    id: nextId(state, "server"),
    name: input.name,
    ownerId: owner.id,
    plan,
    locationId: location.id,
    projectId: input.projectId ?? owner.projectId,
    // Created servers run at once: provisioning is instantaneous here [OURS].
    status: "started",
    createdAt: at,
    deletedAt: null,
    additionalIps: input.additionalIpCount,
    backupsEnabled: input.backupsEnabled,
  });
  state.servers.push(server);
  recordTask(state, now, server.id, "vm-create");
  recordActivity(state, now, "compute_resource_vm_created", input.actorEmail, {
    server_id: server.id,
    server_uuid: server.uuid,
    server_name: server.name,
    user_id: owner.id,
    plan_id: plan.id,
    // Backups switched on at creation log no switch: the creation says so, or the log alone bills none [OURS].
    backups_enabled: server.backupsEnabled,
  });
  // IPs that come with the server are logged like later ones, so the log alone tells every IP's lifetime [OURS].
  for (const ip of attachedIps(server).filter((i) => !i.isPrimary)) {
    recordActivity(state, now, "additional_ip_created", input.actorEmail, {
      server_id: server.id,
      ip_id: ip.id,
      ip: ip.ip,
    });
  }
  return server;
}

/** The project a new server goes to must exist; its owner owns the server. */
export function projectOwner(state: EmulatorState, projectId: number): number {
  const project = findProject(state, projectId);
  if (!project) throw fieldError("project", `Project ${projectId} does not exist.`);
  return project.userId;
}

function ownerOf(state: EmulatorState, server: ServerRecord) {
  const owner = findUser(state, server.userId);
  if (!owner) throw fieldError("user", `The owner of server ${server.id} no longer exists.`);
  return owner;
}

function startOrRefuse(state: EmulatorState, server: ServerRecord): void {
  if (server.suspendedBy.length > 0) {
    throw forbidden(`Server ${server.id} is suspended and cannot be started.`);
  }
  if (server.status !== "started") assertWithinStartLimits(state, ownerOf(state, server), server);
  server.status = "started";
}

export function runPowerAction(
  state: EmulatorState,
  now: Date,
  server: ServerRecord,
  action: PowerAction,
): TaskRecord {
  switch (action) {
    case "start":
    case "restart":
      startOrRefuse(state, server);
      break;
    case "stop":
      server.status = "stopped";
      // Stopped on purpose while suspended: stay stopped when the suspension is lifted.
      server.resumeToStarted = false;
      break;
    case "suspend":
      holdSuspended(server, "admin");
      break;
    case "resume":
      if (server.suspendedBy.includes("owner")) {
        throw forbidden(
          `The owner of server ${server.id} is suspended; set the user active to resume their servers.`,
        );
      }
      liftSuspension(server, "admin");
      break;
  }
  return recordTask(state, now, server.id, `vm-${action}`);
}

export function deleteServer(
  state: EmulatorState,
  now: Date,
  server: ServerRecord,
  actorEmail: string,
): TaskRecord {
  server.deletedAt = now.toISOString();
  server.status = "not exists";
  recordActivity(state, now, "compute_resource_vm_delete_requested", actorEmail, { server_id: server.id });
  return recordTask(state, now, server.id, "vm-delete");
}
