import { findPlan } from "../state/state.ts";
import type { EmulatorState, PlanInterval, PlanPriceChange, PlanSnapshot } from "../state/types.ts";
import { planTokensOf, priceKey } from "./plans.ts";

// A plan interval of a server cut again at every change of the plan's prices (billing-rules §2.2: a group is
// keyed by the plan's id and all its prices). An hour is charged at the prices in force at the instant it
// begins, so a segment is half-open [from, to): a change exactly when an hour begins prices that hour.

/** Each plan's price changes in ascending instant (the clock can be set back, so not always in record order). */
export type PriceBook = Map<number, { at: bigint; prices: PlanPriceChange }[]>;

export interface PriceSegment {
  from: bigint;
  to: bigint;
  /** The plan's id and prices: segments with the same key are one usage item. */
  key: string;
  plan: PlanSnapshot;
}

/** Before any instant the clock can show: a plan's first prices hold from here. */
const BEGINNING = -(2n ** 63n);

export function priceBookOf(state: EmulatorState): PriceBook {
  const book: PriceBook = new Map();
  for (const prices of state.planPrices) {
    const list = book.get(prices.planId);
    // The plan's first record (its creation) holds from the beginning, not from the instant it was made: with
    // the clock set back after the plan was made (the README's month, a test's), that instant lies after the
    // hours its servers ran, and a re-price in between priced those hours as well (QA, 2026-12-06: 744 h at
    // the new 14 tokens instead of 360 h at 7 and 384 h at 14).
    const at = list === undefined ? BEGINNING : BigInt(new Date(prices.at).getTime());
    if (list === undefined) book.set(prices.planId, [{ at, prices }]);
    else list.push({ at, prices });
  }
  for (const list of book.values()) list.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return book;
}

/**
 * The interval's figures with the name the plan has now (the snapshot's when it is deleted) and the prices of
 * `change`; without any recorded price, the plan's current prices, else the snapshot's.
 */
function snapshotWith(state: EmulatorState, interval: PlanInterval, change: PlanPriceChange | undefined) {
  const live = findPlan(state, interval.planId);
  const prices = change ?? live ?? interval.plan;
  return { ...interval.plan, name: live?.name ?? interval.plan.name, ...planTokensOf(prices) };
}

/** [from, to) of one plan interval, split at the plan's price changes inside it. O(changes of the plan). */
export function priceSegments(
  state: EmulatorState,
  book: PriceBook,
  interval: PlanInterval,
  from: bigint,
  to: bigint,
): PriceSegment[] {
  const changes = book.get(interval.planId) ?? [];
  // In force at `from`: the last change at or before it (the first record holds from the beginning).
  let i = 0;
  while (i + 1 < changes.length && changes[i + 1]!.at <= from) i++;
  const segments: PriceSegment[] = [];
  let start = from;
  let plan = snapshotWith(state, interval, changes[i]?.prices);
  for (let j = i + 1; j < changes.length && changes[j]!.at < to; j++) {
    const change = changes[j]!;
    if (change.at <= start) continue;
    segments.push({ from: start, to: change.at, key: priceKey(interval.planId, plan), plan });
    start = change.at;
    plan = snapshotWith(state, interval, change.prices);
  }
  segments.push({ from: start, to, key: priceKey(interval.planId, plan), plan });
  return segments;
}
