import { z } from "zod";
import { formatMinorNamed } from "../../domain/money.ts";
import { currencyDisplayOf } from "../../services/currencies/currencies.ts";
import { customerScope } from "../../kernel/actor.ts";
import { recordAudit } from "../../kernel/audit.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { withTransaction } from "../../kernel/transaction.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { invoiceAmountDue } from "../ledger/ledger.ts";
import { fieldError } from "../payments/field-error.ts";
import { requirePaymentProvider } from "./provider-from-config.ts";
import { BILLING_ROLES, requireStaffRole } from "../../services/staff/staff-roles.ts";

// A checkout for an invoice's amount due (issue 11 item 4): the provider's hosted payment page. Nothing is
// paid here: the payment is recorded only when the provider's signed webhook says the money came in
// (process-provider-event.ts). Each call makes a new session; two paid sessions are two payments, the
// second of which becomes credit (billing-rules §7).

export const StartCheckoutInput = z
  .object({ invoice_id: z.string().regex(/^inv_[0-9a-f]{1,64}$/, "must be an invoice id (inv_…)") })
  .strict();

export const CheckoutAnswer = z.object({
  id: z.string(),
  provider: z.string(),
  invoice_id: z.string(),
  amount: z.bigint().meta({
    type: "integer",
    description:
      "minor units of currency: what the session charges, the amount due rounded up to what the provider can charge (the excess becomes credit)",
  }),
  amount_due: z
    .bigint()
    .meta({ type: "integer", description: "minor units of currency: the invoice's amount due" }),
  currency: z.string(),
  url: z.string(),
});
export type CheckoutAnswer = z.output<typeof CheckoutAnswer>;

const PAYABLE = ["finalized", "partially_paid"];

export const startCheckout = defineVerb(StartCheckoutInput, async ({ ctx, input }) => {
  // Operators, staff who may take payments, and a customer (the portal) for its own invoices only. A
  // checkout writes a session row and an audit row, so a read-only role is refused before anything else.
  if (ctx.actor.kind !== "customer") await requireStaffRole(ctx, ...BILLING_ROLES);
  const scope = customerScope(ctx.actor, undefined);
  const provider = await requirePaymentProvider(ctx.config);
  const invoice = await ctx.db
    .selectFrom("invoice")
    .innerJoin("currency", "currency.code", "invoice.currency_code")
    .select([
      "invoice.id",
      "invoice.number",
      "invoice.status",
      "invoice.customer_id",
      "invoice.customer_email",
      "invoice.currency_code",
      "currency.exponent",
      "currency.display_prefix",
      "currency.display_suffix",
      "currency.thousands_separator",
      "currency.decimals_separator",
    ])
    .where("invoice.id", "=", input.invoice_id)
    .executeTakeFirst();
  if (!invoice || (scope !== undefined && invoice.customer_id !== scope))
    throw ServiceError.notFound(`invoice ${input.invoice_id}`);
  if (!PAYABLE.includes(invoice.status))
    throw new ServiceError(
      "CONFLICT",
      `invoice ${invoice.id} is ${invoice.status}: only an issued, unpaid invoice can be paid`,
    );
  const due = await invoiceAmountDue(ctx.db, invoice.id);
  if (due <= 0n) throw new ServiceError("CONFLICT", `invoice ${invoice.id} has nothing due`);

  // Below the provider's smallest charge (Stripe: 0.50 USD, ¥50, …) it would refuse the checkout: said here,
  // in the currency's words, without asking it (until 2026-12-06 Stripe's refusal came back as a 409).
  const quote = provider.checkoutQuote(due, { code: invoice.currency_code, exponent: invoice.exponent });
  if (quote.belowMinimum && quote.minimum !== null) {
    const display = currencyDisplayOf({ ...invoice, code: invoice.currency_code });
    throw fieldError(
      "CONFLICT",
      "invoice_id",
      `invoice ${invoice.id} has ${formatMinorNamed(due, display)} due, below the smallest card payment ` +
        `${provider.name.charAt(0).toUpperCase()}${provider.name.slice(1)} takes in ${invoice.currency_code} (${formatMinorNamed(quote.minimum, display)}): ` +
        "no checkout is made; settle it by bank transfer (a payment recorded by staff) or from the customer's credit",
    );
  }

  // The provider is called outside any transaction: no row is locked while Stripe answers.
  const session = await provider.createCheckout({
    invoice: {
      id: invoice.id,
      number: invoice.number,
      customerId: invoice.customer_id,
      customerEmail: invoice.customer_email,
    },
    amount: due,
    currency: invoice.currency_code,
    exponent: invoice.exponent,
  });
  const row = {
    id: session.id,
    provider: provider.name,
    invoice_id: invoice.id,
    customer_id: invoice.customer_id,
    amount: session.amount,
    currency_code: invoice.currency_code,
    url: session.url,
  };
  await withTransaction(ctx, async (tx) => {
    await tx.db.insertInto("checkout_session").values(row).execute();
    await recordAudit(tx.db, tx, {
      action: "create",
      entity: "checkout_session",
      entityId: session.id,
      before: null,
      after: { ...row, amount: String(session.amount), customer_id: String(invoice.customer_id) },
    });
  });
  return {
    id: session.id,
    provider: provider.name,
    invoice_id: invoice.id,
    amount: session.amount,
    amount_due: due,
    currency: invoice.currency_code,
    url: session.url,
  } satisfies CheckoutAnswer;
});
