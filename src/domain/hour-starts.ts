import { ServiceError } from "../kernel/errors.ts";

// Counting billable hour starts inside half-open intervals by arithmetic, never by enumerating hours
// (billing-rules §2, §2.2): a provider bills millions of servers, each of which may run for years.

export const HOUR_MS = 3_600_000n;

/** Milliseconds since the epoch of a valid Date, as a bigint; a validation error naming `field` otherwise. */
export function instant(d: Date, field: string): bigint {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw ServiceError.validation(field, "must be a valid date");
  return BigInt(t);
}

/** ceil(a / b) for b > 0 and any sign of a (bigint division truncates toward zero). */
export function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

export function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** The earlier of two interval ends, where null is an open (unbounded) end. */
export function minEnd(a: bigint | null, b: bigint | null): bigint | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

/**
 * How many hours of a lattice anchored at `origin` (hour k starts at origin + k·1h, k ≥ 0) start inside
 * [from, to). The hours before `origin` do not exist, so `from` may lie before it. O(1).
 */
export function hourStartsIn(origin: bigint, from: bigint, to: bigint): bigint {
  // origin + k·h ≥ from ⇔ k ≥ ceil((from − origin)/h); origin + k·h < to ⇔ k < ceil((to − origin)/h).
  const first = maxBig(0n, ceilDiv(from - origin, HOUR_MS));
  const last = ceilDiv(to - origin, HOUR_MS);
  return last > first ? last - first : 0n;
}
