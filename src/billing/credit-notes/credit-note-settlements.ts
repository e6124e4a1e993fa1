import { type RawBuilder, type SqlBool, sql } from "kysely";
import { customerScope } from "../../kernel/actor.ts";
import type { Db, Tx } from "../../kernel/context.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";
import type { InvoiceDocumentCreditNote } from "../documents/invoice-document.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { InvoiceIdParams } from "../invoices/invoice-schemas.ts";
import { PROVIDER_METHODS } from "../providers/payment-provider.ts";
import type { RefundStatus } from "../../db/schema.ts";
import {
  KEPT_IS_TOTAL_LESS,
  SETTLED_PARTS,
  type SettledAs,
  type SettlementPart,
  settledAmounts,
} from "../documents/settled-ways.ts";

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

/**
 * Each of a note's settlement sums as SQL over the `credit_note` row in scope: the reader selects them and the
 * list's filter (settledAs) compares them, so the two read one definition.
 */
const refundsOfNote = (status: RefundStatus) =>
  sql<bigint>`(SELECT coalesce(sum(r.amount), 0)::bigint FROM refund r
    WHERE r.credit_note_id = credit_note.id AND r.status = ${sql.lit(status)})`;
/**
 * Of the note's failed card refunds (reservations ended without being linked), what the provider's refunds
 * naming them (refund.names_refund_id: another amount made by hand, or made after the release) sent to the
 * card, or is sending (`pending`): each reservation at most its own amount, succeeded first. Such a refund is
 * recorded as a refund of the payment (apply-refund-fact.ts), but the card did get the note's money, and
 * until 2026-12-07 the note read "could not be refunded to your card" for all of the reservation.
 */
const namedToCard = (status: "succeeded" | "pending") => {
  const named = (s: RefundStatus) => sql`(SELECT coalesce(sum(n.amount), 0) FROM refund n
      WHERE n.names_refund_id = r.id AND n.status = ${sql.lit(s)})`;
  const share =
    status === "succeeded"
      ? sql`least(r.amount, ${named("succeeded")})`
      : sql`least(r.amount - least(r.amount, ${named("succeeded")}), ${named("pending")})`;
  return sql<bigint>`(SELECT coalesce(sum(${share}), 0)::bigint FROM refund r
    WHERE r.credit_note_id = credit_note.id AND r.status = 'failed' AND r.provider_refund_id IS NULL)`;
};
const PART_SQL = {
  // What the note took off its invoice's receivable when it was issued: its event's lines, found by the
  // event's id (cn:<note>, issue-credit-note.ts) through ledger_entry_event; no index leads with credit_note_id,
  // and a page of notes scanned the whole ledger once a note (until 2026-12-07).
  takenOff: sql<bigint>`(SELECT coalesce(-sum(le.amount), 0)::bigint FROM ledger_entry le
    WHERE le.event_id = 'cn:' || credit_note.id AND le.credit_note_id = credit_note.id
      AND le.account = 'receivable' AND le.event_kind = 'credit_note')`,
  refunded: sql<bigint>`(${refundsOfNote("succeeded")} + ${namedToCard("succeeded")})`,
  refundPending: sql<bigint>`(${refundsOfNote("pending")} + ${namedToCard("pending")})`,
  refundFailed: sql<bigint>`(${refundsOfNote("failed")} - ${namedToCard("succeeded")} - ${namedToCard("pending")})`,
  // Of the failed ones, what the receivable lines of their `ref-failed:<refund>` event paid.
  refundFailedPaidInvoices: sql<bigint>`(SELECT coalesce(-sum(le.amount), 0)::bigint
    FROM refund r JOIN ledger_entry le ON le.event_id = 'ref-failed:' || r.id
    WHERE r.credit_note_id = credit_note.id AND r.status = 'failed' AND le.account = 'receivable')`,
} as const;

/**
 * Per note id, how much of its total went each way (settledAmounts, settled-ways.ts), read by the same sums the
 * documents and the `settled` filter read: the API's `settled`, whose three amounts sum to the note's total.
 */
export async function creditNoteSettledAmounts(
  db: Db | Tx,
  ids: readonly string[],
): Promise<Map<string, Record<SettledAs, bigint>>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("credit_note")
    .select(["credit_note.id", "credit_note.total"])
    .select([
      PART_SQL.takenOff.as("taken_off"),
      PART_SQL.refunded.as("refunded"),
      PART_SQL.refundPending.as("refund_pending"),
      PART_SQL.refundFailed.as("refund_failed"),
    ])
    .where("credit_note.id", "in", [...ids])
    .execute();
  return new Map(
    rows.map((r) => [
      r.id,
      settledAmounts({
        total: BigInt(r.total),
        takenOff: BigInt(r.taken_off ?? 0n),
        refunded: BigInt(r.refunded ?? 0n),
        refundPending: BigInt(r.refund_pending ?? 0n),
        refundFailed: BigInt(r.refund_failed ?? 0n),
      }),
    ]),
  );
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
    .select([
      PART_SQL.takenOff.as("taken_off"),
      PART_SQL.refunded.as("refunded"),
      PART_SQL.refundPending.as("refund_pending"),
      PART_SQL.refundFailed.as("refund_failed"),
      PART_SQL.refundFailedPaidInvoices.as("refund_failed_paid_invoices"),
    ])
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

/** A condition on a query over `credit_note`: some of the note's money went as `how` (settled-ways.ts). */
export function settledAs(how: SettledAs): RawBuilder<SqlBool> {
  const amountOf = (part: SettlementPart): RawBuilder<bigint> =>
    part === "kept"
      ? sql<bigint>`(credit_note.total - ${sql.join(
          KEPT_IS_TOTAL_LESS.map((p) => PART_SQL[p]),
          sql` - `,
        )})`
      : PART_SQL[part];
  return sql<SqlBool>`(${sql.join(SETTLED_PARTS[how].map(amountOf), sql` + `)}) > 0`;
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
