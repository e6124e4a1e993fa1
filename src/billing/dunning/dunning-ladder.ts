import type { Config } from "../../config.ts";
import type { CustomerStatus } from "../../db/schema.ts";

// Which rungs of the dunning ladder (billing-rules §8) are due: pure, no I/O. The ladder is measured in
// calendar days (BILLING_TIME_ZONE) from the earliest unpaid invoice's due date, which is the earliest
// overdue one as soon as anything is overdue. Day 1 is the first day an invoice is overdue (its due date has
// passed), so "+1 d" fires the moment it becomes overdue and "−3 d" three days before the due date.

export type DunningStep = Config["DUNNING_LADDER"][number];
export type DunningEmailKind = NonNullable<DunningStep["email"]>;

/** Whole calendar days from `from` to `to` (both YYYY-MM-DD): 2026-11-15 → 2026-11-22 is 7. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The rungs due `offset` days after the anchor due date, in ladder order. */
export function stepsDue(ladder: readonly DunningStep[], offset: number): DunningStep[] {
  return ladder.filter((s) => s.days <= offset);
}

/** The earliest rung of the ladder: before it, a customer with unpaid invoices needs no look. */
export function firstStepDays(ladder: readonly DunningStep[]): number | undefined {
  return ladder.length === 0 ? undefined : Math.min(...ladder.map((s) => s.days));
}

/** A rung that is only taken once something is overdue (an overdue episode has begun). */
export function isOverdueStep(step: DunningStep): boolean {
  return step.days >= 1;
}

const RANK: Record<CustomerStatus, number> = { active: 0, locked: 1, suspended: 2 };

/** suspended > locked > active: dunning only ever moves a customer up this order. */
export function isStronger(a: CustomerStatus, b: CustomerStatus): boolean {
  return RANK[a] > RANK[b];
}

/**
 * Of the rungs newly due in one evaluation, the one whose e-mail is sent and the one whose status is
 * applied: the latest of each. A customer first seen at +14 gets the final notice, not four e-mails at once;
 * the earlier rungs are still recorded, as superseded.
 */
export function actingSteps(newlyDue: readonly DunningStep[]): {
  email: DunningStep | undefined;
  status: DunningStep | undefined;
} {
  const latest = (pick: (s: DunningStep) => boolean) =>
    newlyDue
      .filter(pick)
      .reduce<DunningStep | undefined>((best, s) => (!best || s.days >= best.days ? s : best), undefined);
  return {
    email: latest((s) => s.email !== undefined),
    status: newlyDue
      .filter((s) => s.status !== undefined)
      .reduce<DunningStep | undefined>(
        (best, s) =>
          !best || isStronger(s.status!, best.status!) || (s.status === best.status && s.days >= best.days)
            ? s
            : best,
        undefined,
      ),
  };
}
