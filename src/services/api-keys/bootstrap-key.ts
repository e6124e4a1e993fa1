import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ensurePrivateFile, type PermissionWarning, writePrivateFile } from "../../db/data-dir-lock.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { createApiKey, hashApiKey } from "./api-keys.ts";

/**
 * On the embedded default nobody has configured anything, and `tokenbill apikey create` cannot open the
 * database while the server holds it. So the first start with no key at all creates one and leaves it in
 * DATA_DIR/admin-api-key (mode 0600: readable by the owner only; a looser file from an earlier start is
 * tightened, with a warning). The key itself is never logged.
 */
export async function ensureBootstrapKey(ctx: ServiceContext, dataDir: string): Promise<string | undefined> {
  if (ctx.config.TOKENBILL_ADMIN_API_KEY) return undefined;
  const file = join(dataDir, "admin-api-key");
  const warn: PermissionWarning = (message, details) => ctx.logger.warn(details, message);
  const any = await ctx.db.selectFrom("api_key").select("id").limit(1).executeTakeFirst();
  if (any) {
    if (!existsSync(file)) return undefined;
    ensurePrivateFile(file, warn);
    // A key revoked since (or the file of another database) is not offered as the way in.
    const held = readFileSync(file, "utf8").trim();
    const usable = await ctx.db
      .selectFrom("api_key")
      .select("id")
      .where("key_hash", "=", hashApiKey(held))
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (usable) return file;
    ctx.logger.warn(
      { file },
      "the admin API key in this file is revoked or unknown to this database: create one with `tokenbill apikey create`",
    );
    return undefined;
  }
  const key = await createApiKey({ ctx, input: { name: "bootstrap (first start)" } });
  writePrivateFile(file, `${key.key}\n`, warn);
  return file;
}

/**
 * On PostgreSQL no key is written to a file (several instances, no shared directory): the operator makes the
 * first one with `tokenbill apikey create`, which works beside a running serve. Until one exists, each start
 * says so; undefined when a usable key or TOKENBILL_ADMIN_API_KEY exists.
 */
export async function missingAdminKeyAdvice(ctx: ServiceContext): Promise<string | undefined> {
  if (ctx.config.TOKENBILL_ADMIN_API_KEY) return undefined;
  const usable = await ctx.db
    .selectFrom("api_key")
    .select("id")
    .where("revoked_at", "is", null)
    .limit(1)
    .executeTakeFirst();
  if (usable) return undefined;
  return "no admin API key exists yet: create one with `tokenbill apikey create --name admin` (it is printed once) or set TOKENBILL_ADMIN_API_KEY (docs/install-production.md)";
}
