import { decimalFromNumber } from "./decimal.ts";

// Paid backups (billing-rules §2.2), the emulator's own reading: a plan group's runtime tokens t over h hours,
// backups on for b of those hours (sampled at each hour's start), at p % of the runtime price:
// round_half_away_from_zero(t × p/100 × b/h) whole tokens. Exact: p arrives as a JSON number (10, 12.5) and is
// taken at its shortest decimal spelling, never multiplied as a float.

export function backupTokens(
  runtimeTokens: bigint,
  percent: number,
  backupHours: bigint,
  hours: bigint,
): bigint {
  if (hours === 0n || backupHours === 0n || runtimeTokens === 0n) return 0n;
  const p = decimalFromNumber(percent);
  if (p.units <= 0n) return 0n;
  const numerator = runtimeTokens * p.units * backupHours;
  const denominator = 100n * 10n ** BigInt(p.scale) * hours;
  const whole = numerator / denominator;
  // Everything is positive here, so "away from zero" is "up" at exactly one half.
  return (numerator % denominator) * 2n >= denominator ? whole + 1n : whole;
}
