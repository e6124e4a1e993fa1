import type { PagesRead } from "../../solusio/read-pages-at-once.ts";
import type { SolusioUser } from "../../solusio/schemas.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import type { UnreadableItem } from "../../solusio/solusio-client.ts";
import { mayHoldBillingId, mayHoldEmail } from "../../solusio/unreadable-users.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { adoptionConflict, isAdminUser } from "./adoption.ts";
import { carriersById, unknownIdReason } from "./billing-id-carriers.ts";
import { recordCarrierFindings } from "./carrier-findings.ts";
import { duplicateOwnersDrift, ownersOf } from "./duplicate-owners.ts";
import { enqueueCustomerSync } from "./enqueue-customer-sync.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { ADMIN_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

export type DriftKind =
  | "conflict"
  | "unreadable_in_solusio"
  | "missing_in_solusio"
  | "unknown_to_billing"
  | "billing_user_id_differs"
  | "email_differs"
  | "status_differs"
  | "limit_group_differs"
  | "limit_group_unknown";

export interface Drift {
  kind: DriftKind;
  customer_id: number | null;
  solusio_user_id: number | null;
  billing: unknown;
  solusio: unknown;
  /**
   * For `conflict`: why billing may not adopt the SolusIO user (admin role, another billing_user_id). For
   * `unreadable_in_solusio`: which of the user's fields do not match what tokenbill reads. For
   * `limit_group_unknown`: which group SolusIO lacks and what to do about it. For `unknown_to_billing` of a
   * user carrying a billing_user_id: that no customer has it, who else carries it, and what to do.
   */
  reason?: string;
}

export interface ReconcileReport {
  customers: number;
  solusio_users: number;
  drift: Drift[];
  /**
   * Customers queued for a sync by --fix. Users unknown to billing, conflicts and unreadable users are
   * reported, never touched.
   */
  fixed: number[];
}

/**
 * Compares every customer with SolusIO's users (matched by its stored solusio_user_id, then billing_user_id,
 * then e-mail, as a sync looks) and lists the drift. With `fix`, every customer that drifted is queued for a
 * sync, which makes SolusIO match billing — except a `conflict`: its user is one billing may not adopt
 * (adoption.ts), or two users carry its billing_user_id (duplicate-owners.ts), and a person has to decide.
 */
export async function reconcileSolusio(
  ctx: ServiceContext,
  deps: { api: SolusioApi; limitGroupId(name: string | null): Promise<number | undefined> },
  options: {
    fix: boolean;
    /** Told after each page of SolusIO's users how far the walk is (the CLI's progress on stderr). */
    usersProgress?: (p: PagesRead) => void;
  },
): Promise<ReconcileReport> {
  // It reads every SolusIO user and every customer, and with fix changes SolusIO: admins' work. Any staff
  // role may check one customer (reconcileCustomer, reconcile-customer.ts).
  await requireStaffRole(ctx, ...ADMIN_ROLES);
  const [{ items: users, unreadable }, customers] = await Promise.all([
    // A call per page of users: as many at once as the job runner runs syncs (JOB_CONCURRENCY).
    deps.api.listUsers({
      atOnce: ctx.config.JOB_CONCURRENCY,
      ...(options.usersProgress ? { progress: options.usersProgress } : {}),
    }),
    ctx.db
      .selectFrom("customer")
      .select(["id", "email", "status", "limit_group", "solusio_user_id"])
      .orderBy("id")
      .execute(),
  ]);
  const byId = new Map<number, SolusioUser>();
  const byBillingId = new Map<number, SolusioUser[]>();
  const byEmail = new Map<string, SolusioUser>();
  for (const u of users) {
    byId.set(u.id, u);
    const carrying = u.billing_user_id === null ? undefined : byBillingId.get(u.billing_user_id);
    if (carrying) carrying.push(u);
    else if (u.billing_user_id !== null) byBillingId.set(u.billing_user_id, [u]);
    byEmail.set(u.email.toLowerCase(), u);
  }
  const matched = new Set<number>();
  const unreadableMatched = new Set<UnreadableItem>();
  const drift: Drift[] = [];
  const groupIds = cachedLimitGroups(deps.limitGroupId);
  for (const c of customers) {
    const id = Number(c.id);
    const carriers = byBillingId.get(id) ?? [];
    const storedId = c.solusio_user_id === null ? undefined : Number(c.solusio_user_id);
    const stored = storedId === undefined ? undefined : byId.get(storedId);
    // The order a sync looks in (sync-customer.ts): the stored user, then billing_user_id, an unreadable user
    // included, then the e-mail.
    const odd =
      stored || carriers.length > 0
        ? undefined
        : (unreadable.find((u) => storedId !== undefined && u.id === storedId) ??
          unreadableFor(unreadable, id, c.email, byEmail));
    if (odd) unreadableMatched.add(odd);
    const user = odd ? undefined : (stored ?? carriers[0] ?? byEmail.get(c.email.toLowerCase()));
    if (user) matched.add(user.id);
    // Every user carrying the customer's id is accounted for here: its own, or one of a `conflict`.
    for (const u of carriers) matched.add(u.id);
    drift.push(...(await driftOfCustomer(ctx, c, { user, odd, carriers }, groupIds)));
  }
  // Once each, in id order (stable from one run to the next); a user carrying an id no customer has says so,
  // with the other users carrying it, and what to do (billing-id-carriers.ts).
  const carriers = carriersById(users);
  for (const u of [...users].sort((a, b) => a.id - b.id)) {
    if (!matched.has(u.id) && !isAdminUser(u)) {
      drift.push({
        kind: "unknown_to_billing",
        customer_id: null,
        solusio_user_id: u.id,
        billing: null,
        solusio: { email: u.email, status: u.status, billing_user_id: u.billing_user_id },
        ...(u.billing_user_id === null
          ? {}
          : { reason: unknownIdReason(u, carriers.get(u.billing_user_id) ?? [u]) }),
      });
    }
  }
  for (const u of unreadable) if (!unreadableMatched.has(u)) drift.push(unreadableDrift(u, null, null));
  const fixed: number[] = [];
  if (options.fix) {
    // A sync would refuse these too, or (a group SolusIO lacks) change nothing: a person has to look at the
    // SolusIO user first, or create the group.
    const needsPerson = new Set<DriftKind>(["conflict", "unreadable_in_solusio", "limit_group_unknown"]);
    const repairable = (d: Drift) => d.customer_id !== null && !needsPerson.has(d.kind);
    const ids = [...new Set(drift.filter(repairable).map((d) => d.customer_id as number))];
    await withTransaction(ctx, async (tx) => {
      const trx = tx.db;
      for (const id of ids) await enqueueCustomerSync(trx, BigInt(id));
    });
    fixed.push(...ids);
  }
  // Kept for the console while it holds, and logged once per finding (carrier-findings.ts).
  const solusioUsers = users.length + unreadable.length;
  await recordCarrierFindings(ctx, drift, solusioUsers);
  return { customers: customers.length, solusio_users: solusioUsers, drift, fixed };
}

/** What reconciling one customer found in SolusIO: its user, an unreadable user that may be it, or neither. */
export interface CustomerMatch {
  user: SolusioUser | undefined;
  odd: UnreadableItem | undefined;
  /** Every user carrying the customer's billing_user_id: two or more (with `user`) are a `conflict`. */
  carriers?: readonly SolusioUser[];
}

export interface ReconciledCustomer {
  id: bigint;
  email: string;
  status: string;
  limit_group: string | null;
}

/** A limit group's SolusIO id by name, asked once per name in one reconcile. */
export function cachedLimitGroups(
  limitGroupId: (name: string | null) => Promise<number | undefined>,
): (name: string | null) => Promise<number | undefined> {
  const known = new Map<string | null, number | undefined>();
  return async (name) => {
    if (!known.has(name)) known.set(name, await limitGroupId(name));
    return known.get(name);
  };
}

/** The drift of one customer against what SolusIO holds for it: the same for the whole book and for one. */
export async function driftOfCustomer(
  ctx: ServiceContext,
  c: ReconciledCustomer,
  { user, odd, carriers = [] }: CustomerMatch,
  groupIdOf: (name: string | null) => Promise<number | undefined>,
): Promise<Drift[]> {
  const id = Number(c.id);
  const billing = { email: c.email, status: c.status, limit_group: c.limit_group };
  if (odd) return [unreadableDrift(odd, id, billing)];
  const owners = ownersOf(user, carriers, id);
  if (owners.length > 1) {
    const duplicate = await duplicateOwnersDrift(ctx, id, billing, owners);
    // The paired user billing may not adopt at all (another customer's, an admin) is its own conflict.
    const paired =
      user && !owners.includes(user) ? await driftOfCustomer(ctx, c, { user, odd }, groupIdOf) : [];
    return [duplicate, ...paired];
  }
  if (!user)
    return [{ kind: "missing_in_solusio", customer_id: id, solusio_user_id: null, billing, solusio: null }];
  const reason = adoptionConflict(user, id);
  if (reason !== undefined) {
    return [
      {
        kind: "conflict",
        customer_id: id,
        solusio_user_id: user.id,
        billing,
        solusio: { email: user.email, billing_user_id: user.billing_user_id, admin: isAdminUser(user) },
        reason: `SolusIO user ${user.id} ${reason}`,
      },
    ];
  }
  const drift: Drift[] = [];
  const push = (kind: DriftKind, b: unknown, s: unknown) =>
    drift.push({ kind, customer_id: id, solusio_user_id: user.id, billing: b, solusio: s });
  if (user.billing_user_id !== id) push("billing_user_id_differs", id, user.billing_user_id);
  if (user.email.toLowerCase() !== c.email.toLowerCase()) push("email_differs", c.email, user.email);
  if (user.status !== c.status) push("status_differs", c.status, user.status);
  const wantedGroup = await groupIdOf(c.limit_group);
  const actualGroup = user.limit_group?.id ?? user.limit_group_id ?? null;
  // A group the customer was given that SolusIO does not have: the sync leaves the user's group as it is and
  // reports in sync, so this is drift, not agreement. (A missing default group, for customers without one,
  // is the installation's problem, and doctor's: its "default limit group" check.)
  if (c.limit_group !== null && wantedGroup === undefined) {
    drift.push({
      kind: "limit_group_unknown",
      customer_id: id,
      solusio_user_id: user.id,
      billing: c.limit_group,
      solusio: actualGroup,
      reason: unknownGroupReason(ctx.config.SOLUSIO_LIMIT_GROUPS, c.limit_group),
    });
  } else if (wantedGroup !== undefined && actualGroup !== null && actualGroup !== wantedGroup) {
    push("limit_group_differs", wantedGroup, actualGroup);
  }
  return drift;
}

function unknownGroupReason(configured: readonly { name: string }[], name: string): string {
  const prefix = `limit group ${JSON.stringify(name)} does not exist in SolusIO, so the sync leaves the user in its current group`;
  return configured.some((g) => g.name === name)
    ? `${prefix}: run \`tokenbill solusio setup --apply\`, which creates the groups of SOLUSIO_LIMIT_GROUPS, then reconcile with --fix`
    : `${prefix}, and it is not one of SOLUSIO_LIMIT_GROUPS: give the customer one of those (or null, the default group)`;
}

/**
 * The unreadable user a sync of this customer would stop at: one that may carry its billing_user_id, or,
 * when no readable user has its e-mail, one that may have that e-mail.
 */
export function unreadableFor(
  unreadable: UnreadableItem[],
  customerId: number,
  email: string,
  byEmail: Map<string, SolusioUser>,
): UnreadableItem | undefined {
  return (
    unreadable.find((u) => mayHoldBillingId(u, customerId)) ??
    (byEmail.has(email.toLowerCase()) ? undefined : unreadable.find((u) => mayHoldEmail(u, email)))
  );
}

function unreadableDrift(item: UnreadableItem, customerId: number | null, billing: unknown): Drift {
  return {
    kind: "unreadable_in_solusio",
    customer_id: customerId,
    solusio_user_id: item.id,
    billing,
    solusio: null,
    reason: `SolusIO user ${item.id ?? "without a readable id"} cannot be read: ${item.problem}`,
  };
}
