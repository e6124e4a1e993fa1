import { z } from "zod";
import { readInvoice } from "../../billing/invoices/get-invoice.ts";
import { type Invoice, presentInvoice } from "../../billing/invoices/invoice-schemas.ts";
import { renderInvoice } from "../../billing/invoices/render-invoice.ts";
import { invoiceAmountsDue } from "../../billing/ledger/ledger.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { fetchPage, type Page, PageQuery } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { periodString } from "../../kernel/schemas.ts";
import { ownRecord, portalCustomerId } from "./portal-customer.ts";

// The customer's invoices in the portal. Only issued ones: a draft may still change before its run
// finalizes it, so the customer never sees it (nor learns that it exists).

const PortalRecordId = z.object({ id: z.string().max(300) }).strict();

/**
 * What a customer looks an invoice up by: its state in their words ("open" is anything with an amount that
 * was due when issued and is not settled: finalized or partly paid) and its month.
 */
const PORTAL_INVOICE_STATES = {
  open: ["finalized", "partially_paid"],
  paid: ["paid"],
  void: ["void"],
} as const;
export const PortalInvoiceQuery = PageQuery.extend({
  status: z.enum(["open", "paid", "void"], { message: "must be open, paid or void" }).optional(),
  period: periodString.optional(),
});

export const listPortalInvoices = defineVerb(
  PortalInvoiceQuery,
  async ({ ctx, input }): Promise<Page<Invoice>> => {
    const customerId = portalCustomerId(ctx);
    let q = ctx.db.selectFrom("invoice").where("customer_id", "=", customerId).where("status", "!=", "draft");
    if (input.status) q = q.where("status", "in", [...PORTAL_INVOICE_STATES[input.status]]);
    if (input.period) q = q.where("period", "=", input.period);
    const page = await fetchPage(
      q,
      input,
      (f) => f.selectAll().orderBy("period", "desc").orderBy("id", "desc"),
      (r) => presentInvoice(r),
    );
    const dues = await invoiceAmountsDue(
      ctx.db,
      page.data.map((i) => i.id),
    );
    return { ...page, data: page.data.map((i) => ({ ...i, amount_due: dues.get(i.id) ?? 0n })) };
  },
);

/** The invoice id when it is one of this customer's issued invoices; NOT_FOUND otherwise. */
export async function ownIssuedInvoiceId(ctx: ServiceContext, id: string): Promise<string> {
  const row = await ownRecord(ctx, { id, prefix: "inv", noun: "invoice" }, (wanted) =>
    ctx.db
      .selectFrom("invoice")
      .select(["id", "customer_id"])
      .where("id", "=", wanted)
      .where("status", "!=", "draft")
      .executeTakeFirst(),
  );
  return row.id;
}

/** One of the customer's issued invoices with its lines and amount due. */
export const getPortalInvoice = defineVerb(PortalRecordId, async ({ ctx, input }): Promise<Invoice> => {
  return readInvoice(ctx.db, await ownIssuedInvoiceId(ctx, input.id));
});

/** The invoice's PDF, the same document the e-mail carries. */
export const portalInvoicePdf = defineVerb(
  PortalRecordId,
  async ({ ctx, input }): Promise<{ number: string; pdf: Buffer }> => {
    const id = await ownIssuedInvoiceId(ctx, input.id);
    const invoice = await readInvoice(ctx.db, id);
    const pdf = await renderInvoice({ ctx, input: { id, format: "pdf" } });
    return { number: invoice.number ?? id, pdf: pdf as Buffer };
  },
);
