import { z } from "zod";
import { BillingIntegrationInput } from "../billing/billing-integration.ts";
import { BillingUserIdInput, EmailInput, LimitInput, SeedPlanCreate, UserStatusInput } from "../schemas.ts";
import { SERVER_STATUSES } from "./types.ts";

// The seed file (docs/emulator.md § Seed). Records may carry explicit ids; references between records are
// an id (number) or a name (string: a role/plan/location/limit group name, or a user's email).

const Ref = z.union([z.int().positive(), z.string().min(1)]);
const Timestamp = z.iso.datetime({ offset: true });
const DISABLED = { limit: 0, is_enabled: false };

export const SeedRole = z.object({
  id: z.int().positive().optional(),
  name: z.string().min(1),
  is_default: z.boolean().default(false),
});

export const SeedLocation = z.object({
  id: z.int().positive().optional(),
  name: z.string().min(1),
  is_default: z.boolean().default(false),
  is_visible: z.boolean().default(true),
});

export const SeedLimitGroup = z.object({
  id: z.int().positive().optional(),
  name: z.string().min(1),
  vms: LimitInput.default(DISABLED),
  running_vms: LimitInput.default(DISABLED),
  additional_ips: LimitInput.default(DISABLED),
});

/** As POST plans takes it, except that a small `params.ram` is read as MiB (schemas.ts SeedPlanParamsInput). */
export const SeedPlan = SeedPlanCreate.extend({ id: z.int().positive().optional() });

export const SeedUser = z.object({
  id: z.int().positive().optional(),
  email: EmailInput,
  password: z.string().optional(),
  status: UserStatusInput.default("active"),
  billing_user_id: BillingUserIdInput.default(null),
  billing_token: z.string().nullable().default(null),
  roles: z.array(Ref).optional(),
  limit_group: Ref.nullable().optional(),
  /** A non-expiring Bearer token acting as this user, for tests and demos. */
  api_token: z.string().min(16).optional(),
  created_at: Timestamp.optional(),
});

export const SeedServer = z.object({
  id: z.int().positive().optional(),
  name: z.string().min(1),
  user: Ref,
  plan: Ref,
  location: Ref.optional(),
  status: z.enum(SERVER_STATUSES).default("started"),
  is_suspended: z.boolean().default(false),
  additional_ip_count: z.int().nonnegative().default(0),
  backups_enabled: z.boolean().default(false),
  created_at: Timestamp.optional(),
  deleted_at: Timestamp.nullable().default(null),
});

export const EmulatorSeed = z.object({
  admin: z.object({ email: EmailInput.default("admin@example.com") }).default({ email: "admin@example.com" }),
  settings: z
    .object({
      allow_registration: z.boolean().default(true),
      /** Absent: the fresh installation's "Default" group when the seed gives no limit groups; null: none. */
      limit_group: Ref.nullable().optional(),
      billing_integration: BillingIntegrationInput.nullable().default(null),
    })
    .default({ allow_registration: true, billing_integration: null }),
  roles: z.array(SeedRole).default([]),
  locations: z.array(SeedLocation).default([]),
  limit_groups: z.array(SeedLimitGroup).default([]),
  plans: z.array(SeedPlan).default([]),
  users: z.array(SeedUser).default([]),
  servers: z.array(SeedServer).default([]),
});

/** What a seed file may contain (every key optional). */
export type EmulatorSeed = z.input<typeof EmulatorSeed>;
export type ParsedSeed = z.output<typeof EmulatorSeed>;
