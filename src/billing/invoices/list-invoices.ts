import { sql } from "kysely";
import { z } from "zod";
import { customerScope } from "../../kernel/actor.ts";
import {
  assertPageOrCursor,
  countIfAsked,
  cursorKeyId,
  type KeysetPage,
  keysetPageOf,
  readCursor,
} from "../../kernel/list-cursor.ts";
import { offsetOf } from "../../kernel/pagination.ts";
import { periodString } from "../../kernel/schemas.ts";
import { type Invoice, InvoiceListQuery, presentInvoice } from "./invoice-schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { invoiceAmountsDue } from "../ledger/ledger.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";

/** The list's whole sort key as a cursor holds it: period, customer id and invoice id, as text. */
const InvoiceKey = z.tuple([periodString, cursorKeyId, z.string().regex(/^inv_[0-9a-f]{1,64}$/)]);

/**
 * Invoices without their lines, by period (newest first) then customer and id; a customer sees only its own.
 * Filters: period, customer, number, status (draft, finalized, partially_paid, paid, void), currency. Paged
 * by `page`, or walked by `cursor` (meta.next_cursor).
 */
export const listInvoices = defineVerb(
  InvoiceListQuery,
  async ({ ctx, input }): Promise<KeysetPage<Invoice>> => {
    // A customer is scoped to itself below; every other caller reads as staff.
    await requireReadAccess(ctx);
    assertPageOrCursor(input);
    const customerId = customerScope(ctx.actor, input.customer_id);
    const filters = {
      period: input.period,
      customer_id: customerId,
      status: input.status,
      number: input.number,
      currency: input.currency,
    };
    let q = ctx.db.selectFrom("invoice");
    if (input.period) q = q.where("period", "=", input.period);
    if (customerId) q = q.where("customer_id", "=", customerId);
    if (input.status) q = q.where("status", "=", input.status);
    if (input.number) q = q.where("number", "=", input.number);
    if (input.currency) q = q.where("currency_code", "=", input.currency);
    // The id last: a period reissued for a customer holds the void invoice and its replacement.
    const ordered = (f: typeof q, limit: number) =>
      f.selectAll().orderBy("period", "desc").orderBy("customer_id").orderBy("id").limit(limit);
    const take = input.per_page + 1;
    const after =
      input.cursor === undefined ? undefined : readCursor("invoices", filters, InvoiceKey, input.cursor);
    // Started now, beside the page's reads; only when asked for (a page by number, or `total=true`).
    const counting = countIfAsked(input, q);
    let rows: Awaited<ReturnType<ReturnType<typeof ordered>["execute"]>>;
    if (after === undefined) {
      rows = await ordered(q, take).offset(offsetOf(input)).execute();
    } else {
      // The order is mixed (period DESC, then customer and id ASC), which one row comparison cannot say: the
      // rest of the cursor's period, then the periods before it, each a range of the list's index.
      const [period, customer, id] = after;
      rows = await ordered(
        q.where("period", "=", period).where(sql<boolean>`(customer_id, id) > (${BigInt(customer)}, ${id})`),
        take,
      ).execute();
      if (rows.length < take)
        rows = rows.concat(await ordered(q.where("period", "<", period), take - rows.length).execute());
    }
    const page = keysetPageOf(rows, await counting, input, {
      list: "invoices",
      filters,
      keyOf: (r) => [r.period, String(r.customer_id), r.id],
    });
    // Amounts due are projections of the ledger: one grouped query for the page.
    const dues = await invoiceAmountsDue(
      ctx.db,
      page.rows.map((r) => r.id),
    );
    return {
      data: page.rows.map((r) => ({ ...presentInvoice(r), amount_due: dues.get(r.id) ?? 0n })),
      meta: page.meta,
    };
  },
);
