import type { ServiceContext } from "../../kernel/context.ts";
import { jsonText } from "../../kernel/json.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";
import {
  type CarrierGroup,
  carrierFindings,
  describeGroup,
  SHARED_TODO,
  UNKNOWN_ID_TODO,
} from "./billing-id-carriers.ts";
import type { Drift } from "./reconcile.ts";

// What a reconciliation found of users carrying a billing_user_id no sync sees, kept in
// solusio_carrier_finding (migration 040) while it holds: the console shows it, and it is logged once when
// it is first found (or its users change), by whichever process finds it. Kept only in a process, it was
// warned of again after every restart, and staff who read no logs never saw it.

export type CarrierKind = "shared" | "unknown";

export interface CarrierFinding extends CarrierGroup {
  kind: CarrierKind;
  /** "SolusIO users 10 (a@x), 11 (b@x) all carry billing_user_id 6" (describeGroup). */
  summary: string;
  /** What to do about it. */
  todo: string;
  first_seen_at: Date;
  seen_at: Date;
}

/** Which users, as compared from one reconciliation to the next. */
const signature = (users: CarrierGroup["users"]) => users.map((u) => `${u.id} ${u.email}`).join("\n");

const todoOf = (kind: CarrierKind) => (kind === "shared" ? SHARED_TODO : UNKNOWN_ID_TODO);

/** Rows written at a time: each holds its users, so a batch stays a modest statement. */
const BATCH = 200;

/**
 * Makes the stored findings what this reconciliation's drift holds: new ones inserted, gone ones deleted,
 * the rest marked seen now; and notes when, of how many users (`solusioUsers`), so that "none found" has a
 * date too (solusio_carrier_check). Logs a warning for each finding that is new or whose users changed.
 */
export async function recordCarrierFindings(
  ctx: ServiceContext,
  drift: readonly Drift[],
  solusioUsers: number,
): Promise<void> {
  const { shared, unknown } = carrierFindings(drift);
  const found = [
    ...shared.map((g) => ({ kind: "shared" as const, group: g })),
    ...unknown.map((g) => ({ kind: "unknown" as const, group: g })),
  ];
  const keyOf = (kind: string, id: number | bigint) => `${kind}:${id}`;
  const now = ctx.now();
  const fresh = await withTransaction(ctx, async (tx) => {
    // Row locks on what is stored: a second reconciliation at the same time waits, then sees these rows.
    const stored = await tx.db
      .selectFrom("solusio_carrier_finding")
      .select(["kind", "billing_user_id", "users"])
      .forUpdate()
      .execute();
    const before = new Map(stored.map((r) => [keyOf(r.kind, r.billing_user_id), signature(r.users)]));
    const foundKeys = new Set(found.map((f) => keyOf(f.kind, f.group.billing_user_id)));
    const gone = stored.filter((r) => !foundKeys.has(keyOf(r.kind, r.billing_user_id)));
    for (const r of gone)
      await tx.db
        .deleteFrom("solusio_carrier_finding")
        .where("kind", "=", r.kind)
        .where("billing_user_id", "=", r.billing_user_id)
        .execute();
    for (let i = 0; i < found.length; i += BATCH) {
      await tx.db
        .insertInto("solusio_carrier_finding")
        .values(
          found.slice(i, i + BATCH).map((f) => ({
            kind: f.kind,
            billing_user_id: BigInt(f.group.billing_user_id),
            users: jsonText(f.group.users),
            first_seen_at: now,
            seen_at: now,
          })),
        )
        .onConflict((oc) =>
          oc.columns(["kind", "billing_user_id"]).doUpdateSet((eb) => ({
            users: eb.ref("excluded.users"),
            seen_at: eb.ref("excluded.seen_at"),
          })),
        )
        .execute();
    }
    await tx.db
      .insertInto("solusio_carrier_check")
      .values({ checked_at: now, solusio_users: solusioUsers })
      .onConflict((oc) => oc.column("id").doUpdateSet({ checked_at: now, solusio_users: solusioUsers }))
      .execute();
    return found.filter(
      (f) => before.get(keyOf(f.kind, f.group.billing_user_id)) !== signature(f.group.users),
    );
  });
  for (const f of fresh)
    ctx.logger.warn(
      { billingUserId: f.group.billing_user_id, solusioUsers: f.group.users },
      `${describeGroup(f.kind, f.group)}: ${todoOf(f.kind)}`,
    );
}

/** When a reconciliation last recorded its findings, of how many users; undefined before the first. */
export async function lastCarrierCheck(
  db: ServiceContext["db"],
): Promise<{ checked_at: Date; solusio_users: number } | undefined> {
  return db.selectFrom("solusio_carrier_check").select(["checked_at", "solusio_users"]).executeTakeFirst();
}

/** The stored findings, shared ids first, each in billing_user_id order: for the console. */
export const listCarrierFindings = defineVerb(NoInput, async ({ ctx }): Promise<CarrierFinding[]> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  const rows = await ctx.db
    .selectFrom("solusio_carrier_finding")
    .selectAll()
    .orderBy("kind", "asc")
    .orderBy("billing_user_id", "asc")
    .execute();
  return rows.map((r) => {
    const group = { billing_user_id: Number(r.billing_user_id), users: r.users };
    return {
      kind: r.kind,
      ...group,
      summary: describeGroup(r.kind, group),
      todo: todoOf(r.kind),
      first_seen_at: r.first_seen_at,
      seen_at: r.seen_at,
    };
  });
});
