import { calendarDate } from "../../billing/runs/calendar-date.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { within } from "../../kernel/within.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";
import { type OverdueTotal, overdueTotals } from "./overdue-totals.ts";

// The dashboard's overdue totals, shared by the views of one process for a minute. The figures join every
// open invoice past its due date with its ledger entries: with a million overdue invoices (the benchmark's
// book billed for one period, its due date passed, 2026-12-03) that took 3.7–4.8 s, on every view of the
// console's first page. A view now shows figures at most FRESH_MS old; when they are older it starts one
// computation, shared by every view meanwhile, and waits at most VIEW_WAITS_MS for it, then shows the figures
// it has, marked as being updated.

/** How long figures are shown without computing them again. */
export const FRESH_MS = 60_000;
/** How long a view waits for a computation before it shows what it has. */
export const VIEW_WAITS_MS = 1_000;

export interface OverdueView {
  totals: OverdueTotal[];
  /** When the figures shown were computed (ISO 8601); null while the first are computed. */
  computedAt: string | null;
  /** Newer figures are being computed. */
  computing: boolean;
}

interface Computed {
  totals: OverdueTotal[];
  at: Date;
  /** The billing time zone's date the figures count overdue from. */
  day: string;
}

interface Cache {
  last?: Computed;
  pending?: Promise<Computed>;
}

/** Per database: the figures belong to a book, and tests open several at once. */
const caches = new WeakMap<object, Cache>();

/** The computation itself: the overdueTotals verb (tests give a slower one). */
type Compute = (ctx: ServiceContext) => Promise<OverdueTotal[]>;
const computeTotals: Compute = (ctx) => overdueTotals({ ctx, input: {} });

export async function viewOverdueTotals(
  ctx: ServiceContext,
  options: { freshMs?: number; waitMs?: number; compute?: Compute } = {},
): Promise<OverdueView> {
  await requireStaffRole(ctx, ...READ_ROLES);
  const { freshMs = FRESH_MS, waitMs = VIEW_WAITS_MS, compute = computeTotals } = options;
  const cache = caches.get(ctx.db) ?? {};
  caches.set(ctx.db, cache);
  const now = ctx.now();
  const day = calendarDate(now, ctx.config.BILLING_TIME_ZONE);
  const last = cache.last;
  // A new day makes invoices due yesterday overdue: figures of another day are never shown as current.
  const current = last !== undefined && last.day === day && now.getTime() - last.at.getTime() < freshMs;
  if (current) return shown(last, false);
  if (!cache.pending) {
    const started = (async () => ({ totals: await compute(ctx), at: now, day }))();
    const shared = started.finally(() => {
      if (cache.pending === shared) cache.pending = undefined;
    });
    cache.pending = shared;
    // Kept only if no newer figures arrived meanwhile; a failure reaches the views that wait for it.
    shared.then(
      (figures) => {
        if (!cache.last || cache.last.at <= figures.at) cache.last = figures;
      },
      () => {},
    );
  }
  const answer = await within(cache.pending, waitMs);
  if (answer.settled) return shown(answer.value, false);
  if (last?.day === day) return shown(last, true);
  return { totals: [], computedAt: null, computing: true };
}

function shown(figures: Computed, computing: boolean): OverdueView {
  return { totals: figures.totals, computedAt: figures.at.toISOString(), computing };
}
