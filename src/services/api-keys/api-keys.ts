import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Selectable } from "kysely";
import { z } from "zod";
import type { ApiKeyRole, ApiKeyTable } from "../../db/schema.ts";
import { type Actor, actorLabel, actors } from "../../kernel/actor.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { type Page, PageQuery, fetchPage } from "../../kernel/pagination.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import {
  ADMIN_ROLES,
  READ_ROLES,
  ROLE_RANK,
  requireStaffRole,
  type StaffIdentity,
  type StaffRole,
} from "../staff/staff-roles.ts";

// Admin API keys: 32 random bytes shown once at creation; only their SHA-256 is stored. A fast hash is
// enough here because the keys are random, not chosen by people. Creating and revoking are audited in the
// same transaction as the change, whether the admin API or the CLI asks.
//
// A key carries its id: key_3f9a0c1b2d4e has the key tbk_3f9a0c1b2d4e_<secret>, so whoever finds a leaked
// key knows which one to revoke. The id is no secret (it is in the audit log); the 32 bytes are the key.
// Keys made before keys carried their id have 16 hex digits in their id and show no prefix.

const KEY_PREFIX = "tbk_";
const ID_WITH_PREFIX = /^key_([0-9a-f]{12})$/;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Control and invisible formatting characters (line breaks, escapes, bidi overrides) in a name. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

export const ApiKeyName = z
  .string()
  .trim()
  .min(1, "must be 1 to 100 characters")
  .max(100, "must be 1 to 100 characters")
  .refine((name) => !UNPRINTABLE.test(name), "must not contain control characters")
  .meta({ description: "what the key is for", example: "deploy pipeline" });

export type { ApiKeyRole };
export const API_KEY_ROLES = ["admin", "billing", "support"] as const satisfies readonly ApiKeyRole[];

export const ApiKeyRoleSchema = z.enum(API_KEY_ROLES).meta({
  description:
    "what the key may do, as a staff user of that role: `admin` everything an API key reaches, `billing` money (billing runs, invoices, payments, refunds, credit notes, dunning) and reading, `support` reading only",
  example: "support",
});

export const ApiKeyCreate = z
  .object({
    name: ApiKeyName,
    role: ApiKeyRoleSchema.default("admin").meta({
      description:
        "what the key may do (default `admin`, what every key could do before keys had roles); not above the creator's own role",
    }),
  })
  .strict();
// Any length of hex digits, as other ids are checked: ids have had 16 digits and now 12 (above). The refusal
// gives the whole form: "(key_…)" alone did not say what was wrong with key_doesnotexist123.
export const ApiKeyParams = z.object({
  id: z
    .string()
    .regex(
      /^key_[0-9a-f]{1,64}$/,
      "must be an API key id: key_ and 1 to 64 lower-case hex digits, such as key_3f9a0c1b2d4e",
    ),
});

export const ApiKey = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().nullable().meta({
    description:
      "how the key begins (never the secret part); null for keys made before keys carried their id",
    example: "tbk_3f9a0c1b2d4e",
  }),
  role: ApiKeyRoleSchema,
  created_at: z.string(),
  created_by: z.string().nullable().meta({
    description:
      "who created the key, as the audit log names actors (`staff:stf_…`, `apikey:key_…`, `cli`, `env-admin-key`, or `system:bootstrap` for the key the first start leaves in DATA_DIR/admin-api-key); null when unknown (a key older than this field with no audit row)",
    example: "staff:stf_3f9a0c1b2d4e5f60",
  }),
  last_used_at: z.string().nullable().meta({
    description:
      "the last request the key was let through (one refused, 401 or 403, is not use); recorded at most once a minute, as its answer is sent",
  }),
  revoked_at: z.string().nullable(),
});
export type ApiKey = z.output<typeof ApiKey>;

export const CreatedApiKey = ApiKey.extend({
  key: z.string().meta({ description: "the key itself: shown in this answer only, stored only as a hash" }),
});
export type CreatedApiKey = z.output<typeof CreatedApiKey>;

type ApiKeyRow = Omit<Selectable<ApiKeyTable>, "key_hash">;
export const COLUMNS = [
  "id",
  "name",
  "role",
  "created_at",
  "created_by",
  "last_used_at",
  "revoked_at",
] as const;

export function presentApiKey(row: ApiKeyRow): ApiKey {
  const idHex = ID_WITH_PREFIX.exec(row.id)?.[1];
  return {
    id: row.id,
    name: row.name,
    prefix: idHex === undefined ? null : `${KEY_PREFIX}${idHex}`,
    role: row.role,
    created_at: row.created_at.toISOString(),
    created_by: row.created_by,
    last_used_at: row.last_used_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}

function checkedName(name: string): string {
  const result = ApiKeyName.safeParse(name);
  if (result.success) return result.data;
  throw ServiceError.validation("name", result.error.issues[0]?.message ?? "is invalid");
}

/**
 * The role a caller that passed createApiKey's check acts with: a staff user's (read by requireStaffRole),
 * a key's own, or none for TOKENBILL_ADMIN_API_KEY, the CLI and system jobs (full authority).
 */
function creatorRole(actor: Actor, staff: StaffIdentity | undefined): StaffRole | undefined {
  if (staff) return staff.role;
  return actor.kind === "admin_key" ? actor.role : undefined;
}

/**
 * A new key; the answer is the only place its secret ever appears. Its role may not be above its creator's:
 * a key is a way to act without logging in, and must not be a way up. (While only owners and admins, and
 * admin keys, may create keys at all, the check first refuses nothing else; it holds if that changes.)
 */
export const createApiKey = defineVerb(ApiKeyCreate, async ({ ctx, input }): Promise<CreatedApiKey> => {
  const staff = await requireStaffRole(ctx, ...ADMIN_ROLES);
  const own = creatorRole(ctx.actor, staff);
  if (own !== undefined && ROLE_RANK[input.role] > ROLE_RANK[own])
    throw new ServiceError("FORBIDDEN", `a ${own} may not create an API key of the ${input.role} role`);
  const name = checkedName(input.name);
  const idHex = randomBytes(6).toString("hex");
  const id = `key_${idHex}`;
  const key = `${KEY_PREFIX}${idHex}_${randomBytes(32).toString("base64url")}`;
  return withTransaction(ctx, async (tx) => {
    const trx = tx.db;
    const row = await trx
      .insertInto("api_key")
      .values({
        id,
        name,
        key_hash: hashApiKey(key),
        role: input.role,
        created_at: ctx.now(),
        created_by: actorLabel(ctx.actor),
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    const after = presentApiKey(row);
    await recordAudit(trx, ctx, { action: "create", entity: "api_key", entityId: id, before: null, after });
    return { ...after, key };
  });
});

/** Oldest first; revoked keys stay listed with their revoked_at. */
export const listApiKeys = defineVerb(PageQuery, async ({ ctx, input }): Promise<Page<ApiKey>> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  return fetchPage(
    ctx.db.selectFrom("api_key"),
    input,
    (f) => f.select(COLUMNS).orderBy("created_at").orderBy("id"),
    presentApiKey,
  );
});

/** One key (never the key itself or its hash), for the page that asks before revoking it. */
export const getApiKey = defineVerb(ApiKeyParams, async ({ ctx, input }): Promise<ApiKey> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  const row = await ctx.db
    .selectFrom("api_key")
    .select(COLUMNS)
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!row) throw ServiceError.notFound(`api key ${input.id}`);
  return presentApiKey(row);
});

/**
 * Revokes a key: the very next request with it is refused (authentication reads the table on every
 * request; nothing caches keys). Revoking a revoked key changes nothing and succeeds (`changed` false),
 * so a retried revocation is safe; an unknown id is NOT_FOUND. Audited as an update of revoked_at.
 */
export const revokeApiKey = defineVerb(
  ApiKeyParams,
  async ({ ctx, input }): Promise<{ key: ApiKey; changed: boolean }> => {
    await requireStaffRole(ctx, ...ADMIN_ROLES);
    return withTransaction(ctx, async (tx) => {
      const trx = tx.db;
      const row = await trx
        .selectFrom("api_key")
        .select(COLUMNS)
        .where("id", "=", input.id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw ServiceError.notFound(`api key ${input.id}`);
      const before = presentApiKey(row);
      if (row.revoked_at !== null) return { key: before, changed: false };
      const revoked = await trx
        .updateTable("api_key")
        .set({ revoked_at: ctx.now() })
        .where("id", "=", input.id)
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      const after = presentApiKey(revoked);
      await recordAudit(trx, ctx, { action: "revoke", entity: "api_key", entityId: input.id, before, after });
      return { key: after, changed: true };
    });
  },
);

function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** A stored key's use, recorded (recordApiKeyUse) once its request is let through. */
export interface ApiKeyUse {
  keyId: string;
  lastUsedAt: Date | null;
}

/**
 * The actor a presented Bearer key stands for, or UNAUTHORIZED; for a stored key, also its use to record once
 * the answer shows the request was let through. Until 2026-12-07 use was recorded here, so a request its role
 * refused (403) looked like use: a key probing what it may not do seemed a key at work.
 */
export async function authenticateAdminKey(
  ctx: Pick<ServiceContext, "db" | "config">,
  presented: string,
): Promise<{ actor: Actor; use?: ApiKeyUse }> {
  const bootstrap = ctx.config.TOKENBILL_ADMIN_API_KEY;
  if (bootstrap !== undefined && constantTimeEqual(presented, bootstrap)) return { actor: actors.envKey() };
  if (!presented.startsWith(KEY_PREFIX)) throw new ServiceError("UNAUTHORIZED", "invalid API key");
  // Read on every request, never cached: a revocation holds from the next request on, on every instance.
  const row = await ctx.db
    .selectFrom("api_key")
    .select(["id", "role", "last_used_at"])
    .where("key_hash", "=", hashApiKey(presented))
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (!row) throw new ServiceError("UNAUTHORIZED", "invalid API key");
  return { actor: actors.adminKey(row.id, row.role), use: { keyId: row.id, lastUsedAt: row.last_used_at } };
}

/**
 * Records a key's use (`last_used_at`): the last request it was let through. At most once a minute, so
 * authentication does not turn every request into a write.
 */
export async function recordApiKeyUse(
  ctx: Pick<ServiceContext, "db" | "now">,
  use: ApiKeyUse,
): Promise<void> {
  const now = ctx.now();
  if (use.lastUsedAt && now.getTime() - use.lastUsedAt.getTime() <= 60_000) return;
  await ctx.db.updateTable("api_key").set({ last_used_at: now }).where("id", "=", use.keyId).execute();
}
