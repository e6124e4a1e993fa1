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

export const PlanParamsInput = z.object({
  disk: z.int().positive(),
  ram: z.int().positive(),
  vcpu: z.int().positive(),
});

export const EmailInput = z.string().trim().pipe(z.email().max(255));

/** A plan as `POST plans` takes it; a seed file's plan is the same with an optional id. */
export const PlanCreate = z.object({
  name: z.string().trim().min(1).max(255),
  tokens_per_hour: TokenCountInput.default(0),
  tokens_per_month: TokenCountInput.default(0),
  ip_tokens_per_hour: TokenCountInput.default(0),
  ip_tokens_per_month: TokenCountInput.default(0),
  is_additional_ips_available: z.boolean().default(false),
  is_visible: z.boolean().default(true),
  is_default: z.boolean().default(false),
  params: PlanParamsInput.default({ disk: 10, ram: 1024, vcpu: 1 }),
});
