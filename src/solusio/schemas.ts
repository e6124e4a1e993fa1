import { z } from "zod";

// Shapes of SolusIO answers (solusio-api.md), validated before use. Objects are loose: SolusIO sends more
// fields than billing needs, and a newer version may add some.

/** billing_user_id is an int in responses; some versions or modules store it as a numeric string. */
const billingUserId = z
  .union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)])
  .nullable()
  .optional()
  .transform((v) => v ?? null);

export const SolusioRole = z.looseObject({ id: z.number().int(), name: z.string() });

export const SolusioUser = z.looseObject({
  id: z.number().int(),
  email: z.string(),
  status: z.enum(["active", "locked", "suspended"]),
  billing_user_id: billingUserId,
  created_at: z.string().optional(),
  roles: z.array(SolusioRole).optional(),
  limit_group: z.looseObject({ id: z.number().int(), name: z.string() }).nullable().optional(),
  limit_group_id: z.number().int().nullable().optional(),
});
export type SolusioUser = z.output<typeof SolusioUser>;

const Limit = z.looseObject({ limit: z.number().int(), is_enabled: z.boolean() });

export const SolusioLimitGroup = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  vms: Limit.optional(),
  running_vms: Limit.optional(),
  additional_ips: Limit.optional(),
});
export type SolusioLimitGroup = z.output<typeof SolusioLimitGroup>;

export const SolusioPlan = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  tokens_per_hour: z.number().int().nonnegative(),
  tokens_per_month: z.number().int().nonnegative(),
  ip_tokens_per_hour: z.number().int().nonnegative().optional().default(0),
  ip_tokens_per_month: z.number().int().nonnegative().optional().default(0),
});
export type SolusioPlan = z.output<typeof SolusioPlan>;

export const SolusioSettings = z.looseObject({
  features: z.looseObject({ allow_registration: z.boolean().optional() }).optional(),
  limit_group: SolusioLimitGroup.nullable().optional(),
  billing_integration: z
    .looseObject({
      type: z.string().nullable().optional(),
      drivers: z.record(z.string(), z.unknown()).optional(),
    })
    .nullable()
    .optional(),
});
export type SolusioSettings = z.output<typeof SolusioSettings>;

export const SolusioToken = z.looseObject({ access_token: z.string().min(1) });

export const ListMeta = z.looseObject({
  current_page: z.number().int(),
  last_page: z.number().int(),
  total: z.number().int().optional(),
});

export function single<T extends z.ZodType>(item: T) {
  return z.looseObject({ data: item });
}

export function page<T extends z.ZodType>(item: T) {
  return z.looseObject({ data: z.array(item), meta: ListMeta.optional() });
}
