import { additionalIpsCharge, type ChargeKind, hoursInPeriod, periodCharge } from "../billing/charges.ts";
import { findPlan, findUserEvenDeleted } from "../state/state.ts";
import type { EmulatorState, PlanSnapshot, ServerRecord, UserRecord } from "../state/types.ts";

// What each server costs in a period, as SolusIO's usage endpoint reports it (solusio-api.md §9 (a)).
// The rule is billing-rules.md §2 in the emulator's own code (billing/charges.ts), never tokenbill's: the
// figures tokenbill checks its bills against must come from a second implementation.
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
  const created = new Date(server.createdAt);
  // A server created after `now` (the clock was set back) has had no hour yet, even if it was deleted.
  if (created.getTime() > now.getTime()) return 0n;
  const ended = server.deletedAt ? new Date(server.deletedAt) : new Date(now.getTime() + 1);
  // A lifetime that ends before it starts (the clock was set back between create and delete) has no hours.
  return hoursInPeriod({ created, ended }, period);
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
    const runtime = periodCharge(
      { perHour: BigInt(plan.tokensPerHour), perMonth: BigInt(plan.tokensPerMonth) },
      hours,
    );
    const count = BigInt(server.additionalIpCount);
    const ips = additionalIpsCharge(
      { perHour: BigInt(plan.ipTokensPerHour), perMonth: BigInt(plan.ipTokensPerMonth) },
      hours,
      count,
    );
    lines.push({ server, owner, plan, hours, ...runtime, ips: { count, ...ips } });
  }
  return lines;
}
