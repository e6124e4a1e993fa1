import {
  billableHoursInPeriod,
  chargeAdditionalIps,
  chargeForPeriod,
  type ChargeKind,
} from "../../src/domain/charges.ts";
import { findPlan, findUserEvenDeleted } from "../state/state.ts";
import type { EmulatorState, PlanSnapshot, ServerRecord, UserRecord } from "../state/types.ts";

// What each server costs in a period, as SolusIO's usage endpoint reports it (solusio-api.md §9 (a)).
// The rule itself is billing-rules.md §2, imported from tokenbill's domain so both sides cannot drift.
// Deleted servers count too: they vanish from GET servers but not from usage.

export interface UsagePeriod {
  start: Date;
  end: Date;
}

export interface UsageLine {
  server: ServerRecord;
  owner: UserRecord | undefined;
  plan: PlanSnapshot;
  hours: bigint;
  tokens: bigint;
  charge: ChargeKind;
  ips: { count: bigint; tokens: bigint; charge: ChargeKind };
}

export interface UsageFilter {
  userId?: number;
  billingUserId?: number;
}

/** The plan's prices as they are now; the snapshot the server kept when the plan has been deleted [OURS]. */
function pricesOf(state: EmulatorState, server: ServerRecord): PlanSnapshot {
  const live = findPlan(state, server.planId);
  return live
    ? {
        ...server.plan,
        name: live.name,
        tokensPerHour: live.tokensPerHour,
        tokensPerMonth: live.tokensPerMonth,
        ipTokensPerHour: live.ipTokensPerHour,
        ipTokensPerMonth: live.ipTokensPerMonth,
      }
    : server.plan;
}

/**
 * Billable hours of one server in a period as of `now`. A running server has had every hour that has
 * started so far, including one starting at this very instant: its lifetime is cut just after `now`.
 */
export function hoursAsOf(server: ServerRecord, period: UsagePeriod, now: Date): bigint {
  const createdAt = new Date(server.createdAt);
  if (createdAt.getTime() > now.getTime() || createdAt >= period.end) return 0n;
  const deletedAt = server.deletedAt ? new Date(server.deletedAt) : new Date(now.getTime() + 1);
  // A lifetime that ends before it starts (the clock was set back between create and delete) has no hours.
  if (deletedAt <= period.start || deletedAt <= createdAt) return 0n;
  return billableHoursInPeriod({ createdAt, deletedAt, periodStart: period.start, periodEnd: period.end });
}

export function usageLines(
  state: EmulatorState,
  now: Date,
  period: UsagePeriod,
  filter: UsageFilter = {},
): UsageLine[] {
  const lines: UsageLine[] = [];
  for (const server of [...state.servers].sort((a, b) => a.id - b.id)) {
    if (filter.userId !== undefined && server.userId !== filter.userId) continue;
    const owner = findUserEvenDeleted(state, server.userId);
    if (filter.billingUserId !== undefined && owner?.billingUserId !== filter.billingUserId) continue;
    const hours = hoursAsOf(server, period, now);
    // A server with no hour starting in the period costs nothing there and gets no line [OURS].
    if (hours === 0n) continue;
    const plan = pricesOf(state, server);
    const charge = chargeForPeriod({
      tokensPerHour: BigInt(plan.tokensPerHour),
      tokensPerMonth: BigInt(plan.tokensPerMonth),
      hours,
    });
    const count = BigInt(server.additionalIpCount);
    const ips = chargeAdditionalIps({
      ipTokensPerHour: BigInt(plan.ipTokensPerHour),
      ipTokensPerMonth: BigInt(plan.ipTokensPerMonth),
      hours,
      count,
    });
    lines.push({
      server,
      owner,
      plan,
      hours,
      tokens: charge.tokens,
      charge: charge.kind,
      ips: { count, tokens: ips.tokens, charge: ips.kind },
    });
  }
  return lines;
}
