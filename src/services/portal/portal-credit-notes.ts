import { z } from "zod";
import { type CreditNote, presentCreditNote } from "../../billing/credit-notes/credit-note-schemas.ts";
import { creditNoteSettlements, settledAs } from "../../billing/credit-notes/credit-note-settlements.ts";
import { SETTLED_AS } from "../../billing/documents/settled-ways.ts";
import type { CreditNoteSettled } from "../../billing/documents/credit-note-document.ts";
import { renderCreditNote } from "../../billing/statements/render-credit-note.ts";
import { periodAfter } from "../../domain/periods.ts";
import { fetchPage, type Page, PageQuery } from "../../kernel/pagination.ts";
import { periodString } from "../../kernel/schemas.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { ownRecord, portalCustomerId } from "./portal-customer.ts";

// The customer's credit notes (billing-rules §7) and their PDFs: only the session customer's own.

/** A note with where its money went, as its documents read it (`settled`: credit-note-settlements.ts). */
export type PortalCreditNote = CreditNote & { invoice_number: string | null; settled: CreditNoteSettled };

/**
 * What a customer looks a credit note up by: the month it was issued (YYYY-MM), as its Issued column shows,
 * and where its money went (`settled`: SETTLED_AS), as its Settled column says. Until 2026-12-07 the latter
 * was `settlement`, the name the API gives what staff asked for (credit|refund), which is another thing.
 */
export const PortalCreditNoteQuery = PageQuery.extend({
  month: periodString.optional(),
  settled: z.enum(SETTLED_AS, { message: "must be invoice, refund or credit" }).optional(),
});

export const listPortalCreditNotes = defineVerb(
  PortalCreditNoteQuery,
  async ({ ctx, input }): Promise<Page<PortalCreditNote>> => {
    const customerId = portalCustomerId(ctx);
    let q = ctx.db
      .selectFrom("credit_note")
      .innerJoin("invoice", "invoice.id", "credit_note.invoice_id")
      .where("credit_note.customer_id", "=", customerId);
    // issue_date is a YYYY-MM-DD text (the billing time zone's day): the month's days sort between these two.
    if (input.month)
      q = q
        .where("credit_note.issue_date", ">=", `${input.month}-01`)
        .where("credit_note.issue_date", "<", `${periodAfter(input.month)}-01`);
    if (input.settled) q = q.where(settledAs(input.settled));
    const page = await fetchPage(
      q,
      input,
      (f) =>
        f
          .selectAll("credit_note")
          .select("invoice.number as invoice_number")
          .orderBy("credit_note.number_sequence", "desc")
          .orderBy("credit_note.number_value", "desc"),
      (row) => ({ ...presentCreditNote(row), invoice_number: row.invoice_number }),
    );
    const settlements = await creditNoteSettlements(
      ctx.db,
      page.data.map((n) => n.id),
    );
    return {
      ...page,
      data: page.data.map((n) => {
        const found = settlements.find((s) => s.number === n.number);
        // A note is never deleted, so each listed one has its settlements: a missing one is a broken invariant.
        if (!found) throw new ServiceError("INTERNAL", `credit note ${n.id} has no settlements`);
        const { number: _number, total: _total, ...settled } = found;
        return { ...n, settled };
      }),
    };
  },
);

export const portalCreditNotePdf = defineVerb(
  z.object({ id: z.string().max(300) }).strict(),
  async ({ ctx, input }): Promise<{ number: string; pdf: Buffer }> => {
    const row = await ownRecord(ctx, { id: input.id, prefix: "cn", noun: "credit note" }, (wanted) =>
      ctx.db
        .selectFrom("credit_note")
        .select(["id", "number", "customer_id"])
        .where("id", "=", wanted)
        .executeTakeFirst(),
    );
    const pdf = await renderCreditNote({ ctx, input: { id: row.id, format: "pdf" } });
    return { number: row.number, pdf: pdf as Buffer };
  },
);
