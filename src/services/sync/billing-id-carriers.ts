import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { SolusioUser } from "../../solusio/schemas.ts";
import { isAdminUser } from "./adoption.ts";
import type { Drift } from "./reconcile.ts";

// SolusIO users grouped by the billing_user_id they carry, for the two findings a sync cannot see: a second
// user carrying a customer's id beside the customer's stored user (the sync reads the stored user by its id
// and never lists the others: no search per delivery, bench/sync), and users carrying an id no customer has.
// Reconcile reports them row by row and keeps them while they hold (carrier-findings.ts); doctor checks them.

export interface CarrierGroup {
  billing_user_id: number;
  users: { id: number; email: string }[];
}

/** The users carrying each billing_user_id, in id order, admins left out (billing never manages them). */
export function carriersById(users: readonly SolusioUser[]): Map<number, SolusioUser[]> {
  const byId = new Map<number, SolusioUser[]>();
  for (const u of [...users].sort((a, b) => a.id - b.id)) {
    if (u.billing_user_id === null || isAdminUser(u)) continue;
    const list = byId.get(u.billing_user_id);
    if (list) list.push(u);
    else byId.set(u.billing_user_id, [u]);
  }
  return byId;
}

const named = (users: readonly { id: number; email: string }[]) =>
  users.map((u) => `${u.id} (${u.email})`).join(", ");

/** What the operator does about users carrying an id no customer has (docs/solusio-integration.md). */
export const UNKNOWN_ID_TODO =
  "GetTokenPricing answers not found for them (SolusIO shows them no prices) and billing runs" +
  " report their usage as unknown_billing_user, billed to no one. If a user is a customer's, set its" +
  " billing_user_id to that customer's id; if its customer was deleted, delete it in SolusIO (its servers" +
  " first); otherwise clear its billing_user_id.";

/** What the operator does about users sharing a customer's billing_user_id (the reconcile conflict's way out). */
export const SHARED_TODO =
  "the sync keeps to the customer's stored user and never sees the others. Keep the customer's user; in" +
  " SolusIO delete each other one, or clear its billing_user_id (or set it back to its own customer's id);" +
  " `tokenbill solusio reconcile` lists them as a conflict";

/** The `reason` of an `unknown_to_billing` row whose user carries an id no customer has. */
export function unknownIdReason(user: SolusioUser, carriers: readonly SolusioUser[]): string {
  const others = carriers.filter((u) => u.id !== user.id);
  const also = others.length > 0 ? ` (so do SolusIO users ${named(others)})` : "";
  return (
    `SolusIO user ${user.id} (${user.email}) carries billing_user_id ${user.billing_user_id}, which no` +
    ` customer has${also}. ${UNKNOWN_ID_TODO}`
  );
}

/**
 * From a reconciliation's drift: each billing_user_id two or more users carry (a `conflict` listing them),
 * and each id no customer has with its users (`unknown_to_billing` rows), in id order.
 */
export function carrierFindings(drift: readonly Drift[]): {
  shared: CarrierGroup[];
  unknown: CarrierGroup[];
} {
  const shared: CarrierGroup[] = [];
  const unknown = new Map<number, CarrierGroup>();
  for (const d of drift) {
    const s = d.solusio as {
      billing_user_id?: unknown;
      users?: { id: number; email: string }[];
      email?: string;
    } | null;
    if (d.kind === "conflict" && s && Array.isArray(s.users) && typeof s.billing_user_id === "number") {
      shared.push({
        billing_user_id: s.billing_user_id,
        users: s.users.map((u) => ({ id: u.id, email: u.email })),
      });
    } else if (d.kind === "unknown_to_billing" && s && typeof s.billing_user_id === "number") {
      const group = unknown.get(s.billing_user_id) ?? { billing_user_id: s.billing_user_id, users: [] };
      unknown.set(s.billing_user_id, group);
      group.users.push({ id: d.solusio_user_id as number, email: String(s.email) });
    }
  }
  const byId = (a: CarrierGroup, b: CarrierGroup) => a.billing_user_id - b.billing_user_id;
  return { shared: shared.sort(byId), unknown: [...unknown.values()].sort(byId) };
}

/** One line naming a group, for a log warning or doctor. */
export function describeGroup(kind: "shared" | "unknown", g: CarrierGroup): string {
  return kind === "shared"
    ? `SolusIO users ${named(g.users)} all carry billing_user_id ${g.billing_user_id}`
    : `SolusIO user${g.users.length > 1 ? "s" : ""} ${named(g.users)} carr${g.users.length > 1 ? "y" : "ies"} billing_user_id ${g.billing_user_id}, which no customer has`;
}

/** Which of these ids are customers'. */
export async function customerIdsAmong(db: Kysely<Database>, ids: readonly number[]): Promise<Set<number>> {
  const found = new Set<number>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await db
      .selectFrom("customer")
      .select("id")
      .where(
        "id",
        "in",
        ids.slice(i, i + 1000).map((id) => BigInt(id)),
      )
      .execute();
    for (const r of rows) found.add(Number(r.id));
  }
  return found;
}
