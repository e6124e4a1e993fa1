import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { ServiceError } from "../../errors.ts";
import type { ServiceContext, VerbArgs } from "../context.ts";

// Admin API keys: 32 random bytes shown once at creation; only their SHA-256 is stored. A fast hash is
// enough here because the keys are random, not chosen by people.

const KEY_PREFIX = "tbk_";

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export async function createApiKey({
  ctx,
  input,
}: VerbArgs<{ name: string }>): Promise<{ id: string; name: string; key: string }> {
  const name = input.name.trim();
  if (!name || name.length > 100) throw ServiceError.validation("name", "must be 1 to 100 characters");
  const key = KEY_PREFIX + randomBytes(32).toString("base64url");
  const id = `key_${randomBytes(8).toString("hex")}`;
  await ctx.db
    .insertInto("api_key")
    .values({ id, name, key_hash: hashApiKey(key), created_at: ctx.now() })
    .execute();
  return { id, name, key };
}

export async function listApiKeys({ ctx }: VerbArgs<Record<string, never>>) {
  return ctx.db
    .selectFrom("api_key")
    .select(["id", "name", "created_at", "last_used_at", "revoked_at"])
    .orderBy("created_at")
    .execute();
}

export async function revokeApiKey({ ctx, input }: VerbArgs<{ id: string }>): Promise<void> {
  const result = await ctx.db
    .updateTable("api_key")
    .set({ revoked_at: ctx.now() })
    .where("id", "=", input.id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw ServiceError.notFound(`active api key ${input.id}`);
}

function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Returns the actor name for a presented Bearer key, or throws UNAUTHORIZED. */
export async function authenticateAdminKey(
  ctx: Pick<ServiceContext, "db" | "config" | "now">,
  presented: string,
): Promise<string> {
  const bootstrap = ctx.config.TOKENBILL_ADMIN_API_KEY;
  if (bootstrap !== undefined && constantTimeEqual(presented, bootstrap)) return "env-admin-key";
  if (!presented.startsWith(KEY_PREFIX)) throw new ServiceError("UNAUTHORIZED", "invalid API key");
  const row = await ctx.db
    .selectFrom("api_key")
    .select(["id", "last_used_at"])
    .where("key_hash", "=", hashApiKey(presented))
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (!row) throw new ServiceError("UNAUTHORIZED", "invalid API key");
  const now = ctx.now();
  // Record use at most once a minute, so authentication does not turn every request into a write.
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
    await ctx.db.updateTable("api_key").set({ last_used_at: now }).where("id", "=", row.id).execute();
  }
  return `apikey:${row.id}`;
}
