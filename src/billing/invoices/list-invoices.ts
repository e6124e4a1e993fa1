import { customerScope } from "../../kernel/actor.ts";
import { type Page, fetchPage } from "../../kernel/pagination.ts";
import { type Invoice, InvoiceListQuery, presentInvoice } from "./invoice-schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";

/** Invoices without their lines, by period then customer; a customer sees only its own. */
export const listInvoices = defineVerb(InvoiceListQuery, async ({ ctx, input }): Promise<Page<Invoice>> => {
  const customerId = customerScope(ctx.actor, input.customer_id);
  let q = ctx.db.selectFrom("invoice");
  if (input.period) q = q.where("period", "=", input.period);
  if (customerId) q = q.where("customer_id", "=", customerId);
  if (input.status) q = q.where("status", "=", input.status);
  if (input.number) q = q.where("number", "=", input.number);
  return fetchPage(
    q,
    input,
    (f) => f.selectAll().orderBy("period", "desc").orderBy("customer_id"),
    (r) => presentInvoice(r),
  );
});
