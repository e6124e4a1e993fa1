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

/** Credit notes by number, of one customer or invoice or all. */
export const listCreditNotes = defineVerb(
  CreditNoteListQuery,
  async ({ ctx, input }): Promise<Page<CreditNote>> => {
    await requireReadAccess(ctx);
    const customerId = customerScope(ctx.actor, input.customer_id);
    let q = ctx.db.selectFrom("credit_note");
    if (customerId !== undefined) q = q.where("customer_id", "=", customerId);
    if (input.invoice_id) q = q.where("invoice_id", "=", input.invoice_id);
    return fetchPage(
      q,
      input,
      (f) => f.selectAll().orderBy("number_sequence").orderBy("number_value"),
      presentCreditNote,
    );
  },
);
