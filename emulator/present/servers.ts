import { attachedIps, findLocation, findPlan, findUserEvenDeleted } from "../state/state.ts";
import type { EmulatorState, IpRecord, ServerRecord, TaskRecord } from "../state/types.ts";
import { presentLocation, presentPlan } from "./catalog.ts";
import { presentProject } from "./projects.ts";
import { apiTimestamp } from "./time.ts";
import { presentUser } from "./users.ts";

// Servers and tasks as SolusIO answers them (solusio-api.md §6), with the keys the WHMCS module reads
// (ip_addresses, fqdns, boot_mode) and those the Go SDK's Server declares (ips, backup_settings, ...).

/** IPs come from the three RFC 5737 documentation /24s; each /24 is one IP block [OURS]. */
function presentIpBlock(ip: string) {
  const prefix = ip.split(".").slice(0, 3).join(".");
  const index = ["203.0.113", "198.51.100", "192.0.2"].indexOf(prefix) + 1;
  return {
    id: index,
    name: `${prefix}.0/24`,
    type: "IPv4",
    gateway: `${prefix}.254`,
    netmask: "255.255.255.0",
    ns_1: "192.0.2.53",
    ns_2: "198.51.100.53",
    from: `${prefix}.1`,
    to: `${prefix}.254`,
    subnet: 24,
    range: "",
    reverse_dns: { zone: "", enabled: false },
  };
}

function presentIp(ip: IpRecord) {
  return { id: ip.id, ip: ip.ip, is_primary: ip.isPrimary, ip_block: presentIpBlock(ip.ip) };
}

/** The Server of solusio-api.md §6. `fqdns`, `boot_mode`, `description` are extras the WHMCS module reads. */
export function presentServer(state: EmulatorState, server: ServerRecord) {
  const plan = findPlan(state, server.planId) ?? server.plan;
  const owner = findUserEvenDeleted(state, server.userId);
  const location = findLocation(state, server.locationId);
  const project = state.projects.find((p) => p.id === server.projectId);
  const ips = attachedIps(server);
  return {
    id: server.id,
    uuid: server.uuid,
    name: server.name,
    description: "",
    virtualization_type: "virtualizationType" in plan ? plan.virtualizationType : "kvm",
    status: server.status,
    is_suspended: server.suspendedBy.length > 0,
    is_processing: false,
    created_at: apiTimestamp(server.createdAt),
    plan: presentPlan(plan),
    user: owner ? presentUser(state, owner) : null,
    project: project ? presentProject(state, project, server.userId) : null,
    location: location ? presentLocation(location) : null,
    ip_addresses: { ipv4: ips.map((ip) => ({ id: ip.id, ip: ip.ip, is_primary: ip.isPrimary })) },
    ips: ips.map(presentIp),
    specifications: { ...server.plan.params },
    // Schedule and limit are fixed [OURS]: only `enabled` matters to billing (billing-rules §2.2).
    backup_settings: {
      enabled: server.backupsEnabled,
      schedule: { type: "daily", time: { hour: 0, minutes: 0 } },
      limit: { is_enabled: false, limit: 0, unit: "units" },
    },
    next_scheduled_backup_at: null,
    usage: { cpu: 0 },
    ssh_keys: [],
    fqdns: [server.name],
    boot_mode: "disk",
  };
}

/**
 * Tasks are done the moment they exist [OURS]: there is nothing to wait for. The fields are the Go SDK's Task
 * (tasks.go) plus `compute_resource_vm_id` (the server, as the SDK's filter names it), `server_id`, `created_at`
 * and `finished_at`.
 */
export function presentTask(task: TaskRecord) {
  const at = apiTimestamp(task.createdAt);
  return {
    id: task.id,
    compute_resource_id: 1,
    compute_resource_vm_id: task.serverId,
    queue: "default",
    action: task.action,
    status: "done",
    output: "",
    progress: 100,
    duration: 0,
    server_id: task.serverId,
    created_at: at,
    finished_at: at,
  };
}
