// billing-rules.md §2 as SolusIO applies it to the usage it reports, written for the emulator on its own.
// tokenbill's src/domain/charges.ts is the code under test: were the emulator to import it, a mistake
// there would be in both figures that tokenbill's checks compare. Whole numbers only: hours and tokens
// are bigint, instants are milliseconds since the epoch.

export type ChargeKind = "hourly" | "monthly_cap" | "monthly_fixed" | "free";

export interface PeriodCharge {
  tokens: bigint;
  charge: ChargeKind;
}

export interface HourlyPrices {
  perHour: bigint;
  perMonth: bigint;
}

const HOUR_MS = 3_600_000n;

/** How many hours of a lifetime begun at `created` have started before `instant` (hour k starts at created + k h). */
function hoursBegunBefore(created: bigint, instant: bigint): bigint {
  if (instant <= created) return 0n;
  const elapsed = instant - created;
  // Whole hours elapsed, and one more that began when part of an hour is left over.
  return elapsed / HOUR_MS + (elapsed % HOUR_MS > 0n ? 1n : 0n);
}

/**
 * Hours of the lifetime [created, ended) that begin inside [period.start, period.end): each begun hour is
 * charged in full, in the period where it begins, so no hour is ever counted in two periods.
 */
export function hoursInPeriod(
  lifetime: { created: Date; ended: Date },
  period: { start: Date; end: Date },
): bigint {
  const created = BigInt(lifetime.created.getTime());
  const ended = BigInt(lifetime.ended.getTime());
  const periodEnd = BigInt(period.end.getTime());
  const until = ended < periodEnd ? ended : periodEnd;
  const inPeriod =
    hoursBegunBefore(created, until) - hoursBegunBefore(created, BigInt(period.start.getTime()));
  return inPeriod > 0n ? inPeriod : 0n;
}

/**
 * Tokens of one plan for `hours` hours of a period (the §2 table): the hours at the hourly price, up to the
 * monthly price when there is one. Only a monthly price below what the hours cost caps them; an equal one
 * leaves the charge "hourly".
 */
export function periodCharge(prices: HourlyPrices, hours: bigint): PeriodCharge {
  if (prices.perHour === 0n) {
    if (prices.perMonth === 0n) return { tokens: 0n, charge: "free" };
    return { tokens: hours > 0n ? prices.perMonth : 0n, charge: "monthly_fixed" };
  }
  const byTheHour = prices.perHour * hours;
  if (prices.perMonth > 0n && prices.perMonth < byTheHour)
    return { tokens: prices.perMonth, charge: "monthly_cap" };
  return { tokens: byTheHour, charge: "hourly" };
}

/** A server's additional IPs: each one charged by the same table with the plan's IP prices. */
export function additionalIpsCharge(prices: HourlyPrices, hours: bigint, count: bigint): PeriodCharge {
  const each = periodCharge(prices, hours);
  return { tokens: each.tokens * count, charge: each.charge };
}
