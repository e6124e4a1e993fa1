import { pdfFontsFor } from "../documents/pdf-fonts.ts";
import { z } from "zod";
import { sellerOf } from "../../delivery/delivery-settings.ts";
import { customerScope } from "../../kernel/actor.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { renderCreditNoteHtml, renderCreditNotePdf } from "../documents/render-credit-note.ts";
import { creditNoteDocumentOf } from "./credit-note-document-of.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";

export const CreditNoteIdParams = z.object({
  id: z.string().regex(/^cn_[0-9a-f]{1,64}$/, "must be a credit note id (cn_…)"),
});

export const CreditNoteRenderInput = CreditNoteIdParams.extend({ format: z.enum(["html", "pdf"]) });

/** One credit note as an HTML page (string) or a PDF (Buffer). A customer sees only its own. */
export const renderCreditNote = defineVerb(CreditNoteRenderInput, async ({ ctx, input }) => {
  await requireReadAccess(ctx);
  const doc = await creditNoteDocumentOf(ctx.db, input.id, sellerOf(ctx.config));
  customerScope(ctx.actor, BigInt(doc.customer.id));
  return input.format === "html"
    ? renderCreditNoteHtml(doc)
    : await renderCreditNotePdf(doc, pdfFontsFor(ctx.config));
});
