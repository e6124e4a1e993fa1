import { z } from "zod";
import { customerScope } from "../../kernel/actor.ts";
import type { Db, Tx } from "../../kernel/context.ts";
import { sql } from "kysely";
import {
  assertPageOrCursor,
  countIfAsked,
  type KeysetPage,
  keysetPageOf,
  readCursor,
} from "../../kernel/list-cursor.ts";
import { offsetOf } from "../../kernel/pagination.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";
import { fieldError } from "../payments/field-error.ts";
import { ServiceError } from "../../kernel/errors.ts";
import {
  type CreditNote,
  CreditNoteIdParams,
  CreditNoteListQuery,
  presentCreditNote,
  type SettledCreditNote,
} from "./credit-note-schemas.ts";
import { creditNoteSettledAmounts, settledAs } from "./credit-note-settlements.ts";

/**
 * One credit note without where its money went, for callers that do not show it (the console's credit-note page
 * and its PDF): the sums are one more statement. A customer reads only its own (another's is NOT_FOUND).
 */
export const readCreditNote = defineVerb(CreditNoteIdParams, async ({ ctx, input }): Promise<CreditNote> => {
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

/** One credit note, with where its money went (`settled`), as the API and the CLI answer it. */
export const getCreditNote = defineVerb(
  CreditNoteIdParams,
  async ({ ctx, input }): Promise<SettledCreditNote> => {
    const [note] = await withSettled(ctx.db, [await readCreditNote({ ctx, input })]);
    return note!;
  },
);

/**
 * The notes with how much of each went which way (`settled`), read when asked, so a card refund the provider
 * settled since shows where it went. A note is never deleted, so each one read has its sums.
 */
async function withSettled<T extends CreditNote>(
  db: Db | Tx,
  notes: T[],
): Promise<(T & SettledCreditNote)[]> {
  const amounts = await creditNoteSettledAmounts(
    db,
    notes.map((n) => n.id),
  );
  return notes.map((n) => {
    const settled = amounts.get(n.id);
    if (!settled) throw new ServiceError("INTERNAL", `credit note ${n.id} has no settlement sums`);
    return { ...n, settled };
  });
}

/**
 * Credit notes by number, of one customer or invoice or all, and of one way their money went (`settled`), each
 * with how much went each way. Paged by `page`, or walked by `cursor` (meta.next_cursor).
 */
export const listCreditNotes = defineVerb(
  CreditNoteListQuery,
  async ({ ctx, input }): Promise<KeysetPage<SettledCreditNote>> => {
    const page = await listCreditNotesNamed({ ctx, input });
    return { ...page, data: page.data.map(({ invoice_number: _n, customer_name: _c, ...note }) => note) };
  },
);

/** A credit note with what names it on a page: its invoice's number and the customer's name on that invoice. */
export type NamedCreditNote = SettledCreditNote & { invoice_number: string | null; customer_name: string };

/**
 * A cursor names the last note shown by its id, not by its number's sort key (the series and the counter): the
 * series is the configured format, up to 100 characters of any script, which could make a cursor longer than
 * MAX_CURSOR_LENGTH. A note is never deleted, so the id always finds its place in the order.
 */
const CreditNoteKey = z.tuple([CreditNoteIdParams.shape.id]);

/**
 * listCreditNotes with each note's invoice number and customer name, read in the same statement, for the
 * console's list (until 2026-12-06 it showed the customer's number and a bare "Invoice" link). A cursor page
 * starts after its note through credit_note_number_value_unique (number_sequence, number_value), the list's
 * order: until 2026-12-07 the list paged by OFFSET only, reading and dropping every note before the page.
 */
export const listCreditNotesNamed = defineVerb(
  CreditNoteListQuery,
  async ({ ctx, input }): Promise<KeysetPage<NamedCreditNote>> => {
    await requireReadAccess(ctx);
    assertPageOrCursor(input);
    const customerId = customerScope(ctx.actor, input.customer_id);
    const filters = { customer_id: customerId, invoice_id: input.invoice_id, settled: input.settled };
    const after =
      input.cursor === undefined
        ? undefined
        : readCursor("credit_notes", filters, CreditNoteKey, input.cursor);
    let q = ctx.db.selectFrom("credit_note").innerJoin("invoice", "invoice.id", "credit_note.invoice_id");
    if (customerId !== undefined) q = q.where("credit_note.customer_id", "=", customerId);
    if (input.invoice_id) q = q.where("credit_note.invoice_id", "=", input.invoice_id);
    if (input.settled) q = q.where(settledAs(input.settled));
    let page = q
      .selectAll("credit_note")
      .select(["invoice.number as invoice_number", "invoice.customer_name as customer_name"])
      .orderBy("credit_note.number_sequence")
      .orderBy("credit_note.number_value")
      .limit(input.per_page + 1);
    page = after
      ? page.where(
          sql<boolean>`(credit_note.number_sequence, credit_note.number_value) >
            (SELECT c.number_sequence, c.number_value FROM credit_note c WHERE c.id = ${after[0]})`,
        )
      : page.offset(offsetOf(input));
    const [rows, count] = await Promise.all([page.execute(), countIfAsked(input, q)]);
    const shown = keysetPageOf(rows, count, input, { list: "credit_notes", filters, keyOf: (r) => [r.id] });
    const notes = shown.rows.map((row) => {
      const { invoice_number, customer_name, ...note } = row;
      return { ...presentCreditNote(note), invoice_number, customer_name };
    });
    return { data: await withSettled(ctx.db, notes), meta: shown.meta };
  },
);
