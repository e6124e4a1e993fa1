import { customerScope } from "../../kernel/actor.ts";
import { type Page, fetchPage } from "../../kernel/pagination.ts";
import { type Invoice, InvoiceListQuery, presentInvoice } from "./invoice-schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { invoiceAmountsDue } from "../ledger/ledger.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";

/**
 * Invoices without their lines, by period then customer; a customer sees only its own. Filters: period,
 * customer, number, status (draft, finalized, partially_paid, paid, void).
 */
export const listInvoices = defineVerb(InvoiceListQuery, async ({ ctx, input }): Promise<Page<Invoice>> => {
  // A customer is scoped to itself below; every other caller reads as staff.
  await requireReadAccess(ctx);
  const customerId = customerScope(ctx.actor, input.customer_id);
  let q = ctx.db.selectFrom("invoice");
  if (input.period) q = q.where("period", "=", input.period);
  if (customerId) q = q.where("customer_id", "=", customerId);
  if (input.status) q = q.where("status", "=", input.status);
  if (input.number) q = q.where("number", "=", input.number);
  if (input.currency) q = q.where("currency_code", "=", input.currency);
  const page = await fetchPage(
    q,
    input,
    // The id last: a period reissued for a customer holds the void invoice and its replacement.
    (f) => f.selectAll().orderBy("period", "desc").orderBy("customer_id").orderBy("id"),
    (r) => presentInvoice(r),
  );
  // Amounts due are projections of the ledger: one grouped query for the page.
  const dues = await invoiceAmountsDue(
    ctx.db,
    page.data.map((i) => i.id),
  );
  return { ...page, data: page.data.map((i) => ({ ...i, amount_due: dues.get(i.id) ?? 0n })) };
});
