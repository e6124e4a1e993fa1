import { z } from "zod";
import type { CreditNoteDocument } from "../documents/credit-note-document.ts";
import { readInvoice } from "../invoices/get-invoice.ts";
import { invoiceCreditNoteSettlements } from "../credit-notes/credit-note-settlements.ts";
import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import type { Tx } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";

// Credit notes are customer documents like invoices (billing-rules §7); this reads one into the renderers'
// view model. It lives with the statements because both are documents made from money-in rows that
// src/billing/documents (pure renderers) may not read.

const minorOf = z.union([z.bigint(), z.number().int(), z.string().regex(/^-?\d{1,19}$/)]).transform(BigInt);
// Stored as jsonb by the credit-note verb: read leniently, so a field added there does not break rendering.
const StoredTaxes = z.array(z.object({ label: z.string(), rate: z.string(), amount: minorOf }).loose());
const StoredLines = z.array(
  z
    .object({ position: z.number().int().optional(), description: z.string().optional(), amount: minorOf })
    .loose(),
);

/** The credit note `id` as a document, with the customer and invoice number from its invoice. */
export async function creditNoteDocumentOf(
  db: Tx,
  id: string,
  seller: CreditNoteDocument["seller"],
): Promise<CreditNoteDocument> {
  const note = await db.selectFrom("credit_note").selectAll().where("id", "=", id).executeTakeFirst();
  if (!note) throw ServiceError.notFound(`credit note ${id}`);
  const invoice = await readInvoice(db, note.invoice_id);
  const taxes = StoredTaxes.safeParse(note.taxes);
  const lines = StoredLines.safeParse(note.lines);
  if (!taxes.success || !lines.success) {
    throw new ServiceError("INTERNAL", `credit note ${id} has taxes or lines in an unknown shape`);
  }
  // Read as the invoice's renderings read its notes, so the two documents never tell it apart.
  const settled = (await invoiceCreditNoteSettlements(db, note.invoice_id)).find(
    (n) => n.number === note.number,
  );
  if (!settled)
    throw new ServiceError("INTERNAL", `credit note ${id} is missing from its invoice's settlements`);
  const invoiceLine = (position: number | undefined) => invoice.lines?.find((l) => l.position === position);
  return {
    number: note.number,
    issueDate: note.issue_date,
    invoiceNumber: invoice.number ?? invoice.id,
    reason: note.reason,
    settlement: note.settlement,
    settled: {
      takenOff: settled.takenOff,
      refunded: settled.refunded,
      refundPending: settled.refundPending,
      refundFailed: settled.refundFailed,
      refundFailedPaidInvoices: settled.refundFailedPaidInvoices,
      refundedByHand: settled.refundedByHand,
    },
    seller,
    customer: { id: invoice.customer_id, ...invoice.customer },
    currency: currencyDisplayOf(invoice.currency),
    // A note issued for an amount has no lines: it shows as one line of its net.
    lines:
      lines.data.length === 0
        ? [{ description: `Credit on invoice ${invoice.number ?? invoice.id}`, amount: note.net }]
        : lines.data.map((l) => {
            const of = invoiceLine(l.position);
            return {
              description:
                l.description ?? (of ? `${of.server.name} (server ${of.server.id}) · ${of.plan}` : "Credit"),
              amount: l.amount,
            };
          }),
    net: note.net,
    taxes: taxes.data.map((t) => ({ label: t.label, rate: t.rate, amount: t.amount })),
    total: note.total,
  };
}
