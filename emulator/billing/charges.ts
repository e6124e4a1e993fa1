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

export const HOUR_MS = 3_600_000n;

/** How many hours of a lifetime begun at `origin` have started before `instant` (hour k starts at origin + k h). */
function hoursBegunBefore(origin: bigint, instant: bigint): bigint {
  if (instant <= origin) return 0n;
  const elapsed = instant - origin;
  // Whole hours elapsed, and one more that began when part of an hour is left over.
  return elapsed / HOUR_MS + (elapsed % HOUR_MS > 0n ? 1n : 0n);
}

/**
 * Hours of a lifetime begun at `origin` whose start lies in [from, to) (instants in ms). Half-open on both
 * sides of everything: an hour starting exactly at `to` is not counted (billing-rules §2.1), one starting
 * exactly at `from` is.
 */
export function hourStartsIn(origin: bigint, from: bigint, to: bigint): bigint {
  if (to <= from) return 0n;
  return hoursBegunBefore(origin, to) - hoursBegunBefore(origin, from);
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
  const start = BigInt(period.start.getTime());
  const end = BigInt(period.end.getTime());
  return hourStartsIn(created, start > created ? start : created, ended < end ? ended : end);
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

/**
 * A server's additional IPs on one plan (billing-rules §2.2): each IP charged by the §2 table with the plan's
 * IP prices and its own IP-hours, so the monthly cap applies per IP. The line's kind is "monthly_cap" when any
 * IP was capped, else the kind every IP shares [OURS]; with no IP-hour it is the kind `fallbackHours` would
 * get, so the line still says how the plan charges IPs.
 */
export function additionalIpsCharge(
  prices: HourlyPrices,
  hoursPerIp: bigint[],
  fallbackHours: bigint,
): PeriodCharge & { each: PeriodCharge[] } {
  const each = hoursPerIp.map((h) => periodCharge(prices, h));
  const tokens = each.reduce((sum, c) => sum + c.tokens, 0n);
  const first = each[0];
  if (!first) return { tokens, charge: periodCharge(prices, fallbackHours).charge, each };
  const charge = each.some((c) => c.charge === "monthly_cap") ? "monthly_cap" : first.charge;
  return { tokens, charge, each };
}
