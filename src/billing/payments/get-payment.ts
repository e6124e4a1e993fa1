import { sql } from "kysely";
import type { Tx } from "../../kernel/context.ts";
import { customerScope } from "../../kernel/actor.ts";
import { type Page, pageOf, offsetOf } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { type Payment, PaymentIdParams, PaymentListQuery } from "./payment-schemas.ts";
import { presentPayments, readPayment } from "./read-payment.ts";
import { fieldError } from "./field-error.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";

/** One payment with its allocations, credit and refunds; a customer reads only its own. */
export const getPayment = defineVerb(PaymentIdParams, async ({ ctx, input }): Promise<Payment> => {
  await requireReadAccess(ctx);
  const payment = await readPayment(ctx.db, input.id);
  try {
    customerScope(ctx.actor, BigInt(payment.customer_id));
  } catch (e) {
    if ((e as { code?: string }).code === "NOT_FOUND")
      throw fieldError("NOT_FOUND", "payment_id", `payment ${input.id} not found`);
    throw e;
  }
  return payment;
});

/**
 * The payments of an invoice: recorded against it, or allocated to it (a customer's payment, or credit a
 * payment left, paying it: its receivable entries name both). A union, so each half uses its own index
 * (payment_invoice, ledger_entry_invoice) and the payments are then read by key.
 */
function paymentsOfInvoice(db: Tx, invoiceId: string) {
  return db
    .selectFrom("payment")
    .select("id")
    .where("invoice_id", "=", invoiceId)
    .union(
      db
        .selectFrom("ledger_entry")
        .select(sql<string>`payment_id`.as("id"))
        .where("invoice_id", "=", invoiceId)
        .where("account", "=", "receivable")
        .where("payment_id", "is not", null),
    );
}

/** Payments, newest first, of one customer or invoice or all: four statements a page, whatever its size. */
export const listPayments = defineVerb(PaymentListQuery, async ({ ctx, input }): Promise<Page<Payment>> => {
  await requireReadAccess(ctx);
  const customerId = customerScope(ctx.actor, input.customer_id);
  let q = ctx.db.selectFrom("payment");
  if (customerId !== undefined) q = q.where("customer_id", "=", customerId);
  if (input.invoice_id) q = q.where("id", "in", paymentsOfInvoice(ctx.db, input.invoice_id));
  const [rows, count] = await Promise.all([
    q
      .selectAll()
      .orderBy("paid_at", "desc")
      .orderBy("id", "desc")
      .limit(input.per_page)
      .offset(offsetOf(input))
      .execute(),
    q.select((eb) => eb.fn.countAll<bigint>().as("n")).executeTakeFirstOrThrow(),
  ]);
  // The page's ledger projections and refunds in one statement each, not three statements a payment.
  return pageOf(await presentPayments(ctx.db, rows), count.n, input);
});
