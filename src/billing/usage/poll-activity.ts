import { sql } from "kysely";
import type { VerbArgs } from "../../kernel/context.ts";
import type { ServerActivity } from "../../solusio/list-activity.ts";
import type { SolusioPlanOfServer } from "../../solusio/schemas.ts";
import type { SolusioApi } from "../../solusio/solusio-api.ts";
import { upstreamData } from "../../solusio/upstream-text.ts";
import { configuredSolusioApi } from "./configured-solusio.ts";

// Usage source (c), the recording half: SolusIO's activity log, read from where the last read stopped
// (solusio-api.md §9 (c)). A create or resize names only a plan id, so the plan's prices are looked up when
// the entry is recorded and kept with it: a plan re-priced or deleted later does not change what was sold.

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

/** Records every new server event; an entry already recorded (same SolusIO id) is left as it is. */
export async function pollActivity({ ctx, input }: VerbArgs<ActivityPollInput>): Promise<ActivityPollResult> {
  const api = input.solusio ?? configuredSolusioApi(ctx);
  const last = await ctx.db
    .selectFrom("server_event")
    .select(sql<bigint | null>`max(id)`.as("id"))
    .executeTakeFirst();
  const events = await api.listServerActivity(last?.id === null || last === undefined ? 0 : Number(last.id));
  if (events.length === 0) return { events: 0, lastId: last?.id == null ? null : Number(last.id) };
  const plans = events.some(needsPlan)
    ? new Map((await api.listPlanPrices()).map((p) => [p.id, planJson(p)]))
    : new Map();
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
