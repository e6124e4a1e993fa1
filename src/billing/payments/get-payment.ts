import { customerScope } from "../../kernel/actor.ts";
import { type Page, pageOf, offsetOf } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { type Payment, PaymentIdParams, PaymentListQuery } from "./payment-schemas.ts";
import { readPayment } from "./read-payment.ts";
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

/** Payments, newest first, of one customer or invoice or all. */
export const listPayments = defineVerb(PaymentListQuery, async ({ ctx, input }): Promise<Page<Payment>> => {
  await requireReadAccess(ctx);
  const customerId = customerScope(ctx.actor, input.customer_id);
  let q = ctx.db.selectFrom("payment");
  if (customerId !== undefined) q = q.where("customer_id", "=", customerId);
  if (input.invoice_id) q = q.where("invoice_id", "=", input.invoice_id);
  const [ids, count] = await Promise.all([
    q
      .select("id")
      .orderBy("paid_at", "desc")
      .orderBy("id", "desc")
      .limit(input.per_page)
      .offset(offsetOf(input))
      .execute(),
    q.select((eb) => eb.fn.countAll<bigint>().as("n")).executeTakeFirstOrThrow(),
  ]);
  const data = [];
  for (const { id } of ids) data.push(await readPayment(ctx.db, id));
  return pageOf(data, count.n, input);
});
