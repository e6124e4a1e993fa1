import { sql } from "kysely";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import type { PricingSnapshot } from "../../services/pricing/pricing-snapshot.ts";
import { recordAnomalies } from "./anomaly.ts";
import { buildInvoice } from "./build-invoice.ts";
import type { CustomerSnapshot } from "./customer-snapshot.ts";
import { type DraftResult, draftInvoices, type RunRef } from "./draft-invoices.ts";
import type { BillableUsage } from "./recompute-usage.ts";

// One batch is written while the next is computed: the database and the process each have work.
const IN_FLIGHT = 2;

/** Thrown by the crash fault: the run's row is left "running", exactly as after SIGKILL. */
export class SimulatedCrash extends Error {
  constructor(customers: number) {
    super(`simulated crash after ${customers} customers`);
    this.name = "SimulatedCrash";
  }
}

export interface DraftAllInput {
  run: RunRef;
  usage: Map<bigint, BillableUsage[]>;
  pricing: PricingSnapshot;
  customers: ReadonlyMap<bigint, CustomerSnapshot>;
  onProgress: (processed: number, total: number) => void;
  /** Stop dead once this many customers are drafted (a test's stand-in for SIGKILL). */
  crashAfterCustomers?: number | undefined;
}

/**
 * Drafts every customer's invoice in customer-id order, BILLING_BATCH_SIZE customers per transaction
 * (invoices, lines, anomalies, progress and audit row together). Usage is dropped from memory as soon as
 * its batch is built, so a big month does not hold two copies.
 */
export async function draftAll(
  ctx: ServiceContext,
  input: DraftAllInput,
): Promise<{ created: number; alreadyPresent: number }> {
  const ids = [...input.usage.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const size = ctx.config.BILLING_BATCH_SIZE;
  const inFlight = new Set<Promise<void>>();
  let created = 0;
  let alreadyPresent = 0;
  let processed = 0;
  let failure: unknown;
  for (let i = 0; i < ids.length && failure === undefined; i += size) {
    if (input.crashAfterCustomers !== undefined && i >= input.crashAfterCustomers) break;
    const batch = ids.slice(i, i + size);
    const drafts = batch.map((id) =>
      buildInvoice(
        input.usage.get(id)!,
        input.pricing.facts(id),
        ctx.config.ROUNDING_MODE,
        ctx.config.TAX_ROUNDING,
      ),
    );
    for (const id of batch) input.usage.delete(id);
    const write = writeBatch(ctx, input, batch, drafts).then(
      (r) => {
        created += r.created;
        alreadyPresent += r.existing;
        processed += batch.length;
        input.onProgress(processed, ids.length);
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
  if (input.crashAfterCustomers !== undefined && processed < ids.length) throw new SimulatedCrash(processed);
  return { created, alreadyPresent };
}

function writeBatch(
  ctx: ServiceContext,
  input: DraftAllInput,
  batch: bigint[],
  drafts: Parameters<typeof draftInvoices>[2],
): Promise<DraftResult> {
  return ctx.db.transaction().execute(async (trx) => {
    const r = await draftInvoices(trx, input.run, drafts, input.customers, ctx.now());
    await recordAnomalies(trx, input.run, r.anomalies);
    // Batches may commit out of order: progress adds up instead of being set.
    await trx
      .updateTable("billing_run")
      .set({ processed: sql`processed + ${batch.length}`, heartbeat_at: ctx.now() })
      .where("id", "=", input.run.id)
      .execute();
    if (r.created > 0) {
      await recordAudit(trx, ctx, {
        action: "draft",
        entity: "billing_run",
        entityId: input.run.id,
        before: null,
        after: { step: "drafted", invoices: r.created, customers: [String(batch[0]), String(batch.at(-1))] },
      });
    }
    return r;
  });
}
