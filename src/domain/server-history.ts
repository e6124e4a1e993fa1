import { ServiceError } from "../kernel/errors.ts";
import { Decimal } from "./decimal.ts";
import { instant, minEnd } from "./hour-starts.ts";
import type { PlanRates, ServerHistory } from "./server-usage.ts";

// Checks a ServerHistory (billing-rules §2.2) and turns its dates into epoch milliseconds once, so the hour
// counting works on bigints only. Every refusal is a ServiceError.validation naming the offending field.

export interface CheckedHistory {
  created: bigint;
  /** The lifetime's end: the earlier of deletedAt and `now` (§2.1); null while open-ended. */
  end: bigint | null;
  plans: { from: bigint; plan: PlanRates }[];
  backups: { at: bigint; enabled: boolean }[];
  ips: { id: string; attached: bigint; detached: bigint | null }[];
}

const RATE_FIELDS = ["tokensPerHour", "tokensPerMonth", "ipTokensPerHour", "ipTokensPerMonth"] as const;

export function checkHistory(history: ServerHistory, now: Date | undefined): CheckedHistory {
  const created = instant(history.createdAt, "createdAt");
  let end: bigint | null = null;
  if (history.deletedAt !== null) {
    end = instant(history.deletedAt, "deletedAt");
    if (end < created) throw ServiceError.validation("deletedAt", "must not be before createdAt");
  }
  // An hour that starts after `now` has not started, even when the recorded deletion lies later.
  if (now !== undefined) end = minEnd(end, instant(now, "now"));

  const plans = checkPlans(history.plans, created);
  const backups = list(history.backups, "backups").map((b, i) => {
    if (typeof b.enabled !== "boolean")
      throw ServiceError.validation(`backups[${i}].enabled`, "must be a boolean");
    return { at: instant(b.at, `backups[${i}].at`), enabled: b.enabled };
  });
  ascending(backups, (b) => b.at, "backups", "at");
  return { created, end, plans, backups, ips: checkIps(history.ips, created) };
}

function checkPlans(raw: ServerHistory["plans"], created: bigint): CheckedHistory["plans"] {
  const plans = list(raw, "plans").map((p, i) => {
    checkRates(p.plan, `plans[${i}].plan`);
    return { from: instant(p.from, `plans[${i}].from`), plan: p.plan };
  });
  const first = plans[0];
  if (first === undefined)
    throw ServiceError.validation("plans", "must name the plan the server was created on");
  // Every hour of the server must have a price: the first plan must already hold at creation.
  if (first.from > created) throw ServiceError.validation("plans[0].from", "must not be after createdAt");
  ascending(plans, (p) => p.from, "plans", "from");
  return plans;
}

function checkRates(plan: PlanRates, field: string): void {
  if (plan === null || typeof plan !== "object") throw ServiceError.validation(field, "must be a plan");
  if (plan.id !== null && !Number.isSafeInteger(plan.id)) {
    throw ServiceError.validation(`${field}.id`, "must be an integer or null");
  }
  for (const rate of RATE_FIELDS) {
    const value = plan[rate];
    if (typeof value !== "bigint") throw ServiceError.validation(`${field}.${rate}`, "must be a bigint");
    if (value < 0n) throw ServiceError.validation(`${field}.${rate}`, `must not be negative (got ${value})`);
  }
  const percent = plan.backupPercent;
  if (!(percent instanceof Decimal))
    throw ServiceError.validation(`${field}.backupPercent`, "must be a Decimal");
  if (percent.isNegative() || percent.gt(100n)) {
    throw ServiceError.validation(`${field}.backupPercent`, `must be between 0 and 100 (got ${percent})`);
  }
}

function checkIps(raw: ServerHistory["ips"], created: bigint): CheckedHistory["ips"] {
  const ips = list(raw, "ips").map((ip, i) => {
    if (typeof ip.id !== "string" || ip.id === "") {
      throw ServiceError.validation(`ips[${i}].id`, "must be a non-empty string");
    }
    const attached = instant(ip.attachedAt, `ips[${i}].attachedAt`);
    // Before creation there is no plan to price an IP-hour with.
    if (attached < created)
      throw ServiceError.validation(`ips[${i}].attachedAt`, "must not be before createdAt");
    let detached: bigint | null = null;
    if (ip.detachedAt !== null) {
      detached = instant(ip.detachedAt, `ips[${i}].detachedAt`);
      if (detached < attached) {
        throw ServiceError.validation(`ips[${i}].detachedAt`, "must not be before attachedAt");
      }
    }
    return { id: ip.id, attached, detached, index: i };
  });
  // One IP may be detached and attached again, but never attached twice at once: its hours would double.
  const byId = [...ips].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : cmp(a.attached, b.attached)));
  for (let i = 1; i < byId.length; i++) {
    const prev = byId[i - 1]!;
    const cur = byId[i]!;
    if (prev.id === cur.id && (prev.detached === null || prev.detached > cur.attached)) {
      throw ServiceError.validation(
        `ips[${cur.index}].attachedAt`,
        `overlaps another lifetime of IP ${cur.id}`,
      );
    }
  }
  return ips.map(({ id, attached, detached }) => ({ id, attached, detached }));
}

function list<T>(value: T[], field: string): T[] {
  if (!Array.isArray(value)) throw ServiceError.validation(field, "must be an array");
  return value;
}

// Equal instants are allowed (the later entry wins, the earlier holds for no time); going back is not.
function ascending<T>(items: T[], at: (item: T) => bigint, field: string, key: string): void {
  for (let i = 1; i < items.length; i++) {
    if (at(items[i]!) < at(items[i - 1]!)) {
      throw ServiceError.validation(`${field}[${i}].${key}`, `must not be before ${field}[${i - 1}].${key}`);
    }
  }
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
