import { z } from "zod";

// The answers as the official Go SDK (solusio/solus-go-sdk) declares them: one zod schema per Go struct,
// keyed by its json tags, typed as encoding/json needs them (a Go int is a JSON number, a string a string…).
// Read, never copied: each schema names the file whose struct it mirrors. A Go struct decodes `null` into its
// zero value, so `.nullable()` marks fields the emulator answers with null where Go would accept it.
// Fields a struct declares but a server never sends (User.Password) are optional.

const int = z.number().int();

// response.go ResponseLinks / ResponseMeta (the paginatedResponse every list embeds).
const Links = z.object({
  first: z.string(),
  last: z.string(),
  prev: z.string().nullable(),
  next: z.string().nullable(),
});
const Meta = z.object({
  current_page: int,
  from: int.nullable(),
  last_page: int,
  path: z.string(),
  per_page: int,
  to: int.nullable(),
  total: int,
});
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), links: Links, meta: Meta });
export const one = <T extends z.ZodType>(item: T) => z.object({ data: item });

// roles.go Role.
export const Role = z.object({ id: int, name: z.string(), is_default: z.boolean(), users_count: int });

// users.go User (the newest: status and roles; `password` is declared but never sent).
export const User = z.object({
  id: int,
  email: z.string(),
  password: z.string().optional(),
  created_at: z.string(),
  status: z.enum(["active", "locked", "suspended"]),
  roles: z.array(Role),
});

// limitGroup.go LimitGroup / LimitGroupLimit.
const LimitGroupLimit = z.object({ limit: int, is_enabled: z.boolean() });
export const LimitGroup = z.object({
  id: int,
  name: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  vms: LimitGroupLimit,
  running_vms: LimitGroupLimit,
  additional_ips: LimitGroupLimit,
});

// tasks.go Task (the newest SDK).
export const Task = z.object({
  id: int,
  compute_resource_id: int,
  queue: z.string(),
  action: z.string(),
  status: z.enum(["pending", "queued", "running", "done", "done_with_errors", "failed", "canceled"]),
  output: z.string(),
  progress: int,
  duration: int,
});

// plans.go PlanLimits: each limit {is_enabled, limit, unit}.
const PlanLimit = z.object({ is_enabled: z.boolean(), limit: int, unit: z.string() });
const PlanLimits = z.object({
  disk_bandwidth: PlanLimit,
  disk_iops: PlanLimit,
  network_incoming_bandwidth: PlanLimit,
  network_outgoing_bandwidth: PlanLimit,
  network_incoming_traffic: PlanLimit,
  network_outgoing_traffic: PlanLimit,
  network_total_traffic: PlanLimit,
  network_reduce_bandwidth: PlanLimit,
  backup_limit: PlanLimit,
});

// plans.go PlanPrice.
const PlanPrice = z.object({
  per_hour: z.string(),
  per_month: z.string(),
  currency_code: z.string(),
  taxes_inclusive: z.boolean(),
  taxes: z.array(z.unknown()),
  total_price: z.string(),
  backup_price: z.string(),
});

// plans.go Plan (float64 token fields; backup_price float32).
export const Plan = z.object({
  id: int,
  name: z.string(),
  params: z.object({ disk: int, ram: int, vcpu: int }),
  storage_type: z.string(),
  image_format: z.string(),
  is_default: z.boolean(),
  is_snapshot_available: z.boolean(),
  is_snapshots_enabled: z.boolean(),
  is_backup_available: z.boolean(),
  backup_price: z.number(),
  is_visible: z.boolean(),
  limits: PlanLimits,
  tokens_per_hour: z.number(),
  tokens_per_month: z.number(),
  position: z.number(),
  price: PlanPrice.nullable(),
  reset_limit_policy: z.string(),
  network_traffic_limit_type: z.string(),
});

// locations.go Location (Icon is a struct: null decodes to its zero value).
const Location = z.object({
  id: int,
  name: z.string(),
  icon: z.object({}).nullable(),
  description: z.string(),
  is_default: z.boolean(),
  is_visible: z.boolean(),
  compute_resources: z.array(z.unknown()),
});

// ipBlocks.go IPBlock / IPBlockReverseDNS / IPBlockIPAddress.
const IpBlock = z.object({
  id: int,
  name: z.string(),
  type: z.enum(["IPv4", "IPv6"]),
  gateway: z.string(),
  netmask: z.string(),
  ns_1: z.string(),
  ns_2: z.string(),
  from: z.string(),
  to: z.string(),
  subnet: int,
  range: z.string(),
  reverse_dns: z.object({ zone: z.string(), enabled: z.boolean() }),
});
export const IpAddress = z.object({ id: int, ip: z.string(), ip_block: IpBlock });

// The newest helper_test.go's Project: `servers` is a count (older projects.go said []Server).
export const Project = z.object({
  id: int,
  name: z.string(),
  description: z.string(),
  members: int,
  is_owner: z.boolean(),
  is_default: z.boolean(),
  owner: User,
  servers: int,
});

// servers.go ServerBackupSettings (+ Schedule, Time) and UnitPlanLimit.
const BackupSettings = z.object({
  enabled: z.boolean(),
  schedule: z.object({
    type: z.string(),
    time: z.object({ hour: int, minutes: int }),
    days: z.array(int).optional(),
  }),
  limit: PlanLimit,
});

// servers.go Server (= virtualServers.go VirtualServer).
export const Server = z.object({
  id: int,
  name: z.string(),
  description: z.string(),
  virtualization_type: z.enum(["kvm", "vz"]),
  uuid: z.string(),
  specifications: z.object({ disk: int, ram: int, vcpu: int }),
  status: z.enum(["not exists", "processing", "started", "stopped", "paused", "unavailable"]),
  ips: z.array(IpAddress),
  location: Location,
  plan: Plan,
  fqdns: z.array(z.string()),
  boot_mode: z.enum(["disk", "rescue"]),
  is_suspended: z.boolean(),
  is_processing: z.boolean(),
  user: User,
  project: Project,
  usage: z.object({ cpu: z.number() }),
  backup_settings: BackupSettings,
  next_scheduled_backup_at: z.string().nullable(),
  ssh_keys: z.array(z.unknown()),
  created_at: z.string(),
});

// activityLogs.go ActivityLogs (data is a json.RawMessage: any JSON).
export const ActivityLog = z.object({
  id: int,
  event: z.string(),
  user_email: z.string(),
  created_at: z.string(),
  data: z.record(z.string(), z.unknown()),
});

// settings.go SettingsFeatures (the newest: seven booleans, none omitempty) and Settings.
export const Features = z.object({
  hide_plan_name: z.boolean(),
  hide_user_data: z.boolean(),
  hide_plan_section: z.boolean(),
  hide_location_section: z.boolean(),
  allow_registration: z.boolean(),
  allow_password_recovery: z.boolean(),
  hide_api_documentation_link: z.boolean(),
});
export const Settings = z.object({
  hostname: z.string(),
  mail: z.object({}).loose(),
  send_statistics: z.boolean(),
  limit_group: LimitGroup.nullable(),
  registration: z.object({ role: z.string().optional() }),
  theme: z.object({}).loose(),
  network_rules: z.object({ icmp_reply: z.boolean() }).loose(),
  notifications: z.object({}).loose(),
  compute_resource: z.object({}).loose(),
  non_existent_vms_remover: z.object({ enabled: z.boolean(), interval: int }),
  billing_integration: z
    .object({
      type: z.string(),
      drivers: z.record(z.string(), z.object({ url: z.string(), token: z.string().nullable() })),
    })
    .nullable(),
  dns: z.object({}).loose(),
  update: z.object({}).loose(),
  features: Features,
});
