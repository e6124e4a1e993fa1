import { findLocation, findPlan, findUserEvenDeleted } from "../state/state.ts";
import type { EmulatorState, ServerRecord, TaskRecord } from "../state/types.ts";
import { presentPlan } from "./catalog.ts";
import { apiTimestamp } from "./time.ts";
import { presentUser } from "./users.ts";

/** The Server of solusio-api.md §6. `fqdns`, `boot_mode`, `description` are extras the WHMCS module reads. */
export function presentServer(state: EmulatorState, server: ServerRecord) {
  const plan = findPlan(state, server.planId) ?? server.plan;
  const owner = findUserEvenDeleted(state, server.userId);
  const location = findLocation(state, server.locationId);
  const project = state.projects.find((p) => p.id === server.projectId);
  return {
    id: server.id,
    uuid: server.uuid,
    name: server.name,
    description: "",
    status: server.status,
    is_suspended: server.suspendedBy.length > 0,
    is_processing: false,
    created_at: apiTimestamp(server.createdAt),
    plan: presentPlan(plan),
    user: owner ? presentUser(state, owner) : null,
    project: project ? { id: project.id, name: project.name } : null,
    location: location ? { id: location.id, name: location.name } : null,
    ip_addresses: { ipv4: server.ips.map((ip) => ({ id: ip.id, ip: ip.ip, is_primary: ip.isPrimary })) },
    specifications: { ...server.plan.params },
    fqdns: [server.name],
    boot_mode: "disk",
  };
}

/** Tasks are done the moment they exist [OURS]: there is nothing to wait for. */
export function presentTask(task: TaskRecord) {
  return {
    id: task.id,
    compute_resource_id: 1,
    queue: "default",
    action: task.action,
    status: "done",
    output: "",
    progress: 100,
    duration: 0,
    server_id: task.serverId,
    created_at: apiTimestamp(task.createdAt),
  };
}
