import { fieldError, forbidden, validationError, type FieldErrors } from "../errors.ts";
import {
  allocateIps,
  findLocation,
  findPlan,
  findUser,
  nextId,
  serverUuid,
  snapshotPlan,
} from "../state/state.ts";
import type { EmulatorState, ServerRecord, TaskRecord } from "../state/types.ts";
import { assertMayCreateServers, assertWithinCreateLimits, assertWithinStartLimits } from "./limits.ts";
import { holdSuspended, liftSuspension } from "./suspension.ts";

export interface ServerInput {
  name: string;
  planId: number;
  locationId: number;
  ownerId: number;
  additionalIpCount: number;
}

export const POWER_ACTIONS = ["start", "stop", "restart", "suspend", "resume"] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

// Tasks finish the moment they are created: the emulator has no hypervisor to wait for [OURS].
function recordTask(state: EmulatorState, now: Date, serverId: number, action: string): TaskRecord {
  const task: TaskRecord = { id: nextId(state, "task"), serverId, action, createdAt: now.toISOString() };
  state.tasks.push(task);
  // Only recent tasks matter to anyone; keep the state file small.
  if (state.tasks.length > 1000) state.tasks.splice(0, state.tasks.length - 1000);
  return task;
}

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
  if (!plan || !location || !owner || Object.keys(errors).length > 0) throw validationError(errors);

  assertMayCreateServers(owner);
  assertWithinCreateLimits(state, owner, input.additionalIpCount);

  const id = nextId(state, "server");
  const server: ServerRecord = {
    id,
    uuid: serverUuid(id),
    name: input.name,
    userId: owner.id,
    planId: plan.id,
    plan: snapshotPlan(plan),
    locationId: location.id,
    projectId: owner.projectId,
    // Created servers run at once: provisioning is instantaneous here [OURS].
    status: "started",
    suspendedBy: [],
    resumeToStarted: false,
    additionalIpCount: input.additionalIpCount,
    ips: allocateIps(state, input.additionalIpCount),
    createdAt: now.toISOString(),
    deletedAt: null,
  };
  state.servers.push(server);
  recordTask(state, now, id, "vm-create");
  return server;
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

export function deleteServer(state: EmulatorState, now: Date, server: ServerRecord): TaskRecord {
  server.deletedAt = now.toISOString();
  server.status = "not exists";
  return recordTask(state, now, server.id, "vm-delete");
}
