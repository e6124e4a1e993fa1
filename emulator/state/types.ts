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
}

export interface PlanParams {
  disk: number;
  ram: number;
  vcpu: number;
}

export interface PlanRecord extends PlanTokens {
  id: number;
  name: string;
  isAdditionalIpsAvailable: boolean;
  isVisible: boolean;
  isDefault: boolean;
  params: PlanParams;
  createdAt: string;
  updatedAt: string;
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
  userId: number;
}

export interface IpRecord {
  id: number;
  ip: string;
  isPrimary: boolean;
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
  additionalIpCount: number;
  ips: IpRecord[];
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
  allowRegistration: boolean;
  limitGroupId: number | null;
  billingIntegration: BillingIntegration | null;
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
}

export interface EmulatorState {
  adminUserId: number;
  counters: Counters;
  users: UserRecord[];
  roles: RoleRecord[];
  locations: LocationRecord[];
  limitGroups: LimitGroupRecord[];
  plans: PlanRecord[];
  projects: ProjectRecord[];
  servers: ServerRecord[];
  tasks: TaskRecord[];
  tokens: AccessTokenRecord[];
  sessions: SessionRecord[];
  settings: SettingsRecord;
}
