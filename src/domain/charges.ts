import { ServiceError } from "../kernel/errors.ts";
import { hourStartsIn, instant } from "./hour-starts.ts";

// What one server costs in one billing period (billing-rules §2).
export type ChargeKind = "hourly" | "monthly_cap" | "monthly_fixed" | "free";

export interface Charge {
  tokens: bigint;
  kind: ChargeKind;
}

function nonNegative(value: bigint, field: string): void {
  if (typeof value !== "bigint") {
    throw ServiceError.validation(field, `must be a bigint token or hour count (got ${typeof value})`);
  }
  if (value < 0n) throw ServiceError.validation(field, `must not be negative (got ${value})`);
}

/**
 * Hours of a server's lifetime [createdAt, deletedAt) that start in [periodStart, periodEnd).
 * Hour k starts at createdAt + k·1h and exists while it starts before deletedAt; every started hour
 * counts in full, in the period where it starts, so no hour is charged twice (§2). O(1).
 */
export function billableHoursInPeriod(input: {
  createdAt: Date;
  deletedAt: Date | null;
  periodStart: Date;
  periodEnd: Date;
}): bigint {
  const created = instant(input.createdAt, "createdAt");
  const start = instant(input.periodStart, "periodStart");
  const end = instant(input.periodEnd, "periodEnd");
  if (end <= start) throw ServiceError.validation("periodEnd", "must be after periodStart");
  let until = end;
  if (input.deletedAt !== null) {
    const deleted = instant(input.deletedAt, "deletedAt");
    if (deleted < created) throw ServiceError.validation("deletedAt", "must not be before createdAt");
    if (deleted < until) until = deleted;
  }
  // Hours start at createdAt + k·1h; those inside [periodStart, min(periodEnd, deletedAt)) are this period's.
  return hourStartsIn(created, start, until);
}

/**
 * Tokens for a period with `hours` billable hours (the table in §2). With hours = 0 the charge is
 * 0 tokens and the kind is what the plan would report for a zero charge: "hourly" for plans with
 * tph > 0 (the cap does not win at 0), "monthly_fixed" for tph = 0, tpm > 0, "free" for 0/0.
 * The cap wins only when h × tph strictly exceeds tpm; at equality the charge is "hourly".
 */
export function chargeForPeriod(input: {
  tokensPerHour: bigint;
  tokensPerMonth: bigint;
  hours: bigint;
}): Charge {
  const { tokensPerHour: tph, tokensPerMonth: tpm, hours } = input;
  nonNegative(tph, "tokensPerHour");
  nonNegative(tpm, "tokensPerMonth");
  nonNegative(hours, "hours");
  if (tph === 0n) {
    if (tpm === 0n) return { tokens: 0n, kind: "free" };
    return { tokens: hours === 0n ? 0n : tpm, kind: "monthly_fixed" };
  }
  const hourly = hours * tph;
  if (tpm > 0n && hourly > tpm) return { tokens: tpm, kind: "monthly_cap" };
  return { tokens: hourly, kind: "hourly" };
}

/** The additional-IPs line of one server: the §2 rule with the IP prices, times the number of IPs. */
export function chargeAdditionalIps(input: {
  ipTokensPerHour: bigint;
  ipTokensPerMonth: bigint;
  hours: bigint;
  count: bigint;
}): Charge {
  nonNegative(input.count, "count");
  const one = chargeForPeriod({
    tokensPerHour: input.ipTokensPerHour,
    tokensPerMonth: input.ipTokensPerMonth,
    hours: input.hours,
  });
  return { tokens: one.tokens * input.count, kind: one.kind };
}

/** Hours and charge of one server in one period: billableHoursInPeriod then chargeForPeriod. */
export function chargeServer(input: {
  tokensPerHour: bigint;
  tokensPerMonth: bigint;
  createdAt: Date;
  deletedAt: Date | null;
  periodStart: Date;
  periodEnd: Date;
}): Charge & { hours: bigint } {
  const hours = billableHoursInPeriod(input);
  const charge = chargeForPeriod({
    tokensPerHour: input.tokensPerHour,
    tokensPerMonth: input.tokensPerMonth,
    hours,
  });
  return { hours, ...charge };
}
