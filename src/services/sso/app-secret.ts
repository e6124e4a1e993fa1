import { randomBytes } from "node:crypto";
import type { Tx } from "../../kernel/context.ts";

/** Returns the named shared secret, creating it on first use; concurrent creators agree on one value. */
export async function appSecret(db: Tx, name: string): Promise<string> {
  await db
    .insertInto("app_secret")
    .values({ name, value: randomBytes(32).toString("base64url") })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const row = await db
    .selectFrom("app_secret")
    .select("value")
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return row.value;
}
