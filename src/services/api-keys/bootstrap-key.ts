import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServiceContext } from "../context.ts";
import { createApiKey } from "./api-keys.ts";

/**
 * On the embedded default nobody has configured anything, and `tokenbill apikey create` cannot open the
 * database while the server holds it. So the first start with no key at all creates one and leaves it in
 * DATA_DIR/admin-api-key (readable by the owner only). The key itself is never logged.
 */
export async function ensureBootstrapKey(ctx: ServiceContext, dataDir: string): Promise<string | undefined> {
  if (ctx.config.TOKENBILL_ADMIN_API_KEY) return undefined;
  const file = join(dataDir, "admin-api-key");
  const any = await ctx.db.selectFrom("api_key").select("id").limit(1).executeTakeFirst();
  if (any) return existsSync(file) ? file : undefined;
  const key = await createApiKey({ ctx, input: { name: "bootstrap (first start)" } });
  writeFileSync(file, `${key.key}\n`, { mode: 0o600 });
  return file;
}
