import type { SolusioUser } from "../../solusio/schemas.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { adoptionConflict, isAdminUser } from "./adoption.ts";
import { enqueueCustomerSync } from "./enqueue-customer-sync.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { ADMIN_ROLES, READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

export type DriftKind =
  | "conflict"
  | "missing_in_solusio"
  | "unknown_to_billing"
  | "billing_user_id_differs"
  | "email_differs"
  | "status_differs"
  | "limit_group_differs";

export interface Drift {
  kind: DriftKind;
  customer_id: number | null;
  solusio_user_id: number | null;
  billing: unknown;
  solusio: unknown;
  /** For `conflict`: why billing may not adopt the SolusIO user (admin role, another billing_user_id). */
  reason?: string;
}

export interface ReconcileReport {
  customers: number;
  solusio_users: number;
  drift: Drift[];
  /** Customers queued for a sync by --fix; users unknown to billing and conflicts are reported, never touched. */
  fixed: number[];
}

/**
 * Compares every customer with SolusIO's users (matched by billing_user_id, then by e-mail) and lists the
 * drift. With `fix`, every customer that drifted is queued for a sync, which makes SolusIO match billing —
 * except a `conflict`: its user is one billing may not adopt (adoption.ts), and a sync would not change it.
 */
export async function reconcileSolusio(
  ctx: ServiceContext,
  deps: { api: SolusioApi; limitGroupId(name: string | null): Promise<number | undefined> },
  options: { fix: boolean },
): Promise<ReconcileReport> {
  // Reading the drift is reading; repairing it queues syncs that change SolusIO.
  await requireStaffRole(ctx, ...(options.fix ? ADMIN_ROLES : READ_ROLES));
  const [users, customers] = await Promise.all([
    deps.api.listUsers(),
    ctx.db.selectFrom("customer").select(["id", "email", "status", "limit_group"]).orderBy("id").execute(),
  ]);
  const byBillingId = new Map<number, SolusioUser>();
  const byEmail = new Map<string, SolusioUser>();
  for (const u of users) {
    if (u.billing_user_id !== null) byBillingId.set(u.billing_user_id, u);
    byEmail.set(u.email.toLowerCase(), u);
  }
  const matched = new Set<number>();
  const drift: Drift[] = [];
  const groupIds = new Map<string | null, number | undefined>();
  for (const c of customers) {
    const id = Number(c.id);
    const user = byBillingId.get(id) ?? byEmail.get(c.email.toLowerCase());
    const billing = { email: c.email, status: c.status, limit_group: c.limit_group };
    if (!user) {
      drift.push({
        kind: "missing_in_solusio",
        customer_id: id,
        solusio_user_id: null,
        billing,
        solusio: null,
      });
      continue;
    }
    matched.add(user.id);
    const reason = adoptionConflict(user, id);
    if (reason !== undefined) {
      drift.push({
        kind: "conflict",
        customer_id: id,
        solusio_user_id: user.id,
        billing,
        solusio: { email: user.email, billing_user_id: user.billing_user_id, admin: isAdminUser(user) },
        reason: `SolusIO user ${user.id} ${reason}`,
      });
      continue;
    }
    const push = (kind: DriftKind, b: unknown, s: unknown) =>
      drift.push({ kind, customer_id: id, solusio_user_id: user.id, billing: b, solusio: s });
    if (user.billing_user_id !== id) push("billing_user_id_differs", id, user.billing_user_id);
    if (user.email.toLowerCase() !== c.email.toLowerCase()) push("email_differs", c.email, user.email);
    if (user.status !== c.status) push("status_differs", c.status, user.status);
    if (!groupIds.has(c.limit_group)) groupIds.set(c.limit_group, await deps.limitGroupId(c.limit_group));
    const wantedGroup = groupIds.get(c.limit_group);
    const actualGroup = user.limit_group?.id ?? user.limit_group_id ?? null;
    if (wantedGroup !== undefined && actualGroup !== null && actualGroup !== wantedGroup) {
      push("limit_group_differs", wantedGroup, actualGroup);
    }
  }
  for (const u of users) {
    if (!matched.has(u.id) && !isAdminUser(u)) {
      drift.push({
        kind: "unknown_to_billing",
        customer_id: null,
        solusio_user_id: u.id,
        billing: null,
        solusio: { email: u.email, status: u.status, billing_user_id: u.billing_user_id },
      });
    }
  }
  const fixed: number[] = [];
  if (options.fix) {
    const repairable = (d: Drift) => d.customer_id !== null && d.kind !== "conflict";
    const ids = [...new Set(drift.filter(repairable).map((d) => d.customer_id as number))];
    await withTransaction(ctx, async (tx) => {
      const trx = tx.db;
      for (const id of ids) await enqueueCustomerSync(trx, BigInt(id));
    });
    fixed.push(...ids);
  }
  return { customers: customers.length, solusio_users: users.length, drift, fixed };
}
