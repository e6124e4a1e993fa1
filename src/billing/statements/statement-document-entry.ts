import type { StatementEntry as ShownEntry } from "../documents/statement-document.ts";
import type { StatementEntry } from "../payments/statement.ts";
import { calendarDate } from "../runs/calendar-date.ts";
import { statementEntryRefund } from "./statement-entry-refund.ts";

/**
 * A statement entry (the API's, src/billing/payments/statement.ts) as every rendering shows it: the PDF, the
 * CSV, the portal's page and the CLI's table. Its day and a payment's own day are calendar dates in
 * BILLING_TIME_ZONE, like invoices' issue dates; a refund says how its money went back.
 */
export function statementDocumentEntry(e: StatementEntry, zone: string): ShownEntry {
  const date = calendarDate(new Date(e.date), zone);
  const received = e.paid_at === null ? undefined : calendarDate(new Date(e.paid_at), zone);
  return {
    date,
    kind: e.kind,
    reference: e.reference,
    // A bank transfer recorded days after it arrived: the customer knows it by the day it was paid.
    received: received === date ? undefined : received,
    amount: e.amount,
    balance: e.balance,
    refund: statementEntryRefund(e),
  };
}
