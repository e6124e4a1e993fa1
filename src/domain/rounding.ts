import { ServiceError } from "../kernel/errors.ts";

// Integer rounding primitives under Decimal: powers of ten and division with a rounding rule.
export type RoundingMode = "half_away_from_zero" | "half_even";

// Directed modes serve floor/ceil/trunc; billing rounding (§1, §4) uses RoundingMode only.
export type AnyMode = RoundingMode | "floor" | "ceil" | "trunc";

const POW10_CACHE: bigint[] = [];

/** 10^n as a bigint; n is a scale or exponent, so it must be a non-negative integer. */
export function pow10(n: number): bigint {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw ServiceError.validation("scale", `must be a non-negative integer (got ${String(n)})`);
  }
  let cached = POW10_CACHE[n];
  if (cached === undefined) {
    cached = 10n ** BigInt(n);
    if (n <= 64) POW10_CACHE[n] = cached;
  }
  return cached;
}

/** n / d for a positive d, the quotient rounded by `mode`. */
export function divRound(n: bigint, d: bigint, mode: AnyMode): bigint {
  const q = n / d; // truncates toward zero
  const r = n % d; // has the sign of n
  if (r === 0n) return q;
  const away = n < 0n ? q - 1n : q + 1n;
  switch (mode) {
    case "trunc":
      return q;
    case "floor":
      return n < 0n ? away : q;
    case "ceil":
      return n < 0n ? q : away;
    default: {
      const twice = 2n * (r < 0n ? -r : r);
      if (twice > d) return away;
      if (twice < d) return q;
      if (mode === "half_away_from_zero") return away;
      return q % 2n === 0n ? q : away;
    }
  }
}
