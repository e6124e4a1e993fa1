import { sql } from "kysely";
import type { InvoiceStatus } from "../../db/schema.ts";
import { enqueueAll, type NewJob } from "../../jobs/enqueue-job.ts";
import type { Tx } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { emitInvoiceEvents } from "../invoices/emit-invoice-event.ts";
import { invoiceAmountsDue } from "../ledger/ledger.ts";

// What every money-in event (payment, refund, credit note, credit applied) shares: the customer row is
// locked first, so two events of one customer never interleave and cannot over-allocate (the invoices
// are locked after it, always in that order, so no two events deadlock); invoice states follow the
// ledger's amount due afterwards.

/** Locks the customer for a money event and returns what the event needs of it, or NOT_FOUND (field). */
export async function lockCustomerForMoney(
  trx: Tx,
  customerId: bigint,
  field = "customer_id",
): Promise<{ id: bigint; currency_code: string }> {
  const row = await trx
    .selectFrom("customer")
    .select(["id", "currency_code"])
    .where("id", "=", customerId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) {
    throw new ServiceError("NOT_FOUND", `customer ${customerId} not found`, [
      { field, message: "no such customer" },
    ]);
  }
  return row;
}

/**
 * The state §7 gives an issued invoice: paid when its amount due reaches 0, partially_paid once a payment
 * or applied credit covers part of it, else finalized. An invoice of 0 never owed anything: it stays
 * finalized, as the billing run issued it.
 */
export function statusForAmountDue(input: {
  total: bigint;
  due: bigint;
  creditNoted: bigint;
}): InvoiceStatus {
  if (input.total === 0n) return "finalized";
  if (input.due <= 0n) return "paid";
  // What payments and applied credit cover now; credit notes lower the due without paying anything.
  const received = input.total - input.creditNoted - input.due;
  return received > 0n ? "partially_paid" : "finalized";
}

export interface StatusChange {
  id: string;
  from: InvoiceStatus;
  to: InvoiceStatus;
}

/**
 * Moves each issued invoice to the state its amount due gives it (callers hold the invoice rows locked)
 * and announces `invoice.paid` for those that reached paid. Draft and void invoices are left alone.
 */
export async function settleInvoiceStatuses(
  trx: Tx,
  invoiceIds: readonly string[],
  at: Date,
): Promise<StatusChange[]> {
  const ids = [...new Set(invoiceIds)];
  if (ids.length === 0) return [];
  const rows = await trx
    .selectFrom("invoice")
    .leftJoin(
      (eb) =>
        eb
          .selectFrom("ledger_entry")
          .select([
            "invoice_id",
            sql<bigint>`sum(amount)::bigint`.as("due"),
            sql<bigint>`coalesce(-sum(amount) FILTER (WHERE event_kind = 'credit_note'), 0)::bigint`.as(
              "credit_noted",
            ),
          ])
          .where("account", "=", "receivable")
          .where("invoice_id", "in", ids)
          .groupBy("invoice_id")
          .as("l"),
      (join) => join.onRef("l.invoice_id", "=", "invoice.id"),
    )
    .select(["invoice.id", "invoice.status", "invoice.total", "l.due", "l.credit_noted"])
    .where("invoice.id", "in", ids)
    .where("invoice.status", "in", ["finalized", "partially_paid", "paid"])
    .execute();
  const changes: StatusChange[] = [];
  for (const r of rows) {
    const to = statusForAmountDue({
      total: r.total,
      due: BigInt(r.due ?? 0n),
      creditNoted: BigInt(r.credit_noted ?? 0n),
    });
    if (to !== r.status) changes.push({ id: r.id, from: r.status, to });
  }
  for (const to of ["finalized", "partially_paid", "paid"] as const) {
    const moved = changes.filter((c) => c.to === to).map((c) => c.id);
    if (moved.length === 0) continue;
    await trx.updateTable("invoice").set({ status: to, updated_at: at }).where("id", "in", moved).execute();
  }
  const paid = changes.filter((c) => c.to === "paid").map((c) => c.id);
  if (paid.length > 0) await emitInvoiceEvents(trx, { event: "invoice.paid", invoiceIds: paid, at });
  return changes;
}

/** Dunning looks again at the customer after every payment, refund and credit note (billing-rules §8). */
export async function requestDunningEvaluation(trx: Tx, customerId: bigint): Promise<void> {
  await enqueueAll(trx, [dunningEvaluationJob(customerId)]);
}

/** The job requestDunningEvaluation writes, for a caller that writes it inside a larger statement. */
export function dunningEvaluationJob(customerId: bigint): NewJob {
  return {
    kind: "dunning.evaluate",
    payload: { customer_id: String(customerId) },
    orderingKey: `dunning:${customerId}`,
  };
}

/** Amounts due of invoices from the ledger; an invoice with no entry owes 0. */
export async function amountsDue(trx: Tx, invoiceIds: readonly string[]): Promise<Map<string, bigint>> {
  const found = await invoiceAmountsDue(trx, invoiceIds);
  return new Map(invoiceIds.map((id) => [id, found.get(id) ?? 0n]));
}

/**
 * The customer's open invoices in `currency` with what each owes, oldest first (by due date, then number),
 * locked: where money the customer is owed goes before any of it becomes credit (billing-rules §7). Call it
 * after lockCustomerForMoney. `reopened`: invoices this transaction's ledger lines reopened whose status
 * still reads `paid` (settleInvoiceStatuses has not run yet); they count as open too.
 */
export async function lockOpenInvoicesOldestFirst(
  trx: Tx,
  customerId: bigint,
  currency: string,
  reopened: readonly string[] = [],
): Promise<{ id: string; due: bigint }[]> {
  const rows = await trx
    .selectFrom("invoice")
    .select("id")
    .where("customer_id", "=", customerId)
    .where("currency_code", "=", currency)
    .where((eb) =>
      reopened.length === 0
        ? eb("status", "in", ["finalized", "partially_paid"])
        : eb.or([
            eb("status", "in", ["finalized", "partially_paid"]),
            eb.and([eb("status", "=", "paid"), eb("id", "in", [...reopened])]),
          ]),
    )
    .orderBy("due_date")
    .orderBy("number")
    .forUpdate()
    .execute();
  const dues = await amountsDue(
    trx,
    rows.map((i) => i.id),
  );
  return rows.map((i) => ({ id: i.id, due: dues.get(i.id) ?? 0n }));
}
