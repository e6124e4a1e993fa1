import { customerScope } from "../../kernel/actor.ts";
import { IdParams } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import { requireReadAccess } from "../../services/staff/staff-roles.ts";
import { customerBalance } from "../ledger/ledger.ts";
import { customerCreditHeld } from "./spendable-credit.ts";
import { fieldError } from "./field-error.ts";

export interface CustomerBalance {
  /** The customer's currency, to show the amounts in its format. */
  currency: CurrencyDisplay;
  /** Σ amounts due − credit: positive, the customer owes; negative, in credit. */
  balance: bigint;
  /** Credit the customer holds: paid in and not yet used or refunded. */
  credit: bigint;
  /** Of credit, what pending card refunds hold (the statement's credit_held): it pays no invoice. */
  creditHeld: bigint;
}

/**
 * The customer's balance and credit in its currency, projections of the ledger (docs/payments.md), without
 * the statement's entries: what the console's customer page shows beside the customer's payments.
 */
export const getCustomerBalance = defineVerb(IdParams, async ({ ctx, input }): Promise<CustomerBalance> => {
  await requireReadAccess(ctx);
  customerScope(ctx.actor, input.id);
  const customer = await ctx.db
    .selectFrom("customer")
    .innerJoin("currency", "currency.code", "customer.currency_code")
    .selectAll("currency")
    .where("customer.id", "=", input.id)
    .executeTakeFirst();
  if (!customer) throw fieldError("NOT_FOUND", "customer_id", `customer ${input.id} not found`);
  const [balance, { credit, held }] = await Promise.all([
    customerBalance(ctx.db, input.id, customer.code),
    customerCreditHeld(ctx.db, input.id, customer.code),
  ]);
  return { currency: currencyDisplayOf(customer), balance, credit, creditHeld: held };
});
