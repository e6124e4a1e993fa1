import { type RawBuilder, type SqlBool, sql } from "kysely";
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
export function invoiceCreditNoteSettlements(
  db: Db | Tx,
  invoiceId: string,
): Promise<Required<InvoiceDocumentCreditNote>[]> {
  return settlementsOf(db, "invoice_id", [invoiceId]);
}

/**
 * The same for the credit notes `ids` (the portal's list of a customer's notes, whatever their invoices), read
 * as the documents read them, so the list and a note's PDF never tell the note apart.
 */
export function creditNoteSettlements(
  db: Db | Tx,
  ids: readonly string[],
): Promise<Required<InvoiceDocumentCreditNote>[]> {
  return ids.length === 0 ? Promise.resolve([]) : settlementsOf(db, "id", ids);
}

/** The settlements of the notes whose `column` (their invoice, or their own id) is one of `values`. */
async function settlementsOf(
  db: Db | Tx,
  column: "invoice_id" | "id",
  values: readonly string[],
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
    .where(`credit_note.${column}`, "in", [...values])
    .orderBy("credit_note.created_at")
    .orderBy("credit_note.id")
    .execute();
  const byHand = await refundedByHandOf(db, column, values);
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
 * Per credit note (by number; of the invoice, or of the ids, as settlementsOf), its succeeded refunds of payments recorded by hand, summed per
 * payment method in the method's order: staff say that money went back by bank transfer, cash, …, not to a
 * card, and the documents say so (`refundedByHand`). A provider's payment (PROVIDER_METHODS) is refunded only
 * through the provider, so its refunds are the card's.
 */
async function refundedByHandOf(
  db: Db | Tx,
  column: "invoice_id" | "id",
  values: readonly string[],
): Promise<Map<string, { method: string; amount: bigint }[]>> {
  const rows = await db
    .selectFrom("refund")
    .innerJoin("credit_note", "credit_note.id", "refund.credit_note_id")
    .innerJoin("payment", "payment.id", "refund.payment_id")
    .select(["credit_note.number", "payment.method", sql<bigint>`sum(refund.amount)::bigint`.as("amount")])
    .where(`credit_note.${column}`, "in", [...values])
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

/**
 * Where some of a credit note's money went, as its documents tell it (creditNoteOutcome): `invoice`, it lowered
 * what its invoice owed; `refund`, it went back or is going back to the customer (a refund made, by card or by
 * hand, or a card refund pending); `credit`, it is the customer's credit (kept as credit, or a refund that
 * failed, which became credit: kept, or paid open invoices). A note split several ways is each of them. Not the
 * note's `settlement`, which is what staff asked for the part already paid: a "refund" of an unpaid invoice
 * only lowers what it owes, and a card refund that failed is credit.
 */
export const SETTLED_AS = ["invoice", "refund", "credit"] as const;
export type SettledAs = (typeof SETTLED_AS)[number];

/** A condition on a query over `credit_note`: some of the note's money went as `how` (SETTLED_AS). */
export function settledAs(how: SettledAs): RawBuilder<SqlBool> {
  // The same parts the settlements above read: what the note took off its invoice's receivable...
  const takenOff = sql`(SELECT coalesce(-sum(le.amount), 0) FROM ledger_entry le
    WHERE le.credit_note_id = credit_note.id AND le.account = 'receivable' AND le.event_kind = 'credit_note')`;
  // ...and what went back or is on its way; the rest of the total is credit (failed refunds included).
  const returned = sql`(SELECT coalesce(sum(r.amount), 0) FROM refund r
    WHERE r.credit_note_id = credit_note.id AND r.status IN ('succeeded', 'pending'))`;
  switch (how) {
    case "invoice":
      return sql<SqlBool>`${takenOff} > 0`;
    case "refund":
      return sql<SqlBool>`${returned} > 0`;
    case "credit":
      return sql<SqlBool>`credit_note.total - ${takenOff} - ${returned} > 0`;
  }
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
