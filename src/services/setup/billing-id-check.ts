import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import type { ListOptions } from "../../solusio/solusio-client.ts";
import {
  carriersById,
  customerIdsAmong,
  describeGroup,
  SHARED_TODO,
  UNKNOWN_ID_TODO,
} from "../sync/billing-id-carriers.ts";
import type { DoctorCheck } from "./doctor.ts";
import { solusioFailureFix } from "./solusio-failure-fix.ts";

/** Groups named in full in a check's detail; the rest are counted (reconcile --json lists every user). */
const NAMED = 10;

/**
 * Doctor's `billing user ids`: one read of every SolusIO user (the list reconcile reads, `walk.atOnce` pages
 * at a time; `walk.progress` told after each page), grouped by the
 * billing_user_id each carries. Not ok when two or more users carry one customer's id (the sync keeps to
 * the stored user and never sees the other), or when users carry an id no customer has.
 */
export async function billingIdCheck(
  db: Kysely<Database>,
  api: SolusioApi,
  walk: Pick<ListOptions, "atOnce" | "progress"> = {},
): Promise<DoctorCheck> {
  const name = "billing user ids";
  let carriers: ReturnType<typeof carriersById>;
  try {
    carriers = carriersById((await api.listUsers(walk)).items);
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `not checked: SolusIO's users could not be read: ${(error as Error).message}`,
      fix: solusioFailureFix(error),
    };
  }
  const customers = await customerIdsAmong(db, [...carriers.keys()]);
  const groups = [...carriers.entries()].sort(([a], [b]) => a - b);
  const shared = groups.filter(([id, users]) => customers.has(id) && users.length > 1);
  const unknown = groups.filter(([id]) => !customers.has(id));
  if (shared.length === 0 && unknown.length === 0)
    return { name, ok: true, detail: "every billing_user_id in SolusIO is one customer's, on one user" };
  const lines = [
    ...shared.map(([id, users]) => describeGroup("shared", { billing_user_id: id, users })),
    ...unknown.map(([id, users]) => describeGroup("unknown", { billing_user_id: id, users })),
  ];
  const more = lines.length > NAMED ? `; and ${lines.length - NAMED} more` : "";
  const fixes = [
    ...(shared.length > 0 ? [`shared ids: ${SHARED_TODO}`] : []),
    ...(unknown.length > 0 ? [`ids no customer has: ${UNKNOWN_ID_TODO}`] : []),
  ];
  return { name, ok: false, detail: `${lines.slice(0, NAMED).join("; ")}${more}`, fix: fixes.join(" ") };
}
