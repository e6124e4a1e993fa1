import { setTimeout } from "node:timers/promises";
import { buildInvoice } from "../../billing/runs/build-invoice.ts";
import { importUsage } from "../../billing/runs/import-usage.ts";
import { currentMonthSoFar } from "../../billing/runs/recorded-period-bounds.ts";
import { dropStaleEstimates, UsageStage } from "../../billing/runs/usage-stage.ts";
import { usageSourcesFromConfig } from "../../billing/usage/usage-sources-from-config.ts";
import type { UsagePeriod, UsageRecord, UsageSource } from "../../domain/usage-record.ts";
import type { Db, ServiceContext } from "../../kernel/context.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { randomHex } from "../../kernel/random-hex.ts";
import { within } from "../../kernel/within.ts";
import { PricingSnapshot } from "../pricing/pricing-snapshot.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";
import {
  CLAIM_RENEWED_MS,
  claimHour,
  type EstimateFigures,
  readEstimates,
  recordFigures,
  releaseClaim,
  renewClaim,
  type StoredEstimate,
} from "./estimate-claims.ts";

export interface MonthToDateEstimate {
  /**
   * The billing month so far (BILLING_TIME_ZONE, its start where the month billed before ended): [start,
   * end), end being the start of the current hour counted from the month's start.
   */
  period: { start: string; end: string };
  /** Whether the usage source answered; when not, `problem` says why and the figures are empty. */
  available: boolean;
  problem: string | null;
  customers: number;
  servers: number;
  tokens: bigint;
  /** What invoicing the usage so far would come to, per currency (minor units, taxes included). */
  revenue: { currency: string; amount: bigint; customers: number }[];
  /** When these figures were computed (once an hour on the database: the hour is what they cover); null before the first. */
  computedAt: string | null;
  /** The current hour's figures are being computed: these are the last ones, or none yet (computedAt null). */
  computing: boolean;
}

const NO_FIGURES: EstimateFigures = { customers: 0, servers: 0, tokens: 0n, revenue: [] };

/** Customers priced together: one pricing load and one read of the stage each. */
const CUSTOMERS_A_BATCH = 1000;
/** An estimate's stage older than this belongs to a process that died while it estimated. */
const STALE_STAGE_MS = 60 * 60_000;

/** The usage source failed (as opposed to the database): the estimate says so instead of failing the page. */
class SourceFailed extends Error {}

/** The server is stopping: an estimate stops at its next record or batch, and its stage goes. */
export class EstimateStopped extends Error {}

/** The source's records, its failures marked as its own, ending early once `signal` is aborted. */
function marking(source: UsageSource, signal: AbortSignal | undefined): UsageSource {
  return {
    name: source.name,
    async *fetchUsage(period: UsagePeriod) {
      const records = source.fetchUsage(period)[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<UsageRecord>;
        try {
          next = await records.next();
        } catch (error) {
          throw new SourceFailed((error as Error).message);
        }
        if (next.done) return;
        if (signal?.aborted) throw new EstimateStopped();
        yield next.value;
      }
    },
  };
}

/** The billed source as configured; one that cannot be made is a failure of the source too. */
function billedSource(ctx: ServiceContext): UsageSource {
  try {
    return usageSourcesFromConfig(ctx).source;
  } catch (error) {
    throw new SourceFailed((error as Error).message);
  }
}

/**
 * The month's usage so far priced as a billing run prices it, with memory that does not grow with the book:
 * the records go into a stage of their own page by page (importUsage, as a billing run imports them, so a
 * duplicate counts once and the usage of no customer is left out), and are read back and priced a batch of
 * customers at a time. Nothing is kept but the stage, which goes at the end. At a million customers the
 * figures had been every record in memory and one statement of every customer's id, which failed.
 */
export async function estimateUsage(
  ctx: ServiceContext,
  source: UsageSource,
  period: UsagePeriod,
): Promise<EstimateFigures> {
  await dropStaleEstimates(ctx.db, new Date(ctx.now().getTime() - STALE_STAGE_MS));
  const stage = UsageStage.forEstimate(ctx.now());
  await stage.create(ctx.db);
  try {
    await importUsage(ctx.db, {
      source: marking(source, ctx.signal),
      period,
      stage,
      report: async () => {},
    });
    const revenue = new Map<string, { amount: bigint; customers: number }>();
    let tokens = 0n;
    let customers = 0;
    for (let after = 0n; ; ) {
      if (ctx.signal?.aborted) throw new EstimateStopped();
      const batch = await stage.readCustomers(ctx.db, after, CUSTOMERS_A_BATCH);
      if (batch.length === 0) break;
      after = batch.at(-1)!.customerId;
      const pricing = await PricingSnapshot.load(
        ctx.db,
        batch.map((c) => c.customerId),
      );
      for (const c of batch) {
        // Deleted since its usage was staged: a billing run would report it, not bill it.
        if (!pricing.has(c.customerId)) continue;
        const facts = pricing.facts(c.customerId);
        const draft = buildInvoice(c.usage, facts, ctx.config.ROUNDING_MODE, ctx.config.TAX_ROUNDING);
        const sum = revenue.get(facts.currency.code) ?? { amount: 0n, customers: 0 };
        revenue.set(facts.currency.code, {
          amount: sum.amount + draft.totals.total,
          customers: sum.customers + 1,
        });
        tokens += draft.tokens;
        customers += 1;
      }
    }
    return {
      customers,
      servers: await stage.countServers(ctx.db),
      tokens,
      revenue: [...revenue]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([currency, r]) => ({ currency, ...r })),
    };
  } finally {
    await stage.drop(ctx.db);
  }
}

/** How long a view waits for figures being computed before it shows the last ones (or says they are coming). */
const VIEW_WAITS_MS = 3_000;
/** While another instance computes, a view looks for its figures this often, within its wait. */
const LOOKS_EVERY_MS = 250;

/**
 * This instance's own part, per database: its name in claims and the hours it is computing. The figures are
 * the database's (estimate-claims.ts), shared by every instance: at a million customers an hour's figures read
 * as much usage as a billing run's import (minutes of the database's time), so an hour is computed once on
 * the database, by the instance whose view claimed it, and every view of that hour on any instance shows it.
 */
interface Estimator {
  id: string;
  computing: Map<string, Promise<MonthToDateEstimate>>;
}
const estimators = new WeakMap<Db, Estimator>();

function estimatorOf(db: Db): Estimator {
  let estimator = estimators.get(db);
  if (!estimator) {
    estimator = { id: `estimator_${randomHex(8)}`, computing: new Map() };
    estimators.set(db, estimator);
  }
  return estimator;
}

/**
 * This month's accruing usage and what it would bill, as an estimate: the billed usage source read for the
 * month so far, priced the way a billing run prices it (importUsage, buildInvoice, PricingSnapshot), and
 * nothing written but a stage that goes at the end and the hour's figures. The month's invoice may differ:
 * usage still accrues, and prices may change.
 */
export const monthToDateEstimate = defineVerb(NoInput, async ({ ctx }): Promise<MonthToDateEstimate> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  return viewEstimate(ctx, { source: () => billedSource(ctx), waitMs: VIEW_WAITS_MS });
});

/**
 * The verb's work once access is granted, with its source and its wait given (tests give them). The current
 * hour's figures when computed; else the view claims the hour (unless another instance holds it) and waits
 * at most `waitMs` for them, then shows the hour before's figures marked as being updated, or none yet. A
 * source that could not be read, or a computation that failed, gives the hour up: the next view tries again.
 */
export async function viewEstimate(
  ctx: ServiceContext,
  options: { source: () => UsageSource; waitMs: number },
): Promise<MonthToDateEstimate> {
  // The billing period so far, bounded as the run that will invoice it bounds it: after a change of
  // BILLING_TIME_ZONE, from where the month billed before ended (period-tiling.ts).
  const { start, end } = await currentMonthSoFar(ctx.db, ctx.now(), ctx.config.BILLING_TIME_ZONE);
  const range = { start, end };
  const period = { start: range.start.toISOString(), end: range.end.toISOString() };
  const stored = await readEstimates(ctx.db, range.end);
  if (stored.current) return shown(stored.current, false);
  const estimator = estimatorOf(ctx.db);
  // An instance older than its database (ctx.readOnly) claims and computes nothing: it shows what the
  // instances of the newer version compute, or the hour before's figures.
  if (!ctx.readOnly && !estimator.computing.has(period.end) && (await claimHour(ctx.db, range, estimator.id)))
    computeHour(ctx, estimator, options.source, range, period);
  const mine = estimator.computing.get(period.end);
  if (mine) {
    const answer = await within(mine, options.waitMs);
    if (answer.settled) return answer.value;
  } else {
    const theirs = await lookForFigures(ctx.db, range.end, options.waitMs);
    if (theirs) return shown(theirs, false);
  }
  if (stored.last) return shown(stored.last, true);
  return { period, available: true, problem: null, ...NO_FIGURES, computedAt: null, computing: true };
}

function shown(stored: StoredEstimate, computing: boolean): MonthToDateEstimate {
  return {
    period: stored.period,
    available: true,
    problem: null,
    ...stored.figures,
    computedAt: stored.computedAt,
    computing,
  };
}

/** Another instance computes the hour: its figures if they are written within `waitMs`. */
async function lookForFigures(db: Db, end: Date, waitMs: number): Promise<StoredEstimate | undefined> {
  const until = Date.now() + waitMs;
  for (let left = waitMs; left > 0; left = until - Date.now()) {
    await setTimeout(Math.min(LOOKS_EVERY_MS, left));
    const { current } = await readEstimates(db, end);
    if (current) return current;
  }
  return undefined;
}

/**
 * The claimed hour computed in the background, owned by the server (at close it stops at its next record or
 * batch and drops its stage), its claim renewed meanwhile. Figures are written for every instance; an
 * unavailable source or a failure gives the claim up.
 */
function computeHour(
  ctx: ServiceContext,
  estimator: Estimator,
  source: () => UsageSource,
  range: UsagePeriod,
  period: MonthToDateEstimate["period"],
): void {
  const renewal = setInterval(() => {
    renewClaim(ctx.db, range.end, estimator.id).catch(() => {});
  }, CLAIM_RENEWED_MS);
  renewal.unref();
  const result = (async () => {
    try {
      const answer = await compute(ctx, source, range, period);
      if (answer.available && answer.computedAt)
        await recordFigures(ctx.db, range.end, estimator.id, new Date(answer.computedAt), answer);
      else await releaseClaim(ctx.db, range.end, estimator.id);
      return answer;
    } catch (error) {
      await releaseClaim(ctx.db, range.end, estimator.id).catch(() => {});
      throw error;
    } finally {
      clearInterval(renewal);
    }
  })();
  estimator.computing.set(period.end, result);
  result
    .catch((error: unknown) => {
      if (!(error instanceof EstimateStopped))
        ctx.logger.warn({ err: error }, "the month-to-date estimate could not be computed");
    })
    .finally(() => estimator.computing.delete(period.end));
  ctx.background?.add(result);
}

async function compute(
  ctx: ServiceContext,
  source: () => UsageSource,
  range: UsagePeriod,
  period: MonthToDateEstimate["period"],
): Promise<MonthToDateEstimate> {
  const computedAt = ctx.now().toISOString();
  const done = { computedAt, computing: false };
  if (range.end <= range.start) return { period, available: true, problem: null, ...NO_FIGURES, ...done };
  try {
    const figures = await estimateUsage(ctx, source(), range);
    return { period, available: true, problem: null, ...figures, ...done };
  } catch (error) {
    if (!(error instanceof SourceFailed)) throw error;
    return { period, available: false, problem: error.message, ...NO_FIGURES, ...done };
  }
}
