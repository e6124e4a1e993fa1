import { taxBases } from "../../domain/invoice-math.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import type { InvoiceDocument } from "../documents/invoice-document.ts";
import type { Invoice } from "./invoice-schemas.ts";

/**
 * The renderings' view model (src/billing/documents) of a stored invoice read with its lines. Only a numbered
 * invoice has a document: a draft has no number or issue date yet (billing-rules §5). `credited`: what credit
 * notes took off its amount due (invoiceCreditedAmount), shown apart from what was paid; `creditNotes`: each
 * note with how it was settled (invoiceCreditNoteSettlements), shown instead of one "Credit notes" row.
 */
export function invoiceDocumentOf(
  invoice: Invoice,
  seller: InvoiceDocument["seller"],
  replaces: readonly string[] = [],
  credited = 0n,
  creditNotes?: InvoiceDocument["creditNotes"],
): InvoiceDocument {
  if (invoice.number === null || invoice.issue_date === null || invoice.due_date === null) {
    throw new ServiceError(
      "CONFLICT",
      `invoice ${invoice.id} is a ${invoice.status} without a number: it has no document`,
    );
  }
  if (!invoice.lines) throw new ServiceError("INTERNAL", `invoice ${invoice.id} was read without its lines`);
  const c = invoice.currency;
  // The amount each rate applied to (billing-rules §4.4), rebuilt from the stored figures.
  const bases = taxBases(
    invoice.net,
    invoice.taxes.map((t) => t.amount),
    invoice.tax_compound,
  );
  // What is left after payments, credit applied and credit notes (billing-rules §7). A draft or void
  // invoice asks for nothing, so its stored 0 is not an amount due.
  const owes =
    invoice.status === "finalized" || invoice.status === "partially_paid" || invoice.status === "paid";
  return {
    number: invoice.number,
    status: invoice.status,
    ...(owes ? { amountDue: invoice.amount_due, credited } : {}),
    ...(owes && creditNotes !== undefined ? { creditNotes } : {}),
    issueDate: invoice.issue_date,
    dueDate: invoice.due_date,
    period: invoice.period,
    periodStart: invoice.period_start,
    periodEnd: invoice.period_end,
    seller,
    customer: { id: invoice.customer_id, ...invoice.customer },
    currency: currencyDisplayOf(c),
    lines: invoice.lines.map((l) => ({
      kind: l.kind,
      description: `${l.server.name} (server ${l.server.id})`,
      quantity: l.quantity,
      backupPercent: l.backup_percent,
      plan: l.plan,
      hours: l.hours,
      chargeKind: l.charge_kind,
      tokens: l.tokens,
      unitCost: l.unit_cost,
      amount: l.amount,
    })),
    subtotal: invoice.subtotal,
    discounts: invoice.discounts.map((d) => ({ name: d.name, amount: d.amount })),
    net: invoice.net,
    taxes: invoice.taxes.map((t, i) => ({
      label: t.label,
      rate: t.rate,
      amount: t.amount,
      ...(bases[i] === undefined ? {} : { base: bases[i] }),
    })),
    total: invoice.total,
    ...(replaces.length > 0 ? { replaces: [...replaces] } : {}),
    ...(invoice.payment
      ? {
          paid: {
            amount: invoice.payment.amount,
            date: invoice.payment.date,
            reference: invoice.payment.reference,
          },
        }
      : {}),
  };
}
