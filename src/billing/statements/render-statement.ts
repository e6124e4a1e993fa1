import { pdfFontsFor } from "../documents/pdf-fonts.ts";
import { z } from "zod";
import { customerScope } from "../../kernel/actor.ts";
import { id } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { renderStatementPdf } from "../documents/render-statement.ts";
import { statementCsv } from "../documents/statement-csv.ts";
import { statementDocumentOf } from "./statement-document-of.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";

export const StatementRenderInput = z.object({ id, format: z.enum(["csv", "pdf"]) });

/**
 * The customer's statement as CSV text (RFC 4180, statement-csv.ts) or a PDF (Buffer). A customer reads
 * only its own; an unknown customer is NOT_FOUND.
 */
export const renderCustomerStatement = defineVerb(StatementRenderInput, async ({ ctx, input }) => {
  await requireReadAccess(ctx);
  customerScope(ctx.actor, input.id);
  const doc = await statementDocumentOf(ctx, input.id);
  return input.format === "csv" ? statementCsv(doc) : await renderStatementPdf(doc, pdfFontsFor(ctx.config));
});
