import type { VerbArgs } from "../../services/context.ts";
import { offsetOf, type Page, pageOf } from "../../services/pagination.ts";
import { type Invoice, type InvoiceListQuery, presentInvoice } from "./invoice-schemas.ts";

/** Invoices without their lines, by period then customer. */
export async function listInvoices({ ctx, input }: VerbArgs<InvoiceListQuery>): Promise<Page<Invoice>> {
  let q = ctx.db.selectFrom("invoice");
  if (input.period) q = q.where("period", "=", input.period);
  if (input.customer_id) q = q.where("customer_id", "=", input.customer_id);
  if (input.status) q = q.where("status", "=", input.status);
  if (input.number) q = q.where("number", "=", input.number);
  const [rows, count] = await Promise.all([
    q
      .selectAll()
      .orderBy("period", "desc")
      .orderBy("customer_id")
      .limit(input.per_page)
      .offset(offsetOf(input))
      .execute(),
    q.select((eb) => eb.fn.countAll<bigint>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return pageOf(
    rows.map((r) => presentInvoice(r)),
    count.n,
    input,
  );
}
