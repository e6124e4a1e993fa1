import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import { Decimal } from "../../domain/decimal.ts";
import type { PlanRates } from "../../domain/server-usage.ts";
import type { SolusioPlanOfServer } from "../../solusio/schemas.ts";
import { planRatesOf } from "./history-usage.ts";

// The prices each SolusIO plan had, and since when (migration 030), for usage source (c): SolusIO logs no
// plan change, so tokenbill records what it knows — the prices it pushed itself, at SolusIO's time of the
// PUT, and every change a read of the plans saw, at SolusIO's time of that read (billing-rules §2.2). The
// reads are GET plans (the activity poll) and GET servers, whose servers carry their plan (the server poll).

/** Prices in force from `at` until the plan's next change. */
export interface PlanPriceChange {
  at: Date;
  plan: PlanRates;
}

type PlanPrices = Pick<
  SolusioPlanOfServer,
  | "id"
  | "name"
  | "tokens_per_hour"
  | "tokens_per_month"
  | "ip_tokens_per_hour"
  | "ip_tokens_per_month"
  | "backup_price"
>;

const sameKey = (p: {
  tokens_per_hour: bigint;
  tokens_per_month: bigint;
  ip_tokens_per_hour: bigint;
  ip_tokens_per_month: bigint;
  backup: string;
}) =>
  [
    p.tokens_per_hour,
    p.tokens_per_month,
    p.ip_tokens_per_hour,
    p.ip_tokens_per_month,
    Decimal.parse(p.backup, "backup_price").toString(), // 10 and 10.000000 are one price
  ].join("|");

/**
 * Records each plan whose prices differ from the ones last recorded for it (or that has none yet) as changed
 * at `at`; returns how many were. A plan's first row is where tokenbill's knowledge of its prices begins.
 * A plan listed more than once (by each of its servers) counts as first listed: a read of several pages
 * stamped with its first page's time may see a re-price only on a later page, and a new price is never
 * recorded earlier than it was seen.
 */
export async function recordPlanPrices(
  db: Kysely<Database>,
  plans: readonly PlanPrices[],
  at: Date,
  seen: "pushed" | "read",
): Promise<number> {
  const byId = new Map<number, PlanPrices & { id: number }>();
  for (const p of plans) {
    if (typeof p.id === "number" && !byId.has(p.id)) byId.set(p.id, p as PlanPrices & { id: number });
  }
  const known = [...byId.values()];
  if (known.length === 0) return 0;
  const latest = await db
    .selectFrom("plan_price_change")
    .distinctOn("plan_id")
    .selectAll()
    .where(
      "plan_id",
      "in",
      known.map((p) => BigInt(p.id)),
    )
    .orderBy("plan_id")
    .orderBy("effective_at", "desc")
    .execute();
  const last = new Map(latest.map((r) => [Number(r.plan_id), sameKey({ ...r, backup: r.backup_percent })]));
  const rows = known
    .filter((p) => last.get(p.id) !== sameKey({ ...p, backup: p.backup_price }))
    .map((p) => ({
      plan_id: BigInt(p.id),
      effective_at: at,
      plan_name: p.name,
      tokens_per_hour: p.tokens_per_hour,
      tokens_per_month: p.tokens_per_month,
      ip_tokens_per_hour: p.ip_tokens_per_hour,
      ip_tokens_per_month: p.ip_tokens_per_month,
      backup_percent: p.backup_price,
      seen,
    }));
  if (rows.length === 0) return 0;
  // Two changes stamped with the same second (a Date header's precision): the later one is what held.
  await db
    .insertInto("plan_price_change")
    .values(rows)
    .onConflict((oc) =>
      oc.columns(["plan_id", "effective_at"]).doUpdateSet((eb) => ({
        plan_name: eb.ref("excluded.plan_name"),
        tokens_per_hour: eb.ref("excluded.tokens_per_hour"),
        tokens_per_month: eb.ref("excluded.tokens_per_month"),
        ip_tokens_per_hour: eb.ref("excluded.ip_tokens_per_hour"),
        ip_tokens_per_month: eb.ref("excluded.ip_tokens_per_month"),
        backup_percent: eb.ref("excluded.backup_percent"),
        seen: eb.ref("excluded.seen"),
      })),
    )
    .execute();
  return rows.length;
}

/** Every recorded price change, by plan id, in ascending instant. */
export async function planPriceChanges(db: Kysely<Database>): Promise<Map<number, PlanPriceChange[]>> {
  const rows = await db
    .selectFrom("plan_price_change")
    .selectAll()
    .orderBy("plan_id")
    .orderBy("effective_at")
    .execute();
  const byPlan = new Map<number, PlanPriceChange[]>();
  for (const row of rows) {
    const list = byPlan.get(Number(row.plan_id)) ?? [];
    byPlan.set(Number(row.plan_id), list);
    list.push({ at: row.effective_at, plan: planRatesOf(row) });
  }
  return byPlan;
}
