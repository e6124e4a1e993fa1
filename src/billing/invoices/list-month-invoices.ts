import { customerScope } from "../../kernel/actor.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";
import { type Invoice, InvoiceIdParams, presentInvoice } from "./invoice-schemas.ts";

/** More than a month ever holds: one invoice in force, and each void one released before it. */
const MONTH_LIMIT = 100;

/**
 * Every invoice of an invoice's customer and month, itself included, without lines or amounts due: what an
 * invoice's page links to (reissue-chain.ts). Named by the invoice, not by a period: the list's period filter
 * reads only billable months (1970 on), and the database holds any YYYY-MM, which a page must still show.
 */
export const listMonthInvoices = defineVerb(InvoiceIdParams, async ({ ctx, input }): Promise<Invoice[]> => {
  await requireReadAccess(ctx);
  const invoice = await ctx.db
    .selectFrom("invoice")
    .select(["customer_id", "period"])
    .where("id", "=", input.id)
    .executeTakeFirst();
  if (!invoice) throw ServiceError.notFound(`invoice ${input.id}`);
  // A customer reads only its own months; another's invoice is NOT_FOUND, as getInvoice answers.
  customerScope(ctx.actor, invoice.customer_id);
  const rows = await ctx.db
    .selectFrom("invoice")
    .selectAll()
    .where("customer_id", "=", invoice.customer_id)
    .where("period", "=", invoice.period)
    .orderBy("id")
    .limit(MONTH_LIMIT)
    .execute();
  return rows.map((r) => presentInvoice(r));
});
