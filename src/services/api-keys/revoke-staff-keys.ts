import { actorLabel, actors } from "../../kernel/actor.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { TxContext } from "../../kernel/transaction.ts";
import { ROLE_RANK, type StaffRole } from "../staff/staff-roles.ts";
import { COLUMNS, presentApiKey } from "./api-keys.ts";

// A key must not outlive its maker's authority: when a staff user is disabled, the keys they created go with
// them, and when they are given a lower role, the keys they created of a role above the new one go (an admin
// made billing keeps their billing and support keys, loses their admin keys), in the same transaction as that
// change. Keys made with one of those keys are judged alike, or an admin could keep their authority by making
// a key with their own key before leaving.

/**
 * Revokes every active key the staff user created, directly or through keys of theirs, whose role is above
 * `role` (every one when `role` is undefined: the user was disabled), in the caller's transaction; each is
 * audited as an `api_key.revoke` by the caller's actor. Returns the revoked keys' ids.
 */
export async function revokeKeysOfStaff(
  tx: TxContext,
  staffUserId: string,
  role: StaffRole | undefined,
): Promise<string[]> {
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
      if (role !== undefined && ROLE_RANK[row.role] <= ROLE_RANK[role]) continue;
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
    // Keys these keys made (a revoked one's too: it may have made keys while it was active; a kept one's,
    // which are judged by their own role).
    creators = fresh.map((row) => actorLabel(actors.adminKey(row.id, row.role)));
  }
  return revoked;
}
