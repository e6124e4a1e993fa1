import { z } from "zod";
import { USER_STATUSES } from "./state/types.ts";

// Input pieces shared by the API routes and the seed file, so both accept exactly the same values.

const NUMERIC = /^\d{1,15}$/;

/** An id as JSON number or numeric string: PHP clients cast inconsistently. */
export const IdInput = z.union([
  z.int().positive(),
  z.string().regex(NUMERIC, "must be a positive integer").transform(Number).pipe(z.int().positive()),
]);

/** billing_user_id: WHMCS sends an int, Blesta a numeric string (§2); null clears it. Always stored as int. */
export const BillingUserIdInput = z.union([
  z.int().nonnegative(),
  z.string().trim().regex(NUMERIC, "must be an integer or a numeric string").transform(Number),
  z.null(),
]);

/** The WHMCS module sends "Active" (capitalised); the API answers lower case (§2). */
export const UserStatusInput = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.enum(USER_STATUSES));

/** Tokens are non-negative integers (billing-rules.md §1): 7.5 is refused, never rounded. */
export const TokenCountInput = z.number().int("must be a whole number of tokens").nonnegative();

export const LimitInput = z.object({
  limit: z.int().nonnegative(),
  is_enabled: z.boolean(),
});

export const MIB = 1024 * 1024;

/** `params.ram` is in bytes (solusio-api.md §5; Terraform and WHMCS send MiB × 1 MiB). */
export const PlanParamsInput = z.object({
  disk: z.int().positive(),
  ram: z
    .int()
    .max(2 ** 50)
    .refine((ram) => ram >= MIB, "is in bytes: at least 1048576 (1 MiB); 1 GiB is 1073741824"),
  vcpu: z.int().positive(),
});

/**
 * Seeds written before RAM was in bytes give MiB (`"ram": 1024`). A value under 1 MiB cannot be a real
 * amount of bytes, so the seed reads it as MiB [OURS]; anything larger is bytes, as in the API.
 */
export const SeedPlanParamsInput = PlanParamsInput.extend({
  ram: z
    .int()
    .positive()
    .max(2 ** 50)
    .transform((ram) => (ram < MIB ? ram * MIB : ram)),
});

const DEFAULT_PARAMS = { disk: 10, ram: 1024 * MIB, vcpu: 1 };

/** Paid backups: a percentage of the runtime tokens, 0–100, fractional allowed (billing-rules §2.2). */
export const BackupPriceInput = z.number().min(0).max(100);

/** One of `limits` as the Go SDK sends it; the unit defaults as the SDK's setDefault() does. */
export const PlanLimitInput = z.object({
  is_enabled: z.boolean().default(false),
  limit: z.number().int().nonnegative().default(0),
  unit: z.string().max(20).optional(),
});

/** The limits the Go SDK declares (plans.go PlanLimits) with the unit it defaults each to. */
export const PLAN_LIMIT_UNITS: Record<string, string> = {
  disk_bandwidth: "Bps",
  disk_iops: "iops",
  network_incoming_bandwidth: "Kbps",
  network_outgoing_bandwidth: "Kbps",
  network_incoming_traffic: "KB",
  network_outgoing_traffic: "KB",
  network_total_traffic: "KB",
  network_reduce_bandwidth: "Kbps",
  backup_limit: "units",
};

export const PlanLimitsInput = z.record(z.string().min(1).max(64), PlanLimitInput);

export const VIRTUALIZATION_TYPES = ["kvm", "vz"] as const;

export const EmailInput = z.string().trim().pipe(z.email().max(255));

/** The Go SDK's reset_limit_policy values; it sends "never" for an empty one (plans.go Create, Update). */
export const RESET_LIMIT_POLICIES = ["never", "first_day_of_month", "vm_created_day"] as const;
export const ResetLimitPolicyInput = z
  .enum([...RESET_LIMIT_POLICIES, ""])
  .transform((v) => (v === "" ? "never" : v));
/** The Go SDK's network_traffic_limit_type values; it sends "" when the caller set none. */
export const NetworkTrafficLimitTypeInput = z.enum(["separate", "total", ""]);
/** A plan's position in lists: the Go SDK sends it as a float64. */
export const PositionInput = z
  .number()
  .min(-(2 ** 31))
  .max(2 ** 31);
const PlanTextInput = z.string().trim().min(1).max(32);

/**
 * A plan as `POST plans` takes it; a seed file's plan is the same with an optional id. What the Go SDK's
 * PlanCreateRequest also sends (storage_type, image_format, position, is_snapshots_enabled,
 * reset_limit_policy, network_traffic_limit_type) is stored and shown back; the emulator acts on none of it.
 * Without a position the plan's id is its position; an empty network_traffic_limit_type is "separate".
 */
export const PlanCreate = z.object({
  name: z.string().trim().min(1).max(255),
  tokens_per_hour: TokenCountInput.default(0),
  tokens_per_month: TokenCountInput.default(0),
  ip_tokens_per_hour: TokenCountInput.default(0),
  ip_tokens_per_month: TokenCountInput.default(0),
  iso_image_tokens_per_hour: TokenCountInput.default(0),
  iso_image_tokens_per_month: TokenCountInput.default(0),
  is_additional_ips_available: z.boolean().default(false),
  is_backup_available: z.boolean().default(false),
  backup_price: BackupPriceInput.default(0),
  is_visible: z.boolean().default(true),
  is_default: z.boolean().default(false),
  limits: PlanLimitsInput.default({}),
  virtualization_type: z.enum(VIRTUALIZATION_TYPES).default("kvm"),
  params: PlanParamsInput.default(DEFAULT_PARAMS),
  position: PositionInput.optional(),
  is_snapshots_enabled: z.boolean().default(false),
  reset_limit_policy: ResetLimitPolicyInput.default("never"),
  network_traffic_limit_type: NetworkTrafficLimitTypeInput.default("separate"),
  storage_type: PlanTextInput.default("fb"),
  image_format: PlanTextInput.default("qcow2"),
});

export const SeedPlanCreate = PlanCreate.extend({ params: SeedPlanParamsInput.default(DEFAULT_PARAMS) });
