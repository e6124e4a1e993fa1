import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import type { ListOptions } from "../../solusio/solusio-client.ts";
import {
  type CarrierGroup,
  carriersById,
  customerIdsAmong,
  describeGroup,
  SHARED_TODO,
  UNKNOWN_ID_TODO,
} from "../sync/billing-id-carriers.ts";
import { lastCarrierCheck } from "../sync/carrier-findings.ts";
import type { DoctorCheck } from "./doctor.ts";
import { failureWords } from "./failure-words.ts";
import { solusioFailureFix } from "./solusio-failure-fix.ts";

const NAME = "billing user ids";

/** Groups named in full in a check's detail; the rest are counted (reconcile --json lists every user). */
const NAMED = 10;

/**
 * Doctor's `billing user ids`: one read of every SolusIO user (the list reconcile reads, `walk.atOnce` pages
 * at a time; `walk.progress` told after each page), grouped by the
 * billing_user_id each carries. Not ok when two or more users carry one customer's id (the sync keeps to
 * the stored user and never sees the other), or when users carry an id no customer has. `seesWhere`: as
 * runDoctor's.
 */
export async function billingIdCheck(
  db: Kysely<Database>,
  api: SolusioApi,
  walk: Pick<ListOptions, "atOnce" | "progress"> = {},
  seesWhere = true,
): Promise<DoctorCheck> {
  let carriers: ReturnType<typeof carriersById>;
  try {
    carriers = carriersById((await api.listUsers(walk)).items);
  } catch (error) {
    return {
      name: NAME,
      ok: false,
      detail: `not checked: SolusIO's users could not be read: ${failureWords(error, seesWhere)}`,
      fix: solusioFailureFix(error, seesWhere ? "nothing" : "status"),
    };
  }
  const customers = await customerIdsAmong(db, [...carriers.keys()]);
  const groups = [...carriers.entries()].sort(([a], [b]) => a - b);
  return billingIdVerdict([
    ...groups
      .filter(([id, users]) => customers.has(id) && users.length > 1)
      .map(([id, users]) => ({ kind: "shared" as const, group: { billing_user_id: id, users } })),
    ...groups
      .filter(([id]) => !customers.has(id))
      .map(([id, users]) => ({ kind: "unknown" as const, group: { billing_user_id: id, users } })),
  ]);
}

/**
 * The same check from what the last reconciliation stored (carrier-findings.ts), without a call to SolusIO:
 * for the console's page, which a walk of every user on each view made cost a call per 15 users. Before any
 * reconciliation it is not checked, neither a pass nor a failure (a new install, or RECONCILE_INTERVAL_MS=0:
 * until 2026-12-06 it failed), with what checks it given the interval (0: none is scheduled).
 */
export async function storedBillingIdCheck(
  db: Kysely<Database>,
  reconcileIntervalMs: number,
): Promise<DoctorCheck> {
  const [check, findings] = await Promise.all([
    lastCarrierCheck(db),
    db.selectFrom("solusio_carrier_finding").selectAll().orderBy("kind").orderBy("billing_user_id").execute(),
  ]);
  // Findings stored before migration 043 have no check row: their own date says when they were last seen.
  const seen = findings.map((f) => f.seen_at.getTime());
  const at = check?.checked_at ?? (seen.length > 0 ? new Date(Math.max(...seen)) : undefined);
  if (!at)
    return {
      name: NAME,
      ok: true,
      not_checked: true,
      detail: "not checked yet: no reconciliation has read SolusIO's users",
      fix: whatChecksIt(reconcileIntervalMs),
    };
  const read = check ? ` (${check.solusio_users} SolusIO users read)` : "";
  const verdict = billingIdVerdict(
    findings.map((f) => ({
      kind: f.kind,
      group: { billing_user_id: Number(f.billing_user_id), users: f.users },
    })),
  );
  return {
    ...verdict,
    detail: `as of the last reconciliation, ${at.toISOString()}${read}: ${verdict.detail}`,
  };
}

function whatChecksIt(reconcileIntervalMs: number): string {
  const run = "`tokenbill solusio reconcile`";
  if (reconcileIntervalMs === 0)
    return `no reconciliation is scheduled (RECONCILE_INTERVAL_MS=0): run ${run}`;
  const minutes = Math.round(reconcileIntervalMs / 60_000);
  const every = minutes === 1 ? "minute" : `${minutes} minutes`;
  return `the scheduled reconciliation (RECONCILE_INTERVAL_MS, every ${every}) checks it; or run ${run} now`;
}

/** The check's verdict on the groups found: each shared id and each id no customer has, in that order. */
function billingIdVerdict(found: { kind: "shared" | "unknown"; group: CarrierGroup }[]): DoctorCheck {
  if (found.length === 0)
    return {
      name: NAME,
      ok: true,
      detail: "every billing_user_id in SolusIO is one customer's, on one user",
    };
  const lines = found.map((f) => describeGroup(f.kind, f.group));
  const more = lines.length > NAMED ? `; and ${lines.length - NAMED} more` : "";
  const fixes = [
    ...(found.some((f) => f.kind === "shared") ? [`shared ids: ${SHARED_TODO}`] : []),
    ...(found.some((f) => f.kind === "unknown") ? [`ids no customer has: ${UNKNOWN_ID_TODO}`] : []),
  ];
  return {
    name: NAME,
    ok: false,
    detail: `${lines.slice(0, NAMED).join("; ")}${more}`,
    fix: fixes.join(" "),
  };
}
