import { sql } from "kysely";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
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
        .select(["customer_id", "currency_code", "status", "total"])
        .where("id", "=", input.id)
        .executeTakeFirst();
      if (!target) throw ServiceError.notFound(`invoice ${input.id}`);
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
      const due = target.status === "finalized" ? await invoiceAmountDue(tx.db, input.id) : 0n;
      const after = await transitionInvoice(tx, {
        id: input.id,
        verb: "void",
        done: "voided",
        from: ["draft", "finalized"],
        set: (now) => ({ status: "void", voided_at: now, void_reason: input.reason }),
        audited: (invoice) => ({ status: invoice.status, void: invoice.void }),
      });
      if (target.status === "finalized") {
        await postLedgerEvent(tx.db, {
          id: `void:${input.id}`,
          kind: "invoice_finalized",
          customerId: target.customer_id,
          currency: target.currency_code,
          at: tx.now(),
          lines: [
            { account: "sales", amount: target.total, invoiceId: input.id },
            { account: "receivable", amount: -due, invoiceId: input.id },
            { account: "credit", amount: -(target.total - due), invoiceId: input.id },
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
