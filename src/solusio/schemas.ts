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

/**
 * A whole, non-negative count of tokens or hours, exactly (bigint). PHP modules send some integers as
 * numeric strings; zod's int() already refuses numbers beyond 2^53, which would have lost digits.
 */
export const wireCount = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,18}$/)])
  .transform((v) => BigInt(v));

/** A billing_user_id as servers and usage items carry it: missing or null means none. */
export const billingUserRef = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,18}$/)])
  .nullable()
  .optional()
  .transform((v) => (v === null || v === undefined ? null : BigInt(v)));

/**
 * A plan's backup_price (solusio-api.md §5): a percentage 0–100, fractional allowed, as a number or a
 * numeric string; kept as exact decimal text (at most 6 decimals, what the database stores). Missing is 0.
 */
export const backupPercent = z
  .union([z.number().min(0).max(100), z.string()])
  .nullable()
  .optional()
  .transform((v) => (v === null || v === undefined ? "0" : String(v)))
  .pipe(
    z
      .string()
      .regex(
        /^(100(\.0{1,6})?|\d{1,2}(\.\d{1,6})?)$/,
        "must be a percentage from 0 to 100 with at most 6 decimals",
      ),
  );

/**
 * A plan as a server or a usage item carries it: the prices the server runs on (solusio-api.md §6, §9),
 * as bigints for billing. `SolusioPlan` above is the plans resource, which setup compares with tokenbill's
 * prices and writes back as numbers. A plan without IP prices has none (0).
 */
export const SolusioPlanOfServer = z.looseObject({
  id: z
    .number()
    .int()
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  name: z.string(),
  tokens_per_hour: wireCount,
  tokens_per_month: wireCount,
  ip_tokens_per_hour: wireCount.optional().default(0n),
  ip_tokens_per_month: wireCount.optional().default(0n),
  backup_price: backupPercent,
});
export type SolusioPlanOfServer = z.output<typeof SolusioPlanOfServer>;

/** One server of GET servers (solusio-api.md §6), with what usage source (b) records of it. */
export const SolusioServer = z.looseObject({
  id: z.number().int().positive(),
  uuid: z.string(),
  name: z.string(),
  created_at: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
  plan: SolusioPlanOfServer,
  user: z
    .looseObject({ id: z.number().int(), billing_user_id: billingUserRef })
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  ip_addresses: z
    .looseObject({ ipv4: z.array(z.looseObject({ is_primary: z.boolean().optional() })).optional() })
    .nullable()
    .optional(),
  /** Paid backups on or off (solusio-api.md §6); missing means off. */
  backup_settings: z.looseObject({ enabled: z.boolean().optional() }).nullable().optional(),
});
export type SolusioServer = z.output<typeof SolusioServer>;

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

// The envelopes are built once per item schema and kept: zod compiles an object schema's parser the first
// time it parses, so an envelope built per call compiled one for every SolusIO answer (7 % of the sync
// runner's CPU in a profile of deliveries, 2026-12-01).
const singles = new WeakMap<z.ZodType, z.ZodType>();
const pages = new WeakMap<z.ZodType, z.ZodType>();

function memo<E extends z.ZodType>(cache: WeakMap<z.ZodType, z.ZodType>, item: z.ZodType, build: () => E): E {
  const known = cache.get(item) as E | undefined;
  if (known) return known;
  const built = build();
  cache.set(item, built);
  return built;
}

/** `{ data: item }`, SolusIO's envelope of one resource; one instance per item schema. */
export function single<T extends z.ZodType>(item: T) {
  return memo(singles, item, () => z.looseObject({ data: item }));
}

/** `{ data: [item], meta }`, SolusIO's envelope of a list page; one instance per item schema. */
export function page<T extends z.ZodType>(item: T) {
  return memo(pages, item, () => z.looseObject({ data: z.array(item), meta: ListMeta.optional() }));
}
