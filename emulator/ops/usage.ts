import { backupTokens } from "../billing/backup-charge.ts";
import { additionalIpsCharge, type ChargeKind, hoursInPeriod, periodCharge } from "../billing/charges.ts";
import { planGroups, type ServerTimeline } from "../billing/usage-groups.ts";
import { findUserEvenDeleted } from "../state/state.ts";
import { type PriceBook, priceBookOf, priceSegments } from "./price-segments.ts";
import type { EmulatorState, PlanSnapshot, ServerRecord, UserRecord } from "../state/types.ts";

// What each server costs in a period, as SolusIO's usage endpoint reports it (solusio-api.md §9 (a)): one line
// per server, plan and price segment (billing-rules §2.2: a plan re-priced in mid-month makes two items, each
// hour priced as the plan stood when the hour began). The rule is the emulator's own code (billing/*), never tokenbill's:
// the figures tokenbill checks its bills against must come from a second implementation.
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
  ips: {
    count: bigint;
    hours: bigint;
    tokens: bigint;
    charge: ChargeKind;
    each: { id: number; hours: bigint; tokens: bigint }[];
  };
  backups: { percent: number; hours: bigint; tokens: bigint } | null;
}

export interface UsageFilter {
  userId?: number;
  billingUserId?: number;
}

const ms = (iso: string) => BigInt(new Date(iso).getTime());

/**
 * Where a server's lifetime ends as seen at `now`: its deletion, or `now` for a running server (billing-rules
 * §2.1: the lifetime is [created_at, now), so an hour starting exactly at `now` has not started yet).
 */
function endOf(server: ServerRecord, now: Date): bigint {
  return server.deletedAt ? ms(server.deletedAt) : BigInt(now.getTime());
}

/** Billable hours of one server in a period as of `now` (every plan together). */
export function hoursAsOf(server: ServerRecord, period: UsagePeriod, now: Date): bigint {
  const created = new Date(server.createdAt);
  // A server created after `now` (the clock was set back) has had no hour yet, even if it was deleted.
  if (created.getTime() > now.getTime()) return 0n;
  return hoursInPeriod({ created, ended: new Date(Number(endOf(server, now))) }, period);
}

/** The server's timeline, its plan intervals cut at price changes; `prices` gives each key's figures. */
export function timelineOf(
  state: EmulatorState,
  book: PriceBook,
  server: ServerRecord,
  now: Date,
): ServerTimeline<string> & { prices: Map<string, PlanSnapshot> } {
  const created = ms(server.createdAt);
  const ended = endOf(server, now);
  // Each interval lasts until the next one starts; the last one until the lifetime ends.
  const until = (next: string | undefined) => (next ? ms(next) : ended);
  const segments = server.planHistory.flatMap((p, i) =>
    priceSegments(state, book, p, ms(p.from), until(server.planHistory[i + 1]?.from)),
  );
  return {
    created,
    ended,
    plans: segments.map(({ key, from, to }) => ({ key, from, to })),
    prices: new Map(segments.map((s) => [s.key, s.plan])),
    backupsOn: server.backupHistory.flatMap((b, i) =>
      b.enabled ? [{ from: ms(b.at), to: until(server.backupHistory[i + 1]?.at) }] : [],
    ),
    ips: server.ips
      .filter((ip) => !ip.isPrimary)
      .map((ip) => ({ id: ip.id, from: ms(ip.attachedAt), to: ip.detachedAt ? ms(ip.detachedAt) : ended })),
  };
}

function linesOf(
  state: EmulatorState,
  book: PriceBook,
  server: ServerRecord,
  now: Date,
  period: UsagePeriod,
): UsageLine[] {
  if (new Date(server.createdAt).getTime() > now.getTime()) return [];
  const owner = findUserEvenDeleted(state, server.userId);
  const span = { from: BigInt(period.start.getTime()), to: BigInt(period.end.getTime()) };
  const timeline = timelineOf(state, book, server, now);
  return planGroups(timeline, span).map((group) => {
    const plan = timeline.prices.get(group.key) ?? server.plan;
    const runtime = periodCharge(
      { perHour: BigInt(plan.tokensPerHour), perMonth: BigInt(plan.tokensPerMonth) },
      group.hours,
    );
    const ipPrices = { perHour: BigInt(plan.ipTokensPerHour), perMonth: BigInt(plan.ipTokensPerMonth) };
    const ips = additionalIpsCharge(
      ipPrices,
      group.ipHours.map((ip) => ip.hours),
      group.hours,
    );
    const backups =
      group.backupHours > 0n
        ? {
            percent: plan.backupPrice,
            hours: group.backupHours,
            tokens: backupTokens(runtime.tokens, plan.backupPrice, group.backupHours, group.hours),
          }
        : null;
    return {
      server,
      owner,
      plan,
      hours: group.hours,
      ...runtime,
      ips: {
        count: BigInt(group.ipHours.length),
        hours: group.ipHours.reduce((sum, ip) => sum + ip.hours, 0n),
        tokens: ips.tokens,
        charge: ips.charge,
        each: group.ipHours.map((ip, i) => ({
          id: ip.id,
          hours: ip.hours,
          tokens: ips.each[i]?.tokens ?? 0n,
        })),
      },
      backups,
    };
  });
}

export function usageLines(
  state: EmulatorState,
  now: Date,
  period: UsagePeriod,
  filter: UsageFilter = {},
): UsageLine[] {
  const lines: UsageLine[] = [];
  const book = priceBookOf(state);
  for (const server of [...state.servers].sort((a, b) => a.id - b.id)) {
    if (filter.userId !== undefined && server.userId !== filter.userId) continue;
    const owner = findUserEvenDeleted(state, server.userId);
    if (filter.billingUserId !== undefined && owner?.billingUserId !== filter.billingUserId) continue;
    // A server with no hour starting in the period costs nothing there and gets no line [OURS].
    lines.push(...linesOf(state, book, server, now, period));
  }
  return lines;
}
