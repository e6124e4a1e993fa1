import { sql } from "kysely";
import type { VerbArgs } from "../../kernel/context.ts";
import type { ServerActivity } from "../../solusio/list-activity.ts";
import type { SolusioPlanOfServer } from "../../solusio/schemas.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import { upstreamData } from "../../solusio/upstream-text.ts";
import { configuredSolusioApi } from "./configured-solusio.ts";
import { recordPlanPrices } from "./plan-price-changes.ts";

// Usage source (c), the recording half: SolusIO's activity log, read from where the last read stopped
// (solusio-api.md §9 (c)). A create or resize names only a plan id, so the plan's prices are looked up when
// the entry is recorded and kept with it (they price the server should the plan be deleted). The log says
// nothing of a plan re-priced, so every poll reads the plans and records a change of prices at SolusIO's
// time of that read (plan-price-changes.ts): a re-price counts from the first poll after it (billing-rules
// §2.2), as the snapshots count it from the first sighting.

export interface ActivityPollInput {
  solusio?: Pick<SolusioApi, "listServerActivity" | "listPlanPrices">;
}

export interface ActivityPollResult {
  events: number;
  lastId: number | null;
}

const BATCH = 1000;

/** The prices kept with an event, as JSON (bigints as decimal strings). */
function planJson(plan: SolusioPlanOfServer) {
  return {
    id: plan.id,
    name: plan.name,
    tokens_per_hour: plan.tokens_per_hour.toString(),
    tokens_per_month: plan.tokens_per_month.toString(),
    ip_tokens_per_hour: plan.ip_tokens_per_hour.toString(),
    ip_tokens_per_month: plan.ip_tokens_per_month.toString(),
    backup_price: plan.backup_price,
  };
}

function needsPlan(e: ServerActivity): boolean {
  return e.event === "compute_resource_vm_created" || e.event === "compute_resource_vm_resized";
}

/**
 * Plans the events name that SolusIO no longer lists (deleted since), priced as an earlier poll recorded
 * them with another event: the prices the server was sold at, as far as tokenbill can know them.
 */
async function addRecordedPrices(
  ctx: VerbArgs<ActivityPollInput>["ctx"],
  plans: Map<number, unknown>,
  events: readonly ServerActivity[],
): Promise<void> {
  const missing = new Set<string>();
  for (const e of events) {
    if (needsPlan(e) && !plans.has(Number(e.data.plan_id))) missing.add(String(e.data.plan_id));
  }
  if (missing.size === 0) return;
  const { rows } = await sql<{ plan_id: string; plan: unknown }>`
    SELECT DISTINCT ON (data->'plan'->>'id') data->'plan'->>'id' AS plan_id, data->'plan' AS plan
    FROM server_event WHERE data->'plan'->>'id' IN (${sql.join([...missing])})
    ORDER BY data->'plan'->>'id', id DESC`.execute(ctx.db);
  for (const row of rows) {
    const plan = typeof row.plan === "string" ? JSON.parse(row.plan) : row.plan;
    plans.set(Number(row.plan_id), plan);
  }
}

/** Records every new server event; an entry already recorded (same SolusIO id) is left as it is. */
export async function pollActivity({ ctx, input }: VerbArgs<ActivityPollInput>): Promise<ActivityPollResult> {
  const api = input.solusio ?? configuredSolusioApi(ctx);
  const last = await ctx.db
    .selectFrom("server_event")
    .select(sql<bigint | null>`max(id)`.as("id"))
    .executeTakeFirst();
  const events = await api.listServerActivity(last?.id === null || last === undefined ? 0 : Number(last.id));
  let readAt: Date | null = null;
  const listed = await api.listPlanPrices((date) => {
    readAt = date;
  });
  // Without a Date header, tokenbill's clock is the best there is (the two may differ by their skew); the
  // connection warns of it once (connect-solusio.ts).
  await recordPlanPrices(ctx.db, listed, readAt ?? ctx.now(), "read");
  if (events.length === 0) return { events: 0, lastId: last?.id == null ? null : Number(last.id) };
  const plans = new Map<number, unknown>(listed.flatMap((p) => (p.id === null ? [] : [[p.id, planJson(p)]])));
  await addRecordedPrices(ctx, plans, events);
  const rows = events.map((e) => {
    const plan = needsPlan(e) ? plans.get(Number(e.data.plan_id)) : undefined;
    return {
      id: BigInt(e.id),
      event: e.event,
      server_id: BigInt(e.serverId),
      at: e.at,
      data: JSON.stringify(upstreamData(plan ? { ...e.data, plan } : e.data)),
    };
  });
  await ctx.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += BATCH) {
      await trx
        .insertInto("server_event")
        .values(rows.slice(i, i + BATCH))
        .onConflict((oc) => oc.column("id").doNothing())
        .execute();
    }
  });
  return { events: rows.length, lastId: events.at(-1)?.id ?? null };
}
