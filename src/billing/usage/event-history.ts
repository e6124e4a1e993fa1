import type { Selectable } from "kysely";
import type { ServerEventTable } from "../../db/schema.ts";
import type { PlanRates, ServerHistory } from "../../domain/server-usage.ts";
import { Decimal } from "../../domain/decimal.ts";
import { upstreamName } from "../../solusio/upstream-text.ts";
import { planRatesOf } from "./history-usage.ts";
import { type PriceChangesOf, pricesInForce, splitAtPriceChanges } from "./price-history.ts";

// Usage source (c): a server's history from its activity-log entries (poll-activity.ts), exact to the
// instant SolusIO logged each change. Only a server whose creation is in the log can be rebuilt this way. The log
// names no plan change, so a plan re-priced in the period is split at the instants tokenbill recorded
// (plan-price-changes.ts): exact for a price it pushed, from the first read of the plans for any other.

type EventRow = Selectable<ServerEventTable>;

export interface EventHistory {
  history: ServerHistory;
  server: { uuid: string; name: string };
  solusioUserId: number | null;
  /**
   * Plans the server ran on whose prices are known neither from the log nor from `fallback` (a plan deleted
   * before the log was read): their intervals carry `unpricedPlan`'s zero prices, and are for the caller to
   * report, never to bill.
   */
  unpricedPlanIds: number[];
}

/** Stands in for a plan whose prices are unknown, so that the server's other plans are still rebuilt. */
export function unpricedPlan(planId: number): PlanRates {
  return {
    id: planId,
    name: `plan ${planId} (prices unknown)`,
    tokensPerHour: 0n,
    tokensPerMonth: 0n,
    ipTokensPerHour: 0n,
    ipTokensPerMonth: 0n,
    backupPercent: Decimal.ZERO,
  };
}

interface StoredPlan {
  id: number | null;
  name: string;
  tokens_per_hour: string;
  tokens_per_month: string;
  ip_tokens_per_hour: string;
  ip_tokens_per_month: string;
  backup_price: string;
}

function dataOf(row: EventRow): Record<string, unknown> {
  const data = typeof row.data === "string" ? JSON.parse(row.data) : row.data;
  return data && typeof data === "object" ? (data as Record<string, unknown>) : {};
}

/** The prices recorded with a create or resize; null when the plan was unknown at recording time. */
function planOf(row: EventRow, fallback: (planId: number) => PlanRates | null): PlanRates | null {
  const data = dataOf(row);
  const stored = data.plan as StoredPlan | undefined;
  if (stored) {
    return planRatesOf({
      plan_id: stored.id,
      plan_name: stored.name,
      tokens_per_hour: BigInt(stored.tokens_per_hour),
      tokens_per_month: BigInt(stored.tokens_per_month),
      ip_tokens_per_hour: BigInt(stored.ip_tokens_per_hour),
      ip_tokens_per_month: BigInt(stored.ip_tokens_per_month),
      backup_percent: stored.backup_price,
    });
  }
  return fallback(Number(data.plan_id));
}

/** What the snapshots saw of a server first (its first segment), for what its creation entry leaves out. */
export interface FirstSighting {
  at: Date;
  backupsEnabled: boolean;
}

/**
 * Whether paid backups were on from creation, which logs no switch: the creation entry says so when it
 * carries `backups_enabled`; else the first sighting, unless a switch logged before it may be what it saw.
 */
function backupsAtCreation(
  created: Record<string, unknown>,
  ordered: readonly EventRow[],
  firstSighting: FirstSighting | null,
): boolean {
  if (typeof created.backups_enabled === "boolean") return created.backups_enabled;
  if (!firstSighting) return false;
  const firstSwitch = ordered.find((e) => e.event === "compute_resource_vm_backups_switched");
  return firstSwitch !== undefined && firstSwitch.at <= firstSighting.at
    ? false
    : firstSighting.backupsEnabled;
}

/**
 * Rebuilds a server from its events in log order, or null when its creation is not in the log (it was
 * created before tokenbill began reading it). `fallback` prices a plan id from elsewhere (the snapshots of
 * the same server); a plan priced nowhere is listed in `unpricedPlanIds`. `firstSighting` (the snapshots')
 * tells whether backups were on from creation when the creation entry does not. `priceChanges` gives each plan's
 * recorded prices: where they cover an instant they price it, ahead of the prices kept with an entry (read
 * when the entry was, possibly after a later re-price); and each plan interval is split at them.
 */
export function historyFromEvents(
  events: readonly EventRow[],
  fallback: (planId: number) => PlanRates | null = () => null,
  firstSighting: FirstSighting | null = null,
  priceChanges: PriceChangesOf = () => [],
): EventHistory | null {
  const ordered = [...events].sort((a, b) => a.at.getTime() - b.at.getTime() || Number(a.id - b.id));
  const created = ordered.find((e) => e.event === "compute_resource_vm_created");
  if (!created) return null;
  const unpriced = new Set<number>();
  const priced = (row: EventRow): PlanRates => {
    const recorded = pricesInForce(priceChanges(Number(dataOf(row).plan_id)), row.at);
    if (recorded) return recorded;
    const plan = planOf(row, fallback);
    if (plan) return plan;
    const planId = Number(dataOf(row).plan_id);
    unpriced.add(planId);
    return unpricedPlan(planId);
  };
  const first = priced(created);
  const data = dataOf(created);
  const history: ServerHistory = {
    createdAt: created.at,
    deletedAt: null,
    plans: [{ from: created.at, plan: first }],
    backups: [],
    ips: [],
  };
  const atCreation = backupsAtCreation(data, ordered, firstSighting);
  if (atCreation) history.backups.push({ at: created.at, enabled: true });
  const open = new Map<string, Date>();
  for (const e of ordered) {
    if (e.at < created.at || e === created) continue;
    const d = dataOf(e);
    if (e.event === "compute_resource_vm_resized") {
      history.plans.push({ from: e.at, plan: priced(e) });
    } else if (e.event === "compute_resource_vm_backups_switched") {
      history.backups.push({ at: e.at, enabled: d.enabled === true });
    } else if (e.event === "additional_ip_created") {
      open.set(String(d.ip_id), e.at);
    } else if (e.event === "additional_ip_deleted") {
      const attachedAt = open.get(String(d.ip_id));
      open.delete(String(d.ip_id));
      if (attachedAt) history.ips.push({ id: String(d.ip_id), attachedAt, detachedAt: e.at });
    } else if (e.event === "compute_resource_vm_delete_requested") {
      history.deletedAt ??= e.at;
    }
  }
  for (const [id, attachedAt] of open) history.ips.push({ id, attachedAt, detachedAt: null });
  history.plans = splitAtPriceChanges(history.plans, history.deletedAt, priceChanges);
  return {
    history,
    server: {
      uuid: String(data.server_uuid ?? ""),
      name: upstreamName(String(data.server_name ?? `server ${created.server_id}`)),
    },
    solusioUserId: typeof data.user_id === "number" ? data.user_id : null,
    unpricedPlanIds: [...unpriced],
  };
}
