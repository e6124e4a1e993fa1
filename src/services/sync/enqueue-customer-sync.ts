import { jobInsert } from "../../jobs/enqueue-job.ts";
import type { JobKind, SyncCustomerPayload } from "../../jobs/job-payloads.ts";
import { signalJobsWritten } from "../../jobs/job-wakeups.ts";
import type { Tx } from "../../kernel/context.ts";

export type { SyncCustomerPayload } from "../../jobs/job-payloads.ts";

export const SYNC_CUSTOMER_JOB = "solusio.sync_customer" satisfies JobKind;

export function customerOrderingKey(customerId: bigint): string {
  return `customer:${customerId}`;
}

/**
 * Queues "make SolusIO's user match this customer" in the caller's transaction and marks the customer
 * pending. The job reads the customer's state when it runs, so repeats and reorderings converge.
 * `created` only in the transaction that creates the customer: that job's first attempt creates the
 * SolusIO user without looking for it first.
 */
export async function enqueueCustomerSync(
  trx: Tx,
  customerId: bigint,
  deleted?: SyncCustomerPayload["deleted"],
  created = false,
): Promise<void> {
  const payload: SyncCustomerPayload = {
    customerId: customerId.toString(),
    ...(deleted ? { deleted } : {}),
    ...(created && !deleted ? { created: true as const } : {}),
  };
  const job = jobInsert(trx, {
    kind: SYNC_CUSTOMER_JOB,
    payload,
    orderingKey: customerOrderingKey(customerId),
  });
  if (deleted) await job.execute();
  else {
    // One statement writes the job and marks the customer; a new customer is pending already, so its row is
    // left alone (no write, no new row version).
    await trx
      .with("queued", () => job)
      .updateTable("customer")
      .set({ sync_state: "pending", sync_error: null })
      .where("id", "=", customerId)
      .where((eb) => eb.or([eb("sync_state", "!=", "pending"), eb("sync_error", "is not", null)]))
      .execute();
  }
  signalJobsWritten();
}
