import { sql } from "kysely";
import { calendarDate } from "../../billing/runs/calendar-date.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

export interface OverdueTotal {
  currency: string;
  /** What overdue invoices still owe, in the currency's minor units (the ledger's receivable). */
  amount: bigint;
  invoices: number;
}

/**
 * What is overdue, per currency: finalized or partly paid invoices whose due date (an extension's, when one
 * was granted) is before today in BILLING_TIME_ZONE (the day dunning counts from), with what the ledger says
 * they still owe. Currencies are never added together (billing-rules §1).
 */
export const overdueTotals = defineVerb(NoInput, async ({ ctx }): Promise<OverdueTotal[]> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  const today = calendarDate(ctx.now(), ctx.config.BILLING_TIME_ZONE);
  // Each invoice's due fits int8 (at most its total); their sum over a currency's whole book need not, so it
  // stays numeric and arrives as its exact digits (src/billing/ledger/ledger.ts).
  const rows = await sql<{ currency_code: string; amount: string; invoices: string }>`
    SELECT i.currency_code, sum(d.due) AS amount, count(*) AS invoices
      FROM invoice i
      LEFT JOIN invoice_due_extension x ON x.invoice_id = i.id
      JOIN LATERAL (
        SELECT coalesce(sum(l.amount), 0)::bigint AS due FROM ledger_entry l
         WHERE l.invoice_id = i.id AND l.account = 'receivable'
      ) d ON true
     WHERE i.status IN ('finalized', 'partially_paid')
       AND coalesce(x.due_date, i.due_date) < ${today}
       AND d.due > 0
     GROUP BY i.currency_code
     ORDER BY i.currency_code`.execute(ctx.db);
  return rows.rows.map((r) => ({
    currency: r.currency_code,
    amount: BigInt(r.amount),
    invoices: Number(r.invoices),
  }));
});
