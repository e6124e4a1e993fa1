import type { CustomerStatus, StatusSource } from "../../db/schema.ts";
import { recordAudit } from "../../kernel/audit.ts";
import type { ServiceContext, Tx } from "../../kernel/context.ts";
import { enqueueCustomerSync } from "../../services/sync/enqueue-customer-sync.ts";
import { isStronger } from "./dunning-ladder.ts";

// What dunning does to a customer's status, and how it undoes exactly that (billing-rules §8). Every change
// goes through the user sync outbox (enqueueCustomerSync) in the caller's transaction, so SolusIO sees the
// changes in order, with retries.

export interface CustomerState {
  id: bigint;
  status: CustomerStatus;
  status_source: StatusSource | null;
  status_reason: string | null;
}

/** What a status rung decided, kept in the step's details: enough to undo it later. */
export interface StatusChange {
  from: CustomerStatus;
  to: CustomerStatus;
  source_before: StatusSource | null;
  reason_before: string | null;
}

/**
 * A lock or suspension set by anyone but dunning is manual. A status without a source predates the column
 * (migration 013) and was set by staff: it counts as manual too.
 */
export function isManual(c: Pick<CustomerState, "status" | "status_source">): boolean {
  return c.status !== "active" && c.status_source !== "dunning";
}

/**
 * The change a status rung makes, or why it makes none. Dunning only ever strengthens a status: a staff
 * suspension stays as it is, a staff lock may become a (dunning) suspension.
 */
export function planStatus(
  customer: CustomerState,
  target: CustomerStatus,
): { change: StatusChange } | { unchanged: string } {
  if (!isStronger(target, customer.status)) {
    return {
      unchanged: isManual(customer)
        ? `kept ${customer.status} (set by staff): dunning never weakens a manual status`
        : `already ${customer.status}`,
    };
  }
  return {
    change: {
      from: customer.status,
      to: target,
      source_before: customer.status_source,
      reason_before: customer.status_reason,
    },
  };
}

export async function applyStatus(
  trx: Tx,
  ctx: ServiceContext,
  customer: CustomerState,
  next: { status: CustomerStatus; source: StatusSource | null; reason: string | null },
): Promise<void> {
  await trx
    .updateTable("customer")
    .set({
      status: next.status,
      status_source: next.source,
      status_reason: next.reason,
      updated_at: ctx.now(),
    })
    .where("id", "=", customer.id)
    .execute();
  await enqueueCustomerSync(trx, customer.id);
  await recordAudit(trx, ctx, {
    action: "update",
    entity: "customer",
    entityId: String(customer.id),
    before: {
      status: customer.status,
      status_source: customer.status_source,
      status_reason: customer.status_reason,
    },
    after: { status: next.status, status_source: next.source, status_reason: next.reason },
  });
}
