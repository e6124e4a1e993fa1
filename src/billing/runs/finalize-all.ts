import { setTimeout } from "node:timers/promises";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { databaseTraits } from "../../db/database-traits.ts";
import { giveWay } from "../../db/give-way.ts";
import { calendarDate } from "./calendar-date.ts";
import { BillingInterrupted } from "./draft-all.ts";
import type { RunRef } from "./draft-invoices.ts";
import { type FinalizeBatchResult, finalizeInvoices } from "./finalize-invoices.ts";
import {
  finalizerLeaseHolder,
  releaseFinalizerLease,
  renewFinalizerLease,
  takeFinalizerLease,
} from "./finalizer-lease.ts";

// How many finalization batches are open at once on PostgreSQL. A batch's numbering (the invoices' UPDATE,
// about a third of its database work, docs/performance.md) and its commit wait for the batch before it; the
// rest, the open batches do side by side. Three measured a little faster than two on two cores.
const IN_FLIGHT = 3;

const LEASE_POLL_MS = 200;
// How often a run waiting for the lease says it is alive (start-billing-run.ts counts 10 minutes of silence
// as a dead run).
const HEARTBEAT_MS = 30_000;

export interface FinalizeAllOptions {
  signal?: AbortSignal | undefined;
  /** Throw inside the n-th finalization transaction (1-based), after its numbers were written. */
  failBatch?: number | undefined;
  /** Throw from the query for the n-th range of drafts (1-based), before that range's batch opens. */
  failRange?: number | undefined;
  /** Batch n waits for its turn only once batch n + 1 waits for its own (on PostgreSQL; a test's fault). */
  holdBatch?: number | undefined;
  onProgress: (finalized: number, total: number) => void;
}

/**
 * Finalizes every draft of the period, BILLING_BATCH_SIZE customers a transaction, in customer-id order,
 * until none is left, and returns how many. The run first takes the period's finalizer lease
 * (finalizer-lease.ts; another run of the period waits for it and then finds nothing left). On PostgreSQL it
 * keeps up to three batches open at once: each batch locks its drafts and writes its ledger entries and jobs
 * beside the others, and takes its numbers once the batch before it has committed, so numbers follow customer
 * ids as in one batch at a time (billing-rules §5).
 */
export async function finalizeAll(
  ctx: ServiceContext,
  run: RunRef,
  options: FinalizeAllOptions,
): Promise<number> {
  const total = await startFinalizing(ctx, run);
  options.onProgress(0, total);
  const traits = databaseTraits(ctx.db);
  // PGlite has one session: a batch waiting for its turn there would hold it from the batch it waits for.
  // On PostgreSQL one connection is left to the query for the next range.
  const inFlight = traits.server ? Math.max(1, Math.min(IN_FLIGHT, traits.connections - 1)) : 1;
  await waitForFinalizerLease(ctx, run, options.signal);
  try {
    return await new Finalizer(ctx, run, options, total).finalizeEvery(inFlight);
  } finally {
    // Not released (the database went away): it lapses, and the next run takes it then.
    await releaseFinalizerLease(ctx.db, run.period, run.id).catch((e: unknown) =>
      ctx.logger.warn({ err: e, runId: run.id }, "could not release the finalizer lease"),
    );
  }
}

/**
 * Waits for the period's finalizer lease, asking again every LEASE_POLL_MS, so that a stopping process stops
 * (BillingInterrupted) and a waiting run keeps its heartbeat.
 */
async function waitForFinalizerLease(
  ctx: ServiceContext,
  run: RunRef,
  signal: AbortSignal | undefined,
): Promise<void> {
  let beat = Date.now();
  let told = false;
  for (;;) {
    if (await takeFinalizerLease(ctx.db, run.period, run.id)) return;
    if (signal?.aborted) throw new BillingInterrupted();
    if (!told) {
      told = true;
      const holder = await finalizerLeaseHolder(ctx.db, run.period);
      ctx.logger.info(
        { runId: run.id, period: run.period, holder },
        "another run is finalizing this period: waiting for it",
      );
    }
    // Each poll that found the lease held, at debug level: a test waits for polls to go by, not for a duration.
    ctx.logger.debug({ runId: run.id, period: run.period }, "the finalizer lease is still held");
    if (Date.now() - beat >= HEARTBEAT_MS) {
      beat = Date.now();
      await ctx.db
        .updateTable("billing_run")
        .set({ heartbeat_at: ctx.now() })
        .where("id", "=", run.id)
        .execute();
    }
    await setTimeout(LEASE_POLL_MS);
  }
}

async function startFinalizing(ctx: ServiceContext, run: RunRef): Promise<number> {
  const pending = await ctx.db
    .selectFrom("invoice")
    .select((eb) => eb.fn.countAll<bigint>().as("n"))
    .where("period", "=", run.period)
    .where("status", "=", "draft")
    .executeTakeFirstOrThrow();
  await ctx.db
    .updateTable("billing_run")
    .set({ phase: "finalizing", processed: 0, total: Number(pending.n), heartbeat_at: ctx.now() })
    .where("id", "=", run.id)
    .execute();
  return Number(pending.n);
}

interface Signal {
  promise: Promise<void>;
  resolve(): void;
}

class Finalizer {
  private finalized = 0;
  private batches = 0;
  private ranges = 0;
  /** Per batch number, resolved once the batch waits for its turn (only with the holdBatch fault). */
  private readonly waiting = new Map<number, Signal>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly billingRun: RunRef,
    private readonly options: FinalizeAllOptions,
    private readonly total: number,
  ) {}

  /**
   * Every draft of the period exists before this run finalizes (its own, or another run's it waited for),
   * so walking customer ids forward misses none; one another run adds later is finalized by that run.
   */
  async finalizeEvery(inFlight: number): Promise<number> {
    const after = inFlight > 1 ? await this.pipelined(inFlight) : 0n;
    // What is left after the measured ranges (fewer drafts than a batch), or everything, one batch at a time.
    for (let from = after; ; ) {
      if (this.options.signal?.aborted) throw new BillingInterrupted();
      const result = await this.batch(from, undefined, undefined);
      if (result.finalized === 0) return this.finalized;
      from = result.lastCustomer!;
    }
  }

  /**
   * Measures out ranges of BILLING_BATCH_SIZE drafts and finalizes `inFlight` of them at a time, each batch
   * numbering once the one before it has committed. Returns the end of the last range; a failed batch fails
   * the ones after it before they number, and then the run.
   */
  private async pipelined(inFlight: number): Promise<bigint> {
    const size = this.ctx.config.BILLING_BATCH_SIZE;
    const open = new Set<Promise<unknown>>();
    let previous: Promise<unknown> = Promise.resolve();
    let failure: unknown;
    let after = 0n;
    while (failure === undefined) {
      if (this.options.signal?.aborted) {
        failure = new BillingInterrupted();
        break;
      }
      // A failure here stops the loop like a batch's: the open batches end before the run does.
      const upTo = await this.rangeEnd(after, size).catch((error: unknown) => {
        failure ??= error;
        return undefined;
      });
      if (upTo === undefined) break;
      const before = previous;
      const batch = this.batch(after, upTo, () =>
        before.then(
          () => {},
          () => {
            throw new Error("not numbered: the finalization batch before this one failed");
          },
        ),
      );
      previous = batch;
      after = upTo;
      const settled = batch.then(
        () => {},
        (error: unknown) => {
          failure ??= error;
        },
      );
      open.add(settled);
      void settled.then(() => open.delete(settled));
      if (open.size >= inFlight) await Promise.race(open);
    }
    // No batch comes after the last one opened: one held for it (the holdBatch fault) goes ahead.
    if (this.options.holdBatch !== undefined) this.waitingFor(this.batches + 1).resolve();
    await Promise.all(open);
    if (failure !== undefined) throw failure;
    return after;
  }

  /** The customer closing the next range of `size` drafts after `after`; undefined when fewer are left. */
  private async rangeEnd(after: bigint, size: number): Promise<bigint | undefined> {
    if (this.options.failRange === ++this.ranges) {
      throw new Error(`injected failure measuring finalization range ${this.ranges}`);
    }
    const row = await this.ctx.db
      .selectFrom("invoice")
      .select("customer_id")
      .where("period", "=", this.billingRun.period)
      .where("status", "=", "draft")
      .where("customer_id", ">", after)
      .orderBy("customer_id")
      .offset(size - 1)
      .limit(1)
      .executeTakeFirst();
    return row?.customer_id;
  }

  private async batch(
    after: bigint,
    upTo: bigint | undefined,
    turn: (() => Promise<void>) | undefined,
  ): Promise<FinalizeBatchResult> {
    const n = ++this.batches;
    const { ctx, billingRun: run } = this;
    const inOrder =
      turn !== undefined && this.options.holdBatch !== undefined ? () => this.heldTurn(n, turn) : turn;
    // On PGlite, what came in during the batch before (an API request) has the session before this one.
    await giveWay(ctx.db);
    const now = ctx.now();
    const result = await ctx.db.transaction().execute(async (trx) => {
      const r = await finalizeInvoices(trx, {
        period: run.period,
        limit: ctx.config.BILLING_BATCH_SIZE,
        after,
        upTo,
        issueDate: calendarDate(now, ctx.config.BILLING_TIME_ZONE),
        paymentTermsDays: ctx.config.PAYMENT_TERMS_DAYS,
        format: ctx.config.INVOICE_NUMBER_FORMAT,
        now,
        applyCredit: ctx.config.CREDIT_APPLY_ON_FINALIZE,
        // Its turn: after the batch before it, and while this run still holds the period.
        turn: async () => {
          await inOrder?.();
          await renewFinalizerLease(trx, run.period, run.id);
        },
      });
      if (r.finalized === 0) return r;
      if (this.options.failBatch === n) throw new Error(`injected failure in finalization batch ${n}`);
      // After the turn, so batches update the run's row one after another; they add up, as they may be
      // counted in any order.
      await trx
        .updateTable("billing_run")
        .set((eb) => ({ processed: eb("processed", "+", r.finalized), heartbeat_at: now }))
        .where("id", "=", run.id)
        .execute();
      await recordAudit(trx, ctx, {
        action: "finalize",
        entity: "billing_run",
        entityId: run.id,
        before: null,
        after: { step: "finalized", invoices: r.finalized, numbers: [r.first, r.last] },
      });
      return r;
    });
    // Only a batch that finalized something moves the count: the last batch, which finds no draft left,
    // reported the count before it a second time.
    if (result.finalized === 0) return result;
    this.finalized += result.finalized;
    this.options.onProgress(this.finalized, Math.max(this.total, this.finalized));
    return result;
  }

  /**
   * The batch's turn under the holdBatch fault: batch n first waits until batch n + 1 waits for its turn, the
   * order two batches would number in if nothing kept them in customer order.
   */
  private async heldTurn(n: number, turn: () => Promise<void>): Promise<void> {
    this.waitingFor(n).resolve();
    if (this.options.holdBatch === n) await this.waitingFor(n + 1).promise;
    await turn();
  }

  private waitingFor(n: number): Signal {
    let waiting = this.waiting.get(n);
    if (waiting === undefined) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      waiting = { promise, resolve };
      this.waiting.set(n, waiting);
    }
    return waiting;
  }
}
