import { customerBalance } from "../../billing/ledger/ledger.ts";
import { customerCreditHeld } from "../../billing/payments/spendable-credit.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { currencyDisplayOf } from "../currencies/currencies.ts";
import { type DunningWarning, dunningWarningOf } from "./portal-dunning.ts";
import { portalCustomerId } from "./portal-customer.ts";
import { unpaidInvoices } from "../../billing/dunning/evaluate-dunning.ts";

// The portal's overview figures: balance and amount due (projections of the ledger, docs/payments.md), the
// account's status and the dunning warning. The month's cost estimate is its own verb (it asks SolusIO).

export interface PortalOverview {
  currency: CurrencyDisplay;
  /** Σ amounts due − credit: positive, the customer owes; negative, in credit. */
  balance: bigint;
  /** Σ amounts due of issued, unpaid invoices in the customer's currency. */
  amount_due: bigint;
  /** All the customer's credit (counted in balance). */
  credit: bigint;
  /**
   * Of credit, what pending card refunds hold (a credit note's, a payment's own): on its way back to the card, it
   * pays no invoice (the statement's credit_held, read by the same function). credit − credit_held pays the next invoices.
   */
  credit_held: bigint;
  unpaid: { id: string; number: string | null; due_date: string; amount_due: bigint }[];
  status: "active" | "locked" | "suspended";
  dunning: DunningWarning | null;
}

export const portalOverview = defineVerb(NoInput, async ({ ctx }): Promise<PortalOverview> => {
  const customerId = portalCustomerId(ctx);
  const customer = await ctx.db
    .selectFrom("customer")
    .innerJoin("currency", "currency.code", "customer.currency_code")
    .selectAll("currency")
    .select(["customer.status"])
    .where("customer.id", "=", customerId)
    .executeTakeFirstOrThrow();
  const [balance, { credit, held }, unpaid, dunning] = await Promise.all([
    customerBalance(ctx.db, customerId, customer.code),
    customerCreditHeld(ctx.db, customerId, customer.code),
    unpaidInvoices(ctx.db, customerId),
    dunningWarningOf(ctx, customerId),
  ]);
  return {
    currency: currencyDisplayOf(customer),
    balance,
    // Σ receivable in the customer's currency: the balance with the credit taken back out.
    amount_due: balance + credit,
    credit,
    credit_held: held,
    unpaid,
    status: customer.status,
    dunning,
  };
});
