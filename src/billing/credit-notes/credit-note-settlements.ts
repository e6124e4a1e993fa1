import { sql } from "kysely";
import { customerScope } from "../../kernel/actor.ts";
import type { Db, Tx } from "../../kernel/context.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";
import type { InvoiceDocumentCreditNote } from "../documents/invoice-document.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { InvoiceIdParams } from "../invoices/invoice-schemas.ts";
import { PROVIDER_METHODS } from "../providers/payment-provider.ts";

/**
 * The credit notes of an invoice, oldest first, with how each was settled (billing-rules §7), for the
 * invoice's renderings: what it took off the invoice's amount due (its receivable entry), and its refunds by
 * state. A card refund is pending until the provider's webhook settles it, and its amount is the customer's
 * credit meanwhile (issue-credit-note.ts): until 2026-12-06 only succeeded refunds were read, so a pending one
 * read "kept as credit". A refund that failed before any money left keeps its amount as credit; one that
 * failed after it had succeeded (the bank sent the money back) paid the customer's open invoices oldest first
 * and only the rest became credit (reverseRefund, refund-payment.ts): `refundFailedPaidInvoices` is that
 * first part, read from the receivable lines of its `ref-failed:<refund>` event. `refundedByHand` is the part
 * of `refunded` staff recorded as paid back by hand (refundedByHandOf).
 */
export async function invoiceCreditNoteSettlements(
  db: Db | Tx,
  invoiceId: string,
): Promise<Required<InvoiceDocumentCreditNote>[]> {
  const rows = await db
    .selectFrom("credit_note")
    .select(["credit_note.number", "credit_note.total"])
    .select((eb) => {
      const refundsOfNote = (status: "succeeded" | "pending" | "failed") =>
        eb
          .selectFrom("refund")
          .select(sql<bigint>`coalesce(sum(amount), 0)::bigint`.as("x"))
          .whereRef("refund.credit_note_id", "=", "credit_note.id")
          .where("refund.status", "=", status);
      return [
        eb
          .selectFrom("ledger_entry")
          .select(sql<bigint>`coalesce(-sum(amount), 0)::bigint`.as("x"))
          .whereRef("ledger_entry.credit_note_id", "=", "credit_note.id")
          .where("ledger_entry.account", "=", "receivable")
          .where("ledger_entry.event_kind", "=", "credit_note")
          .as("taken_off"),
        refundsOfNote("succeeded").as("refunded"),
        refundsOfNote("pending").as("refund_pending"),
        refundsOfNote("failed").as("refund_failed"),
        eb
          .selectFrom("refund")
          .innerJoin("ledger_entry", (join) =>
            join.on(sql`ledger_entry.event_id`, "=", sql`'ref-failed:' || refund.id`),
          )
          .select(sql<bigint>`coalesce(-sum(ledger_entry.amount), 0)::bigint`.as("x"))
          .whereRef("refund.credit_note_id", "=", "credit_note.id")
          .where("refund.status", "=", "failed")
          .where("ledger_entry.account", "=", "receivable")
          .as("refund_failed_paid_invoices"),
      ];
    })
    .where("credit_note.invoice_id", "=", invoiceId)
    .orderBy("credit_note.created_at")
    .orderBy("credit_note.id")
    .execute();
  const byHand = await refundedByHandOf(db, invoiceId);
  return rows.map((r) => ({
    number: r.number,
    total: BigInt(r.total),
    takenOff: BigInt(r.taken_off ?? 0n),
    refunded: BigInt(r.refunded ?? 0n),
    refundPending: BigInt(r.refund_pending ?? 0n),
    refundFailed: BigInt(r.refund_failed ?? 0n),
    refundFailedPaidInvoices: BigInt(r.refund_failed_paid_invoices ?? 0n),
    refundedByHand: byHand.get(r.number) ?? [],
  }));
}

/**
 * Per credit note of the invoice (by number), its succeeded refunds of payments recorded by hand, summed per
 * payment method in the method's order: staff say that money went back by bank transfer, cash, …, not to a
 * card, and the documents say so (`refundedByHand`). A provider's payment (PROVIDER_METHODS) is refunded only
 * through the provider, so its refunds are the card's.
 */
async function refundedByHandOf(
  db: Db | Tx,
  invoiceId: string,
): Promise<Map<string, { method: string; amount: bigint }[]>> {
  const rows = await db
    .selectFrom("refund")
    .innerJoin("credit_note", "credit_note.id", "refund.credit_note_id")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select(["credit_note.number", "payment.method", sql<bigint>`sum(refund.amount)::bigint`.as("amount")])
    .where("credit_note.invoice_id", "=", invoiceId)
    .where("refund.status", "=", "succeeded")
    .where("payment.method", "not in", [...PROVIDER_METHODS])
    .groupBy(["credit_note.number", "payment.method"])
    .orderBy("credit_note.number")
    .orderBy("payment.method")
    .execute();
  const byNote = new Map<string, { method: string; amount: bigint }[]>();
  for (const r of rows) {
    const list = byNote.get(r.number) ?? [];
    list.push({ method: r.method, amount: BigInt(r.amount) });
    byNote.set(r.number, list);
  }
  return byNote;
}

/** invoiceCreditNoteSettlements for a page (the console's invoice): whoever may read the invoice. */
export const listInvoiceCreditNoteSettlements = defineVerb(
  InvoiceIdParams,
  async ({ ctx, input }): Promise<Required<InvoiceDocumentCreditNote>[]> => {
    await requireReadAccess(ctx);
    // The invoice's owner only (its lines are not needed): another customer's is NOT_FOUND, as getInvoice says.
    const invoice = await ctx.db
      .selectFrom("invoice")
      .select("customer_id")
      .where("id", "=", input.id)
      .executeTakeFirst();
    if (!invoice) throw ServiceError.notFound(`invoice ${input.id}`);
    customerScope(ctx.actor, BigInt(invoice.customer_id));
    return invoiceCreditNoteSettlements(ctx.db, input.id);
  },
);
