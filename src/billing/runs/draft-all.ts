import { sql } from "kysely";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { loadOwnDiscounts } from "../../services/pricing/pricing-rows.ts";
import type { PricingSnapshot } from "../../services/pricing/pricing-snapshot.ts";
import { recordAnomalies } from "./anomaly.ts";
import { buildInvoice, invoiceOutOfRange } from "./build-invoice.ts";
import { type CustomerSnapshot, loadCustomerBatch } from "./customer-snapshot.ts";
import { type DraftResult, draftInvoices, type RunRef } from "./draft-invoices.ts";
import type { UsageStage } from "./usage-stage.ts";

// Batches are written while the next is read and computed: the database and the process each have work,
// and a round trip's wait is spent on another batch.
const IN_FLIGHT = 3;

/**
 * Thrown when the process is stopping (its `signal` aborted): the run stopped between two batches, each of
 * which committed whole, and the next run resumes from there (billing-rules §5).
 */
export class BillingInterrupted extends Error {
  constructor() {
    super("interrupted: the process was stopping; the next attempt resumes where this one stopped");
    this.name = "BillingInterrupted";
  }
}

/** Thrown by the crash fault: the run's row is left "running", exactly as after SIGKILL. */
export class SimulatedCrash extends Error {
  constructor(customers: number) {
    super(`simulated crash after ${customers} customers`);
    this.name = "SimulatedCrash";
  }
}

export interface DraftAllInput {
  run: RunRef;
  stage: UsageStage;
  /** Customers with usage (the stage's count), for progress. */
  total: number;
  /** The shared pricing inputs; each batch's customers are added for the batch and removed after it. */
  pricing: PricingSnapshot;
  onProgress: (processed: number, total: number) => void;
  /** Stop dead once this many customers are drafted (a test's stand-in for SIGKILL). */
  crashAfterCustomers?: number | undefined;
  /** Aborted when the process is stopping: no further batch starts, the ones in flight commit. */
  signal?: AbortSignal | undefined;
}

/**
 * Drafts every customer's invoice in customer-id order, BILLING_BATCH_SIZE customers per transaction
 * (invoices, lines, anomalies, progress and audit row together). Each batch is read back from the stage
 * after the previous one (keyset on customer_id) with its customers' rows, so memory holds the batches in
 * flight and never the month.
 */
export async function draftAll(
  ctx: ServiceContext,
  input: DraftAllInput,
): Promise<{ created: number; alreadyPresent: number }> {
  const size = ctx.config.BILLING_BATCH_SIZE;
  const inFlight = new Set<Promise<void>>();
  let created = 0;
  let alreadyPresent = 0;
  let processed = 0;
  let read = 0;
  let crashed = false;
  let failure: unknown;
  for (let after = 0n; failure === undefined; ) {
    if (input.signal?.aborted) {
      failure = new BillingInterrupted();
      break;
    }
    const usage = await input.stage.readCustomers(ctx.db, after, size);
    if (usage.length === 0) break;
    if (input.crashAfterCustomers !== undefined && read >= input.crashAfterCustomers) {
      crashed = true;
      break;
    }
    after = usage.at(-1)!.customerId;
    read += usage.length;
    const batch = usage.map((c) => c.customerId);
    const [customers, own] = await Promise.all([
      loadCustomerBatch(ctx.db, batch),
      loadOwnDiscounts(ctx.db, batch),
    ]);
    input.pricing.replaceCustomers(batch, customers.pricing, own);
    const drafts = usage.map((c) =>
      buildInvoice(
        c.usage,
        input.pricing.facts(c.customerId),
        ctx.config.ROUNDING_MODE,
        ctx.config.TAX_ROUNDING,
      ),
    );
    input.pricing.replaceCustomers(batch, [], []);
    // Stops the run before this batch is written. The batches before it commit whole: a run after the price
    // is mended drafts the rest (and reports any earlier draft the new price changes as invoice_differs).
    const tooLarge = drafts.map(invoiceOutOfRange).find((problem) => problem !== undefined);
    if (tooLarge !== undefined) {
      failure = new ServiceError("CONFLICT", tooLarge);
      break;
    }
    const write = writeBatch(ctx, input.run, batch, drafts, customers.snapshots).then(
      (r) => {
        created += r.created;
        alreadyPresent += r.existing;
        processed += batch.length;
        input.onProgress(processed, Math.max(input.total, processed));
      },
      (error: unknown) => {
        failure ??= error;
      },
    );
    inFlight.add(write);
    void write.finally(() => inFlight.delete(write));
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  if (crashed) throw new SimulatedCrash(processed);
  return { created, alreadyPresent };
}

function writeBatch(
  ctx: ServiceContext,
  run: RunRef,
  batch: bigint[],
  drafts: Parameters<typeof draftInvoices>[2],
  customers: ReadonlyMap<bigint, CustomerSnapshot>,
): Promise<DraftResult> {
  return ctx.db.transaction().execute(async (trx) => {
    const r = await draftInvoices(trx, run, drafts, customers, ctx.now());
    await recordAnomalies(trx, run, r.anomalies);
    // Batches may commit out of order: progress adds up instead of being set. The same statement turns off
    // the wait for the disk at commit (set_config(…, true) = SET LOCAL, without a round trip of its own):
    // a draft lost to a database crash is drafted again by the next run (billing-rules §5 convergence).
    await sql`
      UPDATE billing_run SET processed = processed + ${batch.length}, heartbeat_at = ${ctx.now()}
      WHERE id = ${run.id} AND set_config('synchronous_commit', 'off', true) = 'off'`.execute(trx);
    if (r.created > 0) {
      await recordAudit(trx, ctx, {
        action: "draft",
        entity: "billing_run",
        entityId: run.id,
        before: null,
        after: { step: "drafted", invoices: r.created, customers: [String(batch[0]), String(batch.at(-1))] },
      });
    }
    return r;
  });
}
