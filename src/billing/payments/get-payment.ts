import { sql } from "kysely";
import type { Tx } from "../../kernel/context.ts";
import { customerScope } from "../../kernel/actor.ts";
import { z } from "zod";
import {
  assertPageOrCursor,
  countIfAsked,
  cursorKeyInstant,
  instantKeyOf,
  type KeysetPage,
  keysetPageOf,
  readCursor,
} from "../../kernel/list-cursor.ts";
import { offsetOf } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { type Payment, PaymentIdParams, PaymentListQuery } from "./payment-schemas.ts";
import { presentPayments, readPayment } from "./read-payment.ts";
import { fieldError } from "./field-error.ts";
import { receivedWindow } from "./received-window.ts";
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

/** The list's sort key as a cursor holds it: paid_at to the microsecond in UTC, then the payment id. */
const PaymentKey = z.tuple([cursorKeyInstant, PaymentIdParams.shape.id]);

/**
 * Payments, newest first, of one customer or invoice or all, narrowed by method, currency and the days they were
 * received (inclusive, days in BILLING_TIME_ZONE): four statements a page, whatever its size. Paged by `page`,
 * or walked by `cursor` (meta.next_cursor), which holds to the filters it was made under.
 */
export const listPayments = defineVerb(
  PaymentListQuery,
  async ({ ctx, input }): Promise<KeysetPage<Payment>> => {
    await requireReadAccess(ctx);
    assertPageOrCursor(input);
    const customerId = customerScope(ctx.actor, input.customer_id);
    const timeZone = ctx.config.BILLING_TIME_ZONE;
    const received = receivedWindow(input.received_from, input.received_to, timeZone);
    const filters = {
      customer_id: customerId,
      invoice_id: input.invoice_id,
      method: input.method,
      currency: input.currency,
      received_from: input.received_from,
      received_to: input.received_to,
      // The days are read in the zone: a cursor made before BILLING_TIME_ZONE changed names other payments.
      time_zone: input.received_from !== undefined || input.received_to !== undefined ? timeZone : undefined,
    };
    const after =
      input.cursor === undefined ? undefined : readCursor("payments", filters, PaymentKey, input.cursor);
    let q = ctx.db.selectFrom("payment");
    if (customerId !== undefined) q = q.where("customer_id", "=", customerId);
    if (input.invoice_id) q = q.where("id", "in", paymentsOfInvoice(ctx.db, input.invoice_id));
    if (input.method) q = q.where("method", "=", input.method);
    if (input.currency) q = q.where("currency_code", "=", input.currency);
    if (received.from) q = q.where("paid_at", ">=", received.from);
    if (received.before) q = q.where("paid_at", "<", received.before);
    let page = q
      .selectAll()
      .select(instantKeyOf("paid_at").as("paid_at_key"))
      .orderBy("paid_at", "desc")
      .orderBy("id", "desc")
      .limit(input.per_page + 1);
    // One row comparison in the order of payment_list_order (paid_at DESC, id DESC), payment_customer and the
    // method's and currency's list indexes (migration 042).
    page = after
      ? page.where(sql<boolean>`(paid_at, id) < (${after[0]}::timestamptz, ${after[1]})`)
      : page.offset(offsetOf(input));
    const [rows, count] = await Promise.all([page.execute(), countIfAsked(input, q)]);
    const shown = keysetPageOf(rows, count, input, {
      list: "payments",
      filters,
      keyOf: (r) => [r.paid_at_key, r.id],
    });
    // The page's ledger projections and refunds in one statement each, not three statements a payment.
    return { data: await presentPayments(ctx.db, shown.rows), meta: shown.meta };
  },
);
