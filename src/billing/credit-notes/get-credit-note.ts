import { customerScope } from "../../kernel/actor.ts";
import { type Page, fetchPage } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";
import { fieldError } from "../payments/field-error.ts";
import {
  type CreditNote,
  CreditNoteIdParams,
  CreditNoteListQuery,
  presentCreditNote,
} from "./credit-note-schemas.ts";
import { settledAs } from "./credit-note-settlements.ts";

/** One credit note; a customer reads only its own (another's is NOT_FOUND). */
export const getCreditNote = defineVerb(CreditNoteIdParams, async ({ ctx, input }): Promise<CreditNote> => {
  await requireReadAccess(ctx);
  const row = await ctx.db
    .selectFrom("credit_note")
    .selectAll()
    .where("id", "=", input.id)
    .executeTakeFirst();
  const scoped = row && (ctx.actor.kind !== "customer" || ctx.actor.customerId === row.customer_id);
  if (!row || !scoped) throw fieldError("NOT_FOUND", "credit_note_id", `credit note ${input.id} not found`);
  customerScope(ctx.actor, row.customer_id);
  return presentCreditNote(row);
});

/** Credit notes by number, of one customer or invoice or all, and of one way their money went (`settled`). */
export const listCreditNotes = defineVerb(
  CreditNoteListQuery,
  async ({ ctx, input }): Promise<Page<CreditNote>> => {
    const page = await listCreditNotesNamed({ ctx, input });
    return { ...page, data: page.data.map(({ invoice_number: _n, customer_name: _c, ...note }) => note) };
  },
);

/** A credit note with what names it on a page: its invoice's number and the customer's name on that invoice. */
export type NamedCreditNote = CreditNote & { invoice_number: string | null; customer_name: string };

/**
 * listCreditNotes with each note's invoice number and customer name, read in the same statement, for the
 * console's list (until 2026-12-06 it showed the customer's number and a bare "Invoice" link).
 */
export const listCreditNotesNamed = defineVerb(
  CreditNoteListQuery,
  async ({ ctx, input }): Promise<Page<NamedCreditNote>> => {
    await requireReadAccess(ctx);
    const customerId = customerScope(ctx.actor, input.customer_id);
    let q = ctx.db.selectFrom("credit_note").innerJoin("invoice", "invoice.id", "credit_note.invoice_id");
    if (customerId !== undefined) q = q.where("credit_note.customer_id", "=", customerId);
    if (input.invoice_id) q = q.where("credit_note.invoice_id", "=", input.invoice_id);
    if (input.settled) q = q.where(settledAs(input.settled));
    return fetchPage(
      q,
      input,
      (f) =>
        f
          .selectAll("credit_note")
          .select(["invoice.number as invoice_number", "invoice.customer_name as customer_name"])
          .orderBy("credit_note.number_sequence")
          .orderBy("credit_note.number_value"),
      (row) => {
        const { invoice_number, customer_name, ...note } = row;
        return { ...presentCreditNote(note), invoice_number, customer_name };
      },
    );
  },
);
