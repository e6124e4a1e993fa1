import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { sellerOf } from "../../delivery/delivery-settings.ts";
import type { StatementDocument } from "../documents/statement-document.ts";
import { customerStatement } from "../payments/statement.ts";
import { calendarDate } from "../runs/calendar-date.ts";
import { statementEntryRefund } from "./statement-entry-refund.ts";

/**
 * The customer's statement (src/billing/payments/statement.ts, a projection of the ledger) as the
 * renderers' view model: dates are calendar dates in BILLING_TIME_ZONE, like invoices' issue dates, and
 * the statement is dated today there.
 */
export async function statementDocumentOf(
  ctx: ServiceContext,
  customerId: bigint,
): Promise<StatementDocument> {
  const statement = await customerStatement(ctx, customerId);
  const customer = await ctx.db
    .selectFrom("customer")
    .select(["id", "name", "email", "country", "region"])
    .where("id", "=", customerId)
    .executeTakeFirstOrThrow();
  const currency = await ctx.db
    .selectFrom("currency")
    .selectAll()
    .where("code", "=", statement.currency)
    .executeTakeFirstOrThrow();
  const zone = ctx.config.BILLING_TIME_ZONE;
  return {
    date: calendarDate(ctx.now(), zone),
    seller: sellerOf(ctx.config),
    customer: {
      id: Number(customer.id),
      name: customer.name,
      email: customer.email,
      country: customer.country,
      region: customer.region,
    },
    currency: currencyDisplayOf(currency),
    entries: statement.entries.map((e) => {
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
    }),
    balance: statement.balance,
    credit: statement.credit,
    creditHeld: statement.credit_held,
  };
}
