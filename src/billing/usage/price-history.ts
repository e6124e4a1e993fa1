import type { PlanRates, ServerHistory } from "../../domain/server-usage.ts";
import type { PlanPriceChange } from "./plan-price-changes.ts";

// A server's plan intervals cut again where its plan's prices changed (billing-rules §2.2: a group is keyed by
// the plan's id and all its prices). An hour is charged at the prices in force at the instant it begins, and
// intervals are half-open, so a change exactly when an hour begins prices that hour.

export type PriceChangesOf = (planId: number) => readonly PlanPriceChange[];

/** Index of the last change at or before `at` (binary search), -1 when every change is later. */
function lastAtOrBefore(changes: readonly PlanPriceChange[], at: Date): number {
  let lo = 0;
  let hi = changes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (changes[mid]!.at.getTime() <= at.getTime()) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The recorded prices in force at `at`; undefined before tokenbill knew any price of the plan. */
export function pricesInForce(changes: readonly PlanPriceChange[], at: Date): PlanRates | undefined {
  return changes[lastAtOrBefore(changes, at)]?.plan;
}

/**
 * Each plan interval split at the recorded changes of its plan's prices that fall inside it; `end` bounds the
 * last interval (null: open). O(intervals × log changes + changes inside them).
 */
export function splitAtPriceChanges(
  plans: ServerHistory["plans"],
  end: Date | null,
  changesOf: PriceChangesOf,
): ServerHistory["plans"] {
  const out: ServerHistory["plans"] = [];
  plans.forEach((interval, i) => {
    out.push(interval);
    if (interval.plan.id === null) return;
    const changes = changesOf(interval.plan.id);
    const to = plans[i + 1]?.from ?? end;
    for (let j = lastAtOrBefore(changes, interval.from) + 1; j < changes.length; j++) {
      const change = changes[j]!;
      if (to !== null && change.at >= to) break;
      out.push({ from: change.at, plan: change.plan });
    }
  });
  return out;
}
