import { actorLabel, actors } from "../../kernel/actor.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { COLUMNS, presentApiKey } from "./api-keys.ts";

// A key holds full authority whoever made it, so it must not outlive its maker's: when a staff user is
// disabled or loses the admin role, the keys they created go with them, in the same transaction as that
// change. Keys made with one of those keys are revoked too, or an admin could keep their authority by
// making a key with their own key before leaving.

/**
 * Revokes every active key the staff user created, directly or through keys of theirs, in the caller's
 * transaction; each is audited as an `api_key.revoke` by the caller's actor. Returns the revoked keys' ids.
 */
export async function revokeKeysOfStaff(tx: TxContext, staffUserId: string): Promise<string[]> {
  const seen = new Set<string>();
  const revoked: string[] = [];
  let creators = [actorLabel(actors.staff(staffUserId))];
  while (creators.length > 0) {
    const rows = await tx.db
      .selectFrom("api_key")
      .select(COLUMNS)
      .where("created_by", "in", creators)
      .orderBy("id")
      .forUpdate()
      .execute();
    const fresh = rows.filter((row) => !seen.has(row.id));
    for (const row of fresh) {
      seen.add(row.id);
      if (row.revoked_at !== null) continue;
      const after = await tx.db
        .updateTable("api_key")
        .set({ revoked_at: tx.now() })
        .where("id", "=", row.id)
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      await recordAudit(tx.db, tx, {
        action: "revoke",
        entity: "api_key",
        entityId: row.id,
        before: presentApiKey(row),
        after: presentApiKey(after),
      });
      revoked.push(row.id);
    }
    // Keys a revoked key made (revoked before, too: it may have made keys while it was active).
    creators = fresh.map((row) => actorLabel(actors.adminKey(row.id)));
  }
  return revoked;
}
