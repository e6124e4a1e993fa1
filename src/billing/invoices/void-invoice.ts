import { sql } from "kysely";
import { ServiceError } from "../../kernel/errors.ts";
import { type TxContext, withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { invoiceAmountDue, postLedgerEvent } from "../ledger/ledger.ts";
import { lockCustomerForMoney, requestDunningEvaluation } from "../payments/invoice-settlement.ts";
import { type Invoice, InvoiceIdParams, VoidInput } from "./invoice-schemas.ts";
import { emitInvoiceEvents } from "./emit-invoice-event.ts";
import { releaseInvoiceSlot } from "./reissue-invoice.ts";
import { transitionInvoice } from "./transition-invoice.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

/**
 * draft | finalized → void. A void invoice keeps its number (numbers are never reused, §5) and, unless
 * `reissue` is asked, its (customer, period) slot, so that a re-run does not bill the period again; with
 * `reissue` the slot is released in the same transaction (reissue-invoice.ts) and the next run of the
 * period drafts a new invoice. Only an invoice no payment ever
 * touched and no credit note corrected can be voided (billing-rules §7). Voiding an issued one takes back
 * its finalization in the ledger (event `void:<invoice>`: sales +T, receivable −due) and returns credit
 * that was applied to it at finalization (credit −(T − due)).
 */
export const voidInvoice = defineVerb(
  VoidInput.extend(InvoiceIdParams.shape),
  async ({ ctx, input }): Promise<Invoice> => {
    await requireStaffRole(ctx, ...BILLING_ROLES);
    return withTransaction(ctx, async (tx) => {
      const target = await tx.db
        .selectFrom("invoice")
        .select(["customer_id", "currency_code", "status"])
        .where("id", "=", input.id)
        .executeTakeFirst();
      if (!target) throw ServiceError.notFound(`invoice ${input.id}`);
      if (target.status === "draft") return voidDraft(tx, input);
      // Money events of the customer wait (or are waited for): nothing is paid while this decides.
      await lockCustomerForMoney(tx.db, target.customer_id);
      const touched = await tx.db
        .selectFrom("ledger_entry")
        .select(sql<string>`count(*) FILTER (WHERE payment_id IS NOT NULL)`.as("payments"))
        .select(sql<string>`count(*) FILTER (WHERE credit_note_id IS NOT NULL)`.as("credit_notes"))
        .where("invoice_id", "=", input.id)
        .executeTakeFirstOrThrow();
      if (Number(touched.payments) > 0 || Number(touched.credit_notes) > 0) {
        throw new ServiceError(
          "CONFLICT",
          `invoice ${input.id} has ${Number(touched.payments) > 0 ? "payments" : "credit notes"}; only an invoice nothing was paid or credited on can be voided — issue a credit note instead`,
        );
      }
      if (target.status === "paid" || target.status === "partially_paid") {
        // Paid by the customer's credit at finalization (a payment is refused above): transitionInvoice's own
        // refusal named the state and not what to do.
        throw new ServiceError(
          "CONFLICT",
          `invoice ${input.id} is ${target.status === "paid" ? "paid" : "partly paid"} (by the customer's credit or a payment); only an invoice nothing was paid or credited on can be voided — issue a credit note instead`,
        );
      }
      // What it was issued for is read from the row transitionInvoice locks.
      let issued: { total: bigint } | undefined;
      const after = await transitionInvoice(tx, {
        id: input.id,
        verb: "void",
        done: "voided",
        from: ["draft", "finalized"],
        check: (row) => {
          if (row.status === "finalized") issued = { total: row.total };
        },
        set: (now) => ({ status: "void", voided_at: now, void_reason: input.reason }),
        audited: (invoice) => ({ status: invoice.status, void: invoice.void }),
      });
      if (issued) {
        // The ledger's amount due; the status just written does not change it.
        const due = await invoiceAmountDue(tx.db, input.id);
        await postLedgerEvent(tx.db, {
          id: `void:${input.id}`,
          kind: "invoice_finalized",
          customerId: target.customer_id,
          currency: target.currency_code,
          at: tx.now(),
          lines: [
            { account: "sales", amount: issued.total, invoiceId: input.id },
            { account: "receivable", amount: -due, invoiceId: input.id },
            { account: "credit", amount: -(issued.total - due), invoiceId: input.id },
          ],
        });
        // An issued invoice may be what dunning locked or suspended the customer for: look again now, as
        // after a payment, rather than at the next hourly run.
        await requestDunningEvaluation(tx.db, target.customer_id);
        // Whoever heard of its finalization (webhooks) hears that it is no longer owed.
        await emitInvoiceEvents(tx.db, { event: "invoice.voided", invoiceIds: [input.id], at: tx.now() });
      }
      const released = input.reissue ? await releaseInvoiceSlot(tx, input.id) : after;
      // Read before the reversal was posted: a void invoice owes nothing.
      return { ...released, amount_due: 0n };
    });
  },
);

/**
 * A draft owes nothing and has no ledger entry: it is voided under its own row lock, without the customer's
 * (taking the customer first here deadlocked with a billing run's finalizer while that locked its drafts
 * before the customers holding credit; it no longer does, and the customer is still not needed). A draft
 * the finalizer issued while this waited for its row is refused: it now has a number and is owed, and a void
 * of it is a void of an issued invoice, sent again; until 2026-12-05 it was voided as the draft read before
 * the wait, its finalization left in the ledger, so the customer owed a void invoice's total.
 */
async function voidDraft(tx: TxContext, input: { id: string; reason: string; reissue?: boolean }) {
  const row = await tx.db
    .selectFrom("invoice")
    .select(["status", "number"])
    .where("id", "=", input.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (row.status !== "draft") {
    throw new ServiceError(
      "CONFLICT",
      `invoice ${input.id} was issued as ${row.number ?? "an invoice"} (${row.status}) by a billing run while it was being voided; nothing was changed: void it again if it should be, which takes its finalization back`,
    );
  }
  const after = await transitionInvoice(tx, {
    id: input.id,
    verb: "void",
    done: "voided",
    from: ["draft"],
    set: (now) => ({ status: "void", voided_at: now, void_reason: input.reason }),
    audited: (invoice) => ({ status: invoice.status, void: invoice.void }),
  });
  const released = input.reissue ? await releaseInvoiceSlot(tx, input.id) : after;
  return { ...released, amount_due: 0n };
}
