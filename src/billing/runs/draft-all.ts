import { sql } from "kysely";
import { databaseTraits } from "../../db/database-traits.ts";
import { giveWay } from "../../db/give-way.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { loadOwnDiscounts } from "../../services/pricing/pricing-rows.ts";
import type { PricingSnapshot } from "../../services/pricing/pricing-snapshot.ts";
import { type Anomaly, recordAnomalies } from "./anomaly.ts";
import { buildInvoice, type DraftInvoice, invoiceOutOfRange } from "./build-invoice.ts";
import { type CustomerSnapshot, loadCustomerBatch } from "./customer-snapshot.ts";
import { type DraftResult, draftInvoices, type RunRef } from "./draft-invoices.ts";
import type { CustomerUsage, UsageStage } from "./usage-stage.ts";

// Batches are written while the next is read and computed: the database and the process each have work,
// and a round trip's wait is spent on another batch. Not on PGlite, which works in this thread: there a batch
// in flight would only queue its transaction behind the one before, and a request behind both (give-way.ts).
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
  /** A test's hook between a batch's read and its write (BillingFaults.beforeDraftWrite). */
  beforeWrite?: ((customerIds: readonly bigint[]) => Promise<void>) | undefined;
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
  const most = databaseTraits(ctx.db).server ? IN_FLIGHT : 1;
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
    // On PGlite, what came in during the last batch (an API request) has the session before this one's read.
    await giveWay(ctx.db);
    const usage = await input.stage.readCustomers(ctx.db, after, size);
    if (usage.length === 0) break;
    if (input.crashAfterCustomers !== undefined && read >= input.crashAfterCustomers) {
      crashed = true;
      break;
    }
    after = usage.at(-1)!.customerId;
    read += usage.length;
    const batch = usage.map((c) => c.customerId);
    const priced = await priceBatch(ctx, ctx.db, usage, input.pricing);
    // Stops the run before this batch is written. The batches before it commit whole: a run after the price
    // is mended drafts the rest (and reports any earlier draft the new price changes as invoice_differs).
    const tooLarge = firstOutOfRange(priced.drafts);
    if (tooLarge !== undefined) {
      failure = new ServiceError("CONFLICT", tooLarge);
      break;
    }
    await input.beforeWrite?.(batch);
    const write = writeBatch(ctx, input, usage, priced).then(
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
    if (inFlight.size >= most) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  if (crashed) throw new SimulatedCrash(processed);
  return { created, alreadyPresent };
}

interface PricedBatch {
  drafts: DraftInvoice[];
  customers: ReadonlyMap<bigint, CustomerSnapshot>;
}

/**
 * Prices a batch's customers from their rows read through `db`. The shared pricing snapshot holds them only
 * while their drafts are built, without an await in between, so batches in flight never see each other's.
 */
async function priceBatch(
  ctx: ServiceContext,
  db: Tx,
  usage: readonly CustomerUsage[],
  pricing: PricingSnapshot,
): Promise<PricedBatch> {
  const ids = usage.map((c) => c.customerId);
  const [customers, own] = await Promise.all([loadCustomerBatch(db, ids), loadOwnDiscounts(db, ids)]);
  pricing.replaceCustomers(ids, customers.pricing, own);
  try {
    const drafts = usage.map((c) =>
      buildInvoice(c.usage, pricing.facts(c.customerId), ctx.config.ROUNDING_MODE, ctx.config.TAX_ROUNDING),
    );
    return { drafts, customers: customers.snapshots };
  } finally {
    pricing.replaceCustomers(ids, [], []);
  }
}

const firstOutOfRange = (drafts: readonly DraftInvoice[]) =>
  drafts.map(invoiceOutOfRange).find((problem) => problem !== undefined);

/**
 * The batch's customers' currencies, each row locked FOR KEY SHARE until the batch commits. A currency
 * changes only under the customer's FOR UPDATE lock and only while the customer has no invoice
 * (customers.ts), so once these locks are held the drafts' currencies can be checked against them for good.
 */
async function lockedCurrencies(trx: Tx, ids: readonly bigint[]): Promise<Map<bigint, string>> {
  const rows = await trx
    .selectFrom("customer")
    .select(["id", "currency_code"])
    .where("id", "in", ids)
    .forKeyShare()
    .execute();
  return new Map(rows.map((r) => [r.id, r.currency_code]));
}

async function writeBatch(
  ctx: ServiceContext,
  input: DraftAllInput,
  usage: readonly CustomerUsage[],
  priced: PricedBatch,
): Promise<DraftResult> {
  const { run } = input;
  const batch = usage.map((c) => c.customerId);
  // And what came in during its read and pricing has it before its transaction.
  await giveWay(ctx.db);
  return ctx.db.transaction().execute(async (trx) => {
    const currencies = await lockedCurrencies(trx, batch);
    let { drafts, customers } = priced;
    const gone = batch.filter((id) => !currencies.has(id));
    // Staff changed a currency or deleted a customer between the batch's read and this transaction: the
    // batch is priced again from what the locks now hold, so no invoice is written in a currency its
    // customer no longer has (the currency check in customers.ts then refuses the change for good).
    if (gone.length > 0 || drafts.some((d) => currencies.get(d.customerId) !== d.facts.currency.code)) {
      ({ drafts, customers } = await priceBatch(
        ctx,
        trx,
        usage.filter((c) => currencies.has(c.customerId)),
        input.pricing,
      ));
      const tooLarge = firstOutOfRange(drafts);
      if (tooLarge !== undefined) throw new ServiceError("CONFLICT", tooLarge);
    }
    await assertExponentsUnchanged(trx, drafts);
    const r = await draftInvoices(trx, run, drafts, customers, ctx.now());
    await recordAnomalies(trx, run, [...r.anomalies, ...gone.map(deletedDuringRun)]);
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

/**
 * Refuses the batch when a currency's exponent changed after the run read its pricing: its amounts would be
 * in minor units of the wrong size. An exponent changes only while nothing is held in the currency, under the
 * currency row's FOR UPDATE lock (currency-rules.ts), so with the rows locked FOR SHARE here the check holds
 * until the batch commits. The run fails before this batch; a run started again reads the new exponent.
 */
async function assertExponentsUnchanged(trx: Tx, drafts: readonly DraftInvoice[]): Promise<void> {
  const used = new Map(drafts.map((d) => [d.facts.currency.code, d.facts.currency.decimals]));
  if (used.size === 0) return;
  const rows = await trx
    .selectFrom("currency")
    .select(["code", "exponent"])
    .where("code", "in", [...used.keys()])
    .forShare()
    .execute();
  const changed = rows.find((r) => used.get(r.code) !== r.exponent);
  if (changed)
    throw new ServiceError(
      "CONFLICT",
      `currency ${changed.code}'s exponent changed to ${changed.exponent} while this run priced in ` +
        `${used.get(changed.code)}: run the period again, which prices in the new one`,
    );
}

const deletedDuringRun = (customerId: bigint): Anomaly => ({
  kind: "unknown_billing_user",
  customerId: null,
  billingUserId: customerId,
  message: `customer ${customerId} was deleted while the run drafted; its usage of the period is not invoiced`,
});
