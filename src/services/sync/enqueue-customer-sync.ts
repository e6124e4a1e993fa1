import { enqueueJob } from "../../jobs/enqueue-job.ts";
import type { Tx } from "../context.ts";

export const SYNC_CUSTOMER_JOB = "solusio.sync_customer";

export interface SyncCustomerPayload {
  customerId: string;
  /** Set when the customer was deleted in billing: what is needed to find and delete the SolusIO user. */
  deleted?: { email: string; solusioUserId: string | null };
}

export function customerOrderingKey(customerId: bigint): string {
  return `customer:${customerId}`;
}

/**
 * Queues "make SolusIO's user match this customer" in the caller's transaction and marks the customer
 * pending. The job reads the customer's state when it runs, so repeats and reorderings converge.
 */
export async function enqueueCustomerSync(
  trx: Tx,
  customerId: bigint,
  deleted?: SyncCustomerPayload["deleted"],
): Promise<void> {
  const payload: SyncCustomerPayload = { customerId: customerId.toString(), ...(deleted ? { deleted } : {}) };
  await enqueueJob(trx, { kind: SYNC_CUSTOMER_JOB, orderingKey: customerOrderingKey(customerId), payload });
  if (!deleted) {
    await trx
      .updateTable("customer")
      .set({ sync_state: "pending", sync_error: null })
      .where("id", "=", customerId)
      .execute();
  }
}
