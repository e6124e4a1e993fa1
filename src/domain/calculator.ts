import { ServiceError } from "../kernel/errors.ts";
import type { Decimal } from "./decimal.ts";
import { pow10 } from "./rounding.ts";
import { MAX_TOKENS, parseTokenList } from "./tokens.ts";

// The monthly-price calculator and conversion scheme (billing-rules §1 and §6; seed steps 1–2).

/** An aggregated month is 24 × 31 hours, the longest calendar month (§6). */
export const HOURS_IN_AGGREGATED_MONTH = 744n;

/**
 * The largest tokens per hour the calculator prices: its aggregated month (and so the suggested monthly price,
 * a plan price) must fit where token counts are stored, PostgreSQL's bigint (MAX_TOKENS).
 */
export const MAX_CALCULATOR_TOKENS_PER_HOUR = MAX_TOKENS / HOURS_IN_AGGREGATED_MONTH;

function checkTokensPerHour(tph: bigint, field: string): bigint {
  if (tph < 0n) throw ServiceError.validation(field, `must not be negative (got ${tph})`);
  if (tph > MAX_CALCULATOR_TOKENS_PER_HOUR) {
    throw ServiceError.validation(
      field,
      `must be at most ${MAX_CALCULATOR_TOKENS_PER_HOUR} (got ${tph}): its month (× ${HOURS_IN_AGGREGATED_MONTH}) must stay within ${MAX_TOKENS} tokens, what a plan price can hold`,
    );
  }
  return tph;
}

/** "7,14,21,28" → the calculator's tokens per hour, each whole and with a month that can be stored. */
export function parseCalculatorTokensPerHour(input: string, field = "tph"): bigint[] {
  return parseTokenList(input, field).map((tph) => checkTokensPerHour(tph, field));
}

export const DEFAULT_TOKEN_COUNTS: readonly bigint[] = [1n, 10n, 100n, 1000n, 10000n];

/**
 * The default rounding step for a d-digit figure: 5 × 10^(d−2). For d = 1 that is 0.5, below the
 * smallest token, so one-digit figures are kept as they are (step 1).
 */
export function defaultMonthlyStep(digits: number): bigint {
  return digits < 2 ? 1n : 5n * pow10(digits - 2);
}

function digitCount(n: bigint): number {
  return n.toString().length;
}

/**
 * Rounds an aggregated monthly token count DOWN to a multiple of the step for its digit count:
 * 5,208 → 5,000; 744 → 700; 17 → 15; 0–9 unchanged. A step below 1 counts as 1 (no rounding).
 */
export function suggestMonthlyTokens(
  aggregated: bigint,
  stepFor: (digits: number) => bigint = defaultMonthlyStep,
): bigint {
  if (aggregated < 0n) {
    throw ServiceError.validation("aggregated", `must not be negative (got ${aggregated})`);
  }
  const proposed = stepFor(digitCount(aggregated));
  const step = proposed < 1n ? 1n : proposed;
  return aggregated - (aggregated % step);
}

export interface PlanRow {
  tokensPerHour: bigint;
  aggregatedTokens: bigint;
  suggestedMonthlyTokens: bigint;
  aggregatedMoney: Decimal;
  suggestedMoney: Decimal;
}

/** One row per tokens-per-hour figure; money columns stay exact, displays round them to minor units. */
export function planTable(
  tphs: readonly bigint[],
  unitCost: Decimal,
  stepFor: (digits: number) => bigint = defaultMonthlyStep,
): PlanRow[] {
  return tphs.map((tph, i) => {
    checkTokensPerHour(tph, `tokensPerHour[${i}]`);
    const aggregatedTokens = tph * HOURS_IN_AGGREGATED_MONTH;
    const suggestedMonthlyTokens = suggestMonthlyTokens(aggregatedTokens, stepFor);
    return {
      tokensPerHour: tph,
      aggregatedTokens,
      suggestedMonthlyTokens,
      aggregatedMoney: unitCost.mul(aggregatedTokens),
      suggestedMoney: unitCost.mul(suggestedMonthlyTokens),
    };
  });
}

export interface ConversionRow {
  tokens: bigint;
  amounts: { code: string; amount: Decimal }[];
}

/** What 1, 10, 100, … tokens cost in each currency, exactly (§1 worked example). */
export function conversionScheme(
  unitCosts: readonly { code: string; unitCost: Decimal }[],
  tokenCounts: readonly bigint[] = DEFAULT_TOKEN_COUNTS,
): ConversionRow[] {
  return tokenCounts.map((tokens) => ({
    tokens,
    amounts: unitCosts.map(({ code, unitCost }) => ({ code, amount: unitCost.mul(tokens) })),
  }));
}
