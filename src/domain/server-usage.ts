import { ServiceError } from "../kernel/errors.ts";
import { type ChargeKind, chargeForPeriod } from "./charges.ts";
import type { Decimal } from "./decimal.ts";
import { hourStartsIn, instant, maxBig, minEnd } from "./hour-starts.ts";
import { divRound, pow10 } from "./rounding.ts";
import { type CheckedHistory, checkHistory } from "./server-history.ts";

// One server's usage in one billing period when its plan, backups and additional IPs change inside the
// period (billing-rules §2.2). Hours are counted per interval by arithmetic (hour-starts.ts), so the work is
// O(plan changes + backup changes + IPs × plan changes), whatever the lifetime's length.

/** A plan's prices as they held over some interval of a server's life. */
export interface PlanRates {
  id: number | null;
  name: string;
  tokensPerHour: bigint;
  tokensPerMonth: bigint;
  ipTokensPerHour: bigint;
  ipTokensPerMonth: bigint;
  /** backup_price: percent 0–100, may be fractional; 0 when the plan has no paid backups. */
  backupPercent: Decimal;
}

/** What happened to one server, as far as billing cares (billing-rules §2.2). */
export interface ServerHistory {
  createdAt: Date;
  /** null: still running (then `now` or the period's end bounds it). */
  deletedAt: Date | null;
  /** Plan changes in ascending `from`; the first one's `from` is <= createdAt (normally equal). A plan holds over [from, next.from). */
  plans: { from: Date; plan: PlanRates }[];
  /** Backup switch changes in ascending `at`; before the first entry backups are off. */
  backups: { at: Date; enabled: boolean }[];
  /** Additional IPs (not the primary one), each with its own half-open lifetime; a server's deletion ends them too. */
  ips: { id: string; attachedAt: Date; detachedAt: Date | null }[];
}

export interface PlanGroupUsage {
  plan: PlanRates;
  /** Billable server hours of the period whose start falls while this plan held. */
  hours: bigint;
  tokens: bigint;
  charge: ChargeKind;
  /** The server's additional IPs priced on this plan: one invoice line. count = IPs with at least one IP-hour here. */
  ips: {
    count: bigint;
    hours: bigint;
    /** Sum of the per-IP charges, each capped on its own. */
    tokens: bigint;
    /**
     * "monthly_cap" when the cap won for at least one IP (the line then costs less than hours × ip tph);
     * otherwise the kind every IP of the line shares ("hourly", "monthly_fixed" or "free"). With no IP-hour,
     * the plan's zero-hour kind, as chargeForPeriod reports it.
     */
    charge: ChargeKind;
    perIp: { id: string; hours: bigint; tokens: bigint }[];
  };
  /** Paid backups of this plan group: hours = hours of the group with backups on at the hour's start. */
  backups: { percent: Decimal; hours: bigint; tokens: bigint };
}

/** One group in the making: a plan key's hours, counted interval by interval. */
interface Tally {
  plan: PlanRates;
  hours: bigint;
  backupHours: bigint;
  /** IP-hours by IP id, in the order the IPs appear in the history. */
  ipHours: Map<string, bigint>;
}

/** A stretch of time with one plan group and one backup state. `to` null: open-ended. */
interface Stretch {
  from: bigint;
  to: bigint | null;
  group: number;
  backupsOn: boolean;
}

/**
 * One server's usage in [period.start, period.end) grouped by plan (billing-rules §2.2), in the order each
 * plan first held. Groups with no server hour and no IP-hour in the period are left out. `now`, when given,
 * ends a lifetime that has no deletedAt (§2.1: an hour starting exactly at `now` has not started).
 *
 * Also: "first held" is the order of `history.plans` (a group's position is that of its first interval, even
 * when a later interval is the one inside the period); a group reports the PlanRates of its first interval
 * (its name included); `now` also ends a lifetime whose deletedAt lies after it, and the IPs' lifetimes.
 * Throws ServiceError.validation (400) naming the field for an invalid period or history (server-history.ts).
 */
export function serverUsageInPeriod(
  history: ServerHistory,
  period: { start: Date; end: Date },
  now?: Date,
): PlanGroupUsage[] {
  const start = instant(period.start, "period.start");
  const end = instant(period.end, "period.end");
  if (end <= start) throw ServiceError.validation("period.end", "must be after period.start");
  const h = checkHistory(history, now);
  // Hours of this period start in [period.start, min(period.end, lifetime end)).
  const until = minEnd(h.end, end)!;

  const { tallies, groupOfPlan } = groupPlans(h);
  for (const s of stretches(h, groupOfPlan)) {
    const n = hourStartsIn(h.created, maxBig(s.from, start), minEnd(s.to, until)!);
    const tally = tallies[s.group]!;
    tally.hours += n;
    if (s.backupsOn) tally.backupHours += n;
  }
  countIpHours(h, groupOfPlan, tallies, start, until);
  return tallies.filter((t) => t.hours > 0n || t.ipHours.size > 0).map(priceGroup);
}

/** Plans with the same id and the same rates form one group, wherever their intervals lie. */
function groupPlans(h: CheckedHistory): { tallies: Tally[]; groupOfPlan: number[] } {
  const tallies: Tally[] = [];
  const byKey = new Map<string, number>();
  const groupOfPlan = h.plans.map(({ plan }) => {
    const key = [
      plan.id,
      plan.tokensPerHour,
      plan.tokensPerMonth,
      plan.ipTokensPerHour,
      plan.ipTokensPerMonth,
      plan.backupPercent.toString(), // canonical: 10 and 10.0 are one price
    ].join("|");
    let group = byKey.get(key);
    if (group === undefined) {
      group = tallies.length;
      byKey.set(key, group);
      tallies.push({ plan, hours: 0n, backupHours: 0n, ipHours: new Map() });
    }
    return group;
  });
  return { tallies, groupOfPlan };
}

/** The plan intervals cut again at every backup switch: a merge of two sorted lists, O(plans + backups). */
function stretches(h: CheckedHistory, groupOfPlan: number[]): Stretch[] {
  const out: Stretch[] = [];
  let b = 0;
  let on = false;
  h.plans.forEach((p, i) => {
    const to = h.plans[i + 1]?.from ?? null;
    while (b < h.backups.length && h.backups[b]!.at <= p.from) on = h.backups[b++]!.enabled;
    let from = p.from;
    while (b < h.backups.length && (to === null || h.backups[b]!.at < to)) {
      const next = h.backups[b++]!;
      out.push({ from, to: next.at, group: groupOfPlan[i]!, backupsOn: on });
      from = next.at;
      on = next.enabled;
    }
    out.push({ from, to, group: groupOfPlan[i]!, backupsOn: on });
  });
  return out;
}

/** Each IP's own hours (from its attachedAt), each charged to the plan in effect when the IP-hour starts. */
function countIpHours(
  h: CheckedHistory,
  groupOfPlan: number[],
  tallies: Tally[],
  start: bigint,
  until: bigint,
) {
  for (const ip of h.ips) {
    const ipUntil = minEnd(ip.detached, until)!;
    if (ipUntil <= maxBig(ip.attached, start)) continue;
    h.plans.forEach((p, i) => {
      const to = minEnd(h.plans[i + 1]?.from ?? null, ipUntil)!;
      const n = hourStartsIn(ip.attached, maxBig(p.from, start), to);
      if (n === 0n) return;
      const ipHours = tallies[groupOfPlan[i]!]!.ipHours;
      ipHours.set(ip.id, (ipHours.get(ip.id) ?? 0n) + n);
    });
  }
}

function priceGroup(t: Tally): PlanGroupUsage {
  const { plan } = t;
  const runtime = chargeForPeriod({
    tokensPerHour: plan.tokensPerHour,
    tokensPerMonth: plan.tokensPerMonth,
    hours: t.hours,
  });
  return {
    plan,
    hours: t.hours,
    tokens: runtime.tokens,
    charge: runtime.kind,
    ips: priceIps(plan, t.ipHours),
    backups: {
      percent: plan.backupPercent,
      hours: t.backupHours,
      tokens: backupTokens(runtime.tokens, plan.backupPercent, t.backupHours, t.hours),
    },
  };
}

function priceIps(plan: PlanRates, ipHours: Map<string, bigint>): PlanGroupUsage["ips"] {
  const rates = { tokensPerHour: plan.ipTokensPerHour, tokensPerMonth: plan.ipTokensPerMonth };
  const perIp: PlanGroupUsage["ips"]["perIp"] = [];
  let hours = 0n;
  let tokens = 0n;
  let charge: ChargeKind = chargeForPeriod({ ...rates, hours: 0n }).kind;
  for (const [id, n] of ipHours) {
    const one = chargeForPeriod({ ...rates, hours: n }); // the cap applies per IP (§2.2)
    perIp.push({ id, hours: n, tokens: one.tokens });
    hours += n;
    tokens += one.tokens;
    if (charge !== "monthly_cap") charge = one.kind;
  }
  return { count: BigInt(perIp.length), hours, tokens, charge, perIp };
}

/**
 * round_half_away_from_zero(t × p/100 × b/h) whole tokens (§2.2), exact: p = coefficient / 10^scale, so the
 * value is t·coefficient·b / (100·10^scale·h), one bigint fraction rounded once.
 */
export function backupTokens(
  runtimeTokens: bigint,
  percent: Decimal,
  backupHours: bigint,
  hours: bigint,
): bigint {
  for (const [field, value] of [
    ["runtimeTokens", runtimeTokens],
    ["backupHours", backupHours],
    ["hours", hours],
  ] as const) {
    if (typeof value !== "bigint" || value < 0n)
      throw ServiceError.validation(field, "must be a non-negative bigint");
  }
  if (backupHours > hours) throw ServiceError.validation("backupHours", `must not exceed hours (${hours})`);
  if (percent.isNegative() || percent.gt(100n)) {
    throw ServiceError.validation("backupPercent", `must be between 0 and 100 (got ${percent})`);
  }
  if (hours === 0n || percent.isZero() || backupHours === 0n) return 0n;
  const numerator = runtimeTokens * percent.coefficient * backupHours;
  const denominator = 100n * pow10(percent.scale) * hours;
  return divRound(numerator, denominator, "half_away_from_zero");
}
