import { z } from "zod";
import "../kernel/plain-zod-wording.ts";
import { upstreamName, upstreamText } from "./upstream-text.ts";

// Shapes of SolusIO answers (solusio-api.md), validated before use. Objects are loose: SolusIO sends more
// fields than billing needs, and a newer version may add some.

/**
 * billing_user_id is an int in responses; some versions or modules store it as a numeric string. Digits
 * beyond 2^53 are refused, not rounded: as a number they would lose digits and could read as another id.
 */
const billingUserId = z
  .union(
    [
      z.number().int(),
      z
        .string()
        .regex(/^\d+$/)
        .refine((digits) => Number.isSafeInteger(Number(digits)))
        .transform(Number),
    ],
    { error: "expected a whole number up to 2^53, or its digits" },
  )
  .nullable()
  .optional()
  .transform((v) => v ?? null);

export const SolusioRole = z.looseObject({ id: z.number().int(), name: z.string() });

/**
 * The longest e-mail address kept as SolusIO sends it (an address has at most 254 characters). Its text is
 * made showable as it arrives, like server names (upstream-text.ts): it is printed by `solusio reconcile`
 * and stored in a customer's sync error, and SolusIO's own checks are not tokenbill's.
 */
const MAX_UPSTREAM_EMAIL = 320;

export const SolusioUser = z.looseObject({
  id: z.number().int(),
  email: z.string().transform((email) => upstreamText(email, MAX_UPSTREAM_EMAIL)),
  status: z.enum(["active", "locked", "suspended"]),
  billing_user_id: billingUserId,
  created_at: z.string().optional(),
  roles: z.array(SolusioRole).optional(),
  limit_group: z
    .looseObject({ id: z.number().int(), name: z.string().transform(upstreamName) })
    .nullable()
    .optional(),
  limit_group_id: z.number().int().nullable().optional(),
});
export type SolusioUser = z.output<typeof SolusioUser>;

const Limit = z.looseObject({ limit: z.number().int(), is_enabled: z.boolean() });

export const SolusioLimitGroup = z.looseObject({
  id: z.number().int(),
  name: z.string().transform(upstreamName),
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

// The figures billing reads from servers and usage items come in two parts: a validator of what SolusIO
// sends (`…Shape`), and a function that makes it tokenbill's value (bigints, decimal text). The schemas that
// servers and plans are read with join the two with `.transform`. The usage endpoint's items, hundreds of
// thousands in a billing run, use the validators alone and convert in their mapping (usage-schemas.ts): with
// zod 4's `.transform` in an item's schema, V8's young-generation collections became slow (V8's
// allocation-site pretenuring was to blame: with it turned off they were fast again). Parsing and validating
// 300,000 items took 3.6–4.1 s with transforms and 0.8–0.9 s without (2026-12-02; docs/performance.md,
// "The import's garbage collection").

/**
 * A whole, non-negative count of tokens or hours as SolusIO sends it. PHP modules send some integers as
 * numeric strings; zod's int() already refuses numbers beyond 2^53, which would have lost digits.
 */
export const wireCountShape = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,18}$/)]);

/** A validated count, exactly (bigint). */
export const toCount = (v: number | string): bigint => BigInt(v);

/** A billing_user_id as servers and usage items carry it: missing or null means none. */
export const billingUserRefShape = wireCountShape.nullable().optional();

export const toBillingUserRef = (v: number | string | null | undefined): bigint | null =>
  v === null || v === undefined ? null : toCount(v);

const billingUserRef = billingUserRefShape.transform(toBillingUserRef);

const PERCENT = /^(100(\.0{1,6})?|\d{1,2}(\.\d{1,6})?)$/;

/**
 * A plan's backup_price (solusio-api.md §5): a percentage 0–100, fractional allowed, as a number or a
 * numeric string, with at most 6 decimals (what the database stores). Missing is 0.
 */
export const backupPercentShape = z
  .union([z.number().min(0).max(100), z.string()])
  .nullable()
  .optional()
  .refine(
    (v) => v === null || v === undefined || PERCENT.test(String(v)),
    "must be a percentage from 0 to 100 with at most 6 decimals",
  );

/** A validated backup_price as exact decimal text. */
export const toBackupPercent = (v: number | string | null | undefined): string =>
  v === null || v === undefined ? "0" : String(v);

/**
 * A plan as a server or a usage item carries it: the prices the server runs on (solusio-api.md §6, §9).
 * `SolusioPlan` above is the plans resource, which setup compares with tokenbill's prices and writes back as
 * numbers. A plan without IP prices has none (0).
 */
export const SolusioPlanOfServerShape = z.looseObject({
  id: z.number().int().nullable().optional(),
  name: z.string(),
  tokens_per_hour: wireCountShape,
  tokens_per_month: wireCountShape,
  ip_tokens_per_hour: wireCountShape.optional(),
  ip_tokens_per_month: wireCountShape.optional(),
  backup_price: backupPercentShape,
});
type PlanOfServerShape = z.output<typeof SolusioPlanOfServerShape>;

/** A validated plan's id and prices as billing reads them: bigints, 0 for missing IP prices. */
export function planPrices(plan: PlanOfServerShape) {
  return {
    id: plan.id ?? null,
    tokens_per_hour: toCount(plan.tokens_per_hour),
    tokens_per_month: toCount(plan.tokens_per_month),
    ip_tokens_per_hour: plan.ip_tokens_per_hour === undefined ? 0n : toCount(plan.ip_tokens_per_hour),
    ip_tokens_per_month: plan.ip_tokens_per_month === undefined ? 0n : toCount(plan.ip_tokens_per_month),
    backup_price: toBackupPercent(plan.backup_price),
  };
}

/** A validated plan with its prices converted (planPrices) and its name showable, its other fields as sent. */
const toPlanOfServer = (plan: PlanOfServerShape) => ({
  ...plan,
  name: upstreamName(plan.name),
  ...planPrices(plan),
});

export const SolusioPlanOfServer = SolusioPlanOfServerShape.transform(toPlanOfServer);
export type SolusioPlanOfServer = z.output<typeof SolusioPlanOfServer>;

/** One server of GET servers (solusio-api.md §6), with what usage source (b) records of it. */
export const SolusioServer = z.looseObject({
  id: z.number().int().positive(),
  uuid: z.string(),
  name: z.string().transform(upstreamName),
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
