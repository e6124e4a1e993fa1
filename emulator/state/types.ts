// The emulator's in-memory model. Records are plain JSON-able objects so that the whole state can be written
// to the --state file and read back unchanged. API shapes are produced from these by emulator/present/*.

export const USER_STATUSES = ["active", "locked", "suspended"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const SERVER_STATUSES = [
  "not exists",
  "processing",
  "started",
  "stopped",
  "paused",
  "unavailable",
] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

export interface Limit {
  limit: number;
  is_enabled: boolean;
}

export interface UserRecord {
  id: number;
  email: string;
  /** sha256 of the password; the emulator never needs the password itself. */
  passwordHash: string | null;
  status: UserStatus;
  roleIds: number[];
  billingUserId: number | null;
  billingToken: string | null;
  limitGroupId: number | null;
  languageId: number | null;
  projectId: number;
  createdAt: string;
  updatedAt: string;
  /** Deleted users vanish from the API but stay here: usage of their past servers names them. */
  deletedAt: string | null;
}

export interface RoleRecord {
  id: number;
  name: string;
  isDefault: boolean;
}

export interface LocationRecord {
  id: number;
  name: string;
  isDefault: boolean;
  isVisible: boolean;
}

export interface LimitGroupRecord {
  id: number;
  name: string;
  vms: Limit;
  runningVms: Limit;
  additionalIps: Limit;
  createdAt: string;
  updatedAt: string;
}

export interface PlanTokens {
  tokensPerHour: number;
  tokensPerMonth: number;
  ipTokensPerHour: number;
  ipTokensPerMonth: number;
  /** Paid backups: a percentage (0–100, may be fractional) of the runtime tokens (billing-rules §2.2). */
  backupPrice: number;
}

export interface PlanParams {
  /** GiB. */
  disk: number;
  /** Bytes, as SolusIO stores it (solusio-api.md §5). */
  ram: number;
  vcpu: number;
}

/** One of a plan's `limits` as the Go SDK declares it: {is_enabled, limit, unit}. */
export interface PlanLimit {
  is_enabled: boolean;
  limit: number;
  unit: string;
}

export interface PlanRecord extends PlanTokens {
  id: number;
  name: string;
  isAdditionalIpsAvailable: boolean;
  isBackupAvailable: boolean;
  isoImageTokensPerHour: number;
  isoImageTokensPerMonth: number;
  /** Kept as the API spells them (snake_case keys): the emulator enforces none of them. */
  limits: Record<string, PlanLimit>;
  virtualizationType: string;
  isVisible: boolean;
  isDefault: boolean;
  params: PlanParams;
  /** Stored and shown as the client sent them (the Go SDK's Plan); the emulator acts on none of them. */
  position: number;
  isSnapshotsEnabled: boolean;
  resetLimitPolicy: string;
  networkTrafficLimitType: string;
  storageType: string;
  imageFormat: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * A plan's token prices from `at` (the emulator clock's instant of the change) until its next change [OURS].
 * Kept apart from the plan record so that a deleted plan's past prices still price usage (billing-rules §2.2).
 */
export interface PlanPriceChange extends PlanTokens {
  planId: number;
  at: string;
}

/** What a server remembers of its plan, so usage still works after the plan is deleted. */
export interface PlanSnapshot extends PlanTokens {
  id: number;
  name: string;
  params: PlanParams;
}

export interface ProjectRecord {
  id: number;
  name: string;
  description: string;
  /** The owner: servers placed in the project belong to this user. */
  userId: number;
  /** Every user's first project ("Default Project"); it cannot be deleted. */
  isDefault: boolean;
  createdAt: string;
}

export interface IpRecord {
  id: number;
  ip: string;
  isPrimary: boolean;
  /** Additional IPs are charged from this instant (billing-rules §2.2); the primary's is the server's. */
  attachedAt: string;
  /** A removed additional IP stays here, detached, so past usage still counts it. */
  detachedAt: string | null;
}

/** The plan a server is on from `from` until the next interval starts (or the server ends). */
export interface PlanInterval {
  planId: number;
  /** The plan's figures when the interval began: usage falls back to them if the plan is deleted. */
  plan: PlanSnapshot;
  from: string;
}

/** Paid backups switched on or off at `at`; the first entry is the state at creation. */
export interface BackupSwitch {
  enabled: boolean;
  at: string;
}

/** Who holds a server suspended: an admin's POST servers/{id}/suspend, or its owner's user status. */
export type SuspensionCause = "admin" | "owner";

export interface ServerRecord {
  id: number;
  uuid: string;
  name: string;
  userId: number;
  planId: number;
  plan: PlanSnapshot;
  locationId: number;
  projectId: number;
  status: ServerStatus;
  suspendedBy: SuspensionCause[];
  /** Whether lifting the last suspension starts the server again (it was running when suspended). */
  resumeToStarted: boolean;
  /** Primary first, then additional IPs, attached and detached ones alike. */
  ips: IpRecord[];
  backupsEnabled: boolean;
  /** Every plan the server has had, oldest first; the last one is `planId`/`plan`. */
  planHistory: PlanInterval[];
  /** Every change of `backupsEnabled`, oldest first. */
  backupHistory: BackupSwitch[];
  createdAt: string;
  /** Deleted servers vanish from GET servers but are kept for the usage endpoint. */
  deletedAt: string | null;
}

export interface TaskRecord {
  id: number;
  serverId: number;
  action: string;
  createdAt: string;
}

/** An entry of GET activity_logs (solusio-api.md §9 (c)); `data` keys are read by tokenbill: keep them. */
export interface ActivityLogRecord {
  id: number;
  event: string;
  userEmail: string;
  createdAt: string;
  data: Record<string, string | number | boolean | null>;
}

export interface AccessTokenRecord {
  id: number;
  token: string;
  userId: number;
  isOneTime: boolean;
  createdAt: string;
  /** Set when a one-time token has been used to log in; it is then worthless. */
  usedAt: string | null;
  expiresAt: string | null;
}

export interface SessionRecord {
  id: string;
  userId: number;
  createdAt: string;
}

export interface BillingDriver {
  url: string;
  token: string | null;
}

export interface BillingIntegration {
  type: string;
  drivers: Record<string, BillingDriver>;
}

export interface SettingsRecord {
  /** The `features` booleans (allow_registration, hide_plan_name, ...), as last sent. */
  features: Record<string, boolean>;
  limitGroupId: number | null;
  billingIntegration: BillingIntegration | null;
  /** Every other top-level key PATCH settings was sent (hostname, mail, theme, ...), kept and echoed. */
  other: Record<string, unknown>;
}

export interface Counters {
  user: number;
  role: number;
  location: number;
  limitGroup: number;
  plan: number;
  project: number;
  server: number;
  ip: number;
  task: number;
  token: number;
  activityLog: number;
}

export interface EmulatorState {
  adminUserId: number;
  counters: Counters;
  users: UserRecord[];
  roles: RoleRecord[];
  locations: LocationRecord[];
  limitGroups: LimitGroupRecord[];
  plans: PlanRecord[];
  /** Every plan's price history, oldest first: its prices at creation, then each change of them. */
  planPrices: PlanPriceChange[];
  projects: ProjectRecord[];
  servers: ServerRecord[];
  tasks: TaskRecord[];
  activityLogs: ActivityLogRecord[];
  tokens: AccessTokenRecord[];
  sessions: SessionRecord[];
  settings: SettingsRecord;
}
