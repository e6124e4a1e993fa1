import type { InvoiceEvent } from "../billing/invoices/invoice-events.ts";
import type { Invoice } from "../billing/invoices/invoice-schemas.ts";
import { Decimal } from "../domain/decimal.ts";
import type { EventRecords } from "./event-records.ts";

/**
 * The JSON text of one notification (docs/webhooks.md). Amounts are exact decimal strings in the
 * currency's major unit ("10.20"), never JSON floats. Customer details stay out: receivers get ids and
 * figures and look up the rest through the admin API. Besides the invoice, `data` names what the event is
 * about: `payment` (payment.received, payment.refunded, and invoice.paid when a payment paid it), `refund`
 * (payment.refunded), `credit_note` (credit_note.issued).
 */
export function webhookBody(input: {
  webhookId: string;
  event: InvoiceEvent;
  createdAt: string;
  invoice: Invoice;
  records?: EventRecords;
}): string {
  const i = input.invoice;
  const amount = (minor: bigint): string =>
    Decimal.of(minor, i.currency.exponent).toFixed(i.currency.exponent);
  const { payment, refund, creditNote } = input.records ?? {};
  return JSON.stringify({
    id: input.webhookId,
    type: input.event,
    created_at: input.createdAt,
    data: {
      invoice: {
        id: i.id,
        number: i.number,
        status: i.status,
        customer_id: i.customer_id,
        period: i.period,
        period_start: i.period_start,
        period_end: i.period_end,
        issue_date: i.issue_date,
        due_date: i.due_date,
        currency: i.currency.code,
        subtotal: amount(i.subtotal),
        discount_total: amount(i.discount_total),
        net: amount(i.net),
        tax_total: amount(i.tax_total),
        total: amount(i.total),
        // What is left to pay (billing-rules §7) when the notification is sent.
        amount_due: amount(i.amount_due),
        payment:
          i.payment === null
            ? null
            : { amount: amount(i.payment.amount), date: i.payment.date, reference: i.payment.reference },
        // When and why it was voided, and whether its month is to be billed again (reissue).
        void:
          i.void === null
            ? null
            : { at: i.void.at, reason: i.void.reason, released_for_reissue_at: i.void.released_at },
      },
      ...(payment && {
        payment: {
          id: payment.id,
          customer_id: Number(payment.customer_id),
          invoice_id: payment.invoice_id,
          currency: payment.currency_code,
          amount: amount(payment.amount),
          method: payment.method,
          reference: payment.reference,
          paid_at: payment.paid_at.toISOString(),
        },
      }),
      ...(refund && {
        refund: {
          id: refund.id,
          payment_id: refund.payment_id,
          amount: amount(refund.amount),
          status: refund.status,
          created_at: refund.created_at.toISOString(),
        },
      }),
      ...(creditNote && {
        credit_note: {
          id: creditNote.id,
          number: creditNote.number,
          invoice_id: creditNote.invoice_id,
          currency: creditNote.currency_code,
          net: amount(creditNote.net),
          tax_total: amount(creditNote.tax_total),
          total: amount(creditNote.total),
          settlement: creditNote.settlement,
          issue_date: creditNote.issue_date,
        },
      }),
    },
  });
}
