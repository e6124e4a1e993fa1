import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { sellerOf } from "../../delivery/delivery-settings.ts";
import type { StatementDocument } from "../documents/statement-document.ts";
import { customerStatement } from "../payments/statement.ts";
import { calendarDate } from "../runs/calendar-date.ts";
import { statementDocumentEntry } from "./statement-document-entry.ts";

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
  const zone = ctx.config.BILLING_TIME_ZONE;
  return {
    ...(await statementHeadOf(ctx, customerId, statement.currency)),
    entries: statement.entries.map((e) => statementDocumentEntry(e, zone)),
    balance: statement.balance,
    credit: statement.credit,
    creditHeld: statement.credit_held,
  };
}

/** What heads the statement document: its date, the seller, the customer and the currency's display. */
export async function statementHeadOf(
  ctx: ServiceContext,
  customerId: bigint,
  currencyCode: string,
): Promise<Pick<StatementDocument, "date" | "seller" | "customer" | "currency">> {
  const customer = await ctx.db
    .selectFrom("customer")
    .select(["id", "name", "email", "country", "region"])
    .where("id", "=", customerId)
    .executeTakeFirstOrThrow();
  const currency = await ctx.db
    .selectFrom("currency")
    .selectAll()
    .where("code", "=", currencyCode)
    .executeTakeFirstOrThrow();
  return {
    date: calendarDate(ctx.now(), ctx.config.BILLING_TIME_ZONE),
    seller: sellerOf(ctx.config),
    customer: {
      id: Number(customer.id),
      name: customer.name,
      email: customer.email,
      country: customer.country,
      region: customer.region,
    },
    currency: currencyDisplayOf(currency),
  };
}
