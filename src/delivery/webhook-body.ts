import type { InvoiceEvent } from "../billing/invoices/invoice-events.ts";
import type { Invoice } from "../billing/invoices/invoice-schemas.ts";
import { Decimal } from "../domain/decimal.ts";

/**
 * The JSON text of one notification (docs/webhooks.md). Amounts are exact decimal strings in the
 * currency's major unit ("10.20"), never JSON floats. Customer details stay out: receivers get ids and
 * figures and look up the rest through the admin API.
 */
export function webhookBody(input: {
  deliveryId: string;
  event: InvoiceEvent;
  createdAt: string;
  invoice: Invoice;
}): string {
  const i = input.invoice;
  const amount = (minor: bigint): string =>
    Decimal.of(minor, i.currency.exponent).toFixed(i.currency.exponent);
  return JSON.stringify({
    id: input.deliveryId,
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
        payment:
          i.payment === null
            ? null
            : { amount: amount(i.payment.amount), date: i.payment.date, reference: i.payment.reference },
      },
    },
  });
}
