import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { getInvoice } from "../../billing/invoices/get-invoice.ts";
import { getPayment } from "../../billing/payments/get-payment.ts";
import type { Payment } from "../../billing/payments/payment-schemas.ts";
import { refundPayment } from "../../billing/payments/refund.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import { getCustomer } from "../../services/customers/customers.ts";
import { money, paidOn, staffPage } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { minorUnitsOf } from "./invoice-amount.ts";
import { inPeoplesMoney } from "./money-words.ts";
import { displayOf, paysInvoice } from "./invoice-view.ts";
import { STAFF_FORM, param, staffFormOf } from "./page-helpers.ts";
import { BILLING_ROLES } from "../../services/staff/staff-roles.ts";
import { refuseFormText } from "../page-text-input.ts";
import { FORM_KEY_FIELD, formOnceOutcome, formOnceRequest, newFormKey } from "../form-once.ts";
import type { FormField } from "./pricing-form-kit.ts";
import { formFailureOf } from "../form-failure.ts";

// Refunding a payment by hand, from the invoice it pays or from its customer's page: the same form and
// verb, under two owners. A customer's payment (recorded against no invoice) is allocated to invoices, so
// an invoice's page lists it and may refund it; one that only left credit is reached from the customer.

export type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const REFUND_FIELDS: FormField[] = [
  { name: "amount", label: "Amount to refund", inputmode: "decimal", required: true },
  { name: "reason", label: "Reason" },
];

/** Where a refund is asked from: its page's address, what it may refund, the amounts' format. */
export interface RefundOwner {
  /** `/console/invoices/inv_…` or `/console/customers/7`: the form posts to `${base}/refunds`. */
  base: string;
  /** The payment's currency format, to show its amounts and read the one typed. */
  display(payment: Payment): CurrencyDisplay;
  owns(payment: Payment): boolean;
  /** Of this invoice, of this customer: for the 404 of a payment it does not own. */
  name: string;
}

export async function invoiceOwner(deps: WebDeps, request: IdRequest): Promise<RefundOwner> {
  const invoice = await getInvoice({ ctx: deps.contextOf(request), input: { id: request.params.id } });
  return {
    base: `/console/invoices/${invoice.id}`,
    // A payment allocated to the invoice is in the invoice's currency (one currency per ledger event).
    display: () => displayOf(invoice),
    owns: (payment) => paysInvoice(payment, invoice.id),
    name: "of this invoice",
  };
}

export async function customerOwner(deps: WebDeps, request: IdRequest): Promise<RefundOwner> {
  const ctx = deps.contextOf(request);
  const [customer, displays] = await Promise.all([
    getCustomer({ ctx, input: { id: param(request, "id") } }),
    currencyDisplays({ ctx, input: {} }),
  ]);
  // A customer's older payments may be in a currency it has since left (customers.md): each in its own.
  return {
    base: `/console/customers/${customer.id}`,
    display: (payment) => {
      const display = displays.get(payment.currency);
      // A payment's currency is a foreign key to currency: a missing one is a broken database, not input.
      if (!display) throw new Error(`currency ${payment.currency} of payment ${payment.id} not found`);
      return display;
    },
    owns: (payment) => payment.customer_id === customer.id,
    name: "of this customer",
  };
}

/** The pages a payment's refunds are asked from, and whose page owns the payment. */
export const REFUND_OWNERS = [
  { path: "/console/invoices/:id", ownerOf: invoiceOwner },
  { path: "/console/customers/:id", ownerOf: customerOwner },
] as const;

export function registerPaymentRefundPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  /** The owner's payment, or 404: a payment id from another invoice or customer is not refunded here. */
  const paymentOf = async (request: IdRequest, owner: RefundOwner, paymentId: string) => {
    const payment = await getPayment({ ctx: deps.contextOf(request), input: { id: paymentId } });
    if (!owner.owns(payment)) throw ServiceError.notFound(`payment ${paymentId} ${owner.name}`);
    return payment;
  };

  const refundPage = async (
    request: IdRequest,
    reply: FastifyReply,
    owner: RefundOwner,
    paymentId: string,
    status = 200,
    extra: { errors?: FieldErrors; values?: Record<string, string> } = {},
  ) => {
    const payment = await paymentOf(request, owner, paymentId);
    const show = (minor: bigint) => money(minor, owner.display(payment));
    return staffPage(
      deps,
      request,
      reply,
      "console-pricing-form",
      {
        title: "Refund a payment",
        heading: `Refund payment ${payment.reference}`,
        intro: `${show(payment.amount)} paid by ${payment.method} on ${paidOn(payment.paid_at, deps.config.BILLING_TIME_ZONE)}; ${show(payment.refunded)} refunded so far. The refund is recorded at once: it takes back the payment's unused credit first, then reopens the invoices it paid for what it returns.`,
        action: `${owner.base}/refunds`,
        hidden: { payment_id: payment.id, [FORM_KEY_FIELD]: newFormKey() },
        fields: REFUND_FIELDS,
        submit: "Refund",
        danger: true,
        cancel: owner.base,
        errors: extra.errors ?? {},
        values: extra.values ?? {},
      },
      status,
    );
  };

  for (const { path, ownerOf } of REFUND_OWNERS) {
    app.get<{ Params: { id: string } }>(
      `${path}/refund`,
      staffFormOf(deps, BILLING_ROLES),
      async (request, reply) => {
        const payment = (request.query as Record<string, unknown>)["payment"];
        const owner = await ownerOf(deps, request);
        return refundPage(request, reply, owner, typeof payment === "string" ? payment : "");
      },
    );

    app.post<{ Params: { id: string } }>(
      `${path}/refunds`,
      { ...STAFF_FORM, ...csrf },
      async (request, reply) => {
        const ctx = deps.contextOf(request);
        const form = formFields(request);
        const paymentId = form["payment_id"] ?? "";
        const owner = await ownerOf(deps, request);
        try {
          refuseFormText(request);
          const payment = await paymentOf(request, owner, paymentId);
          const amount = minorUnitsOf(form["amount"] ?? "", owner.display(payment));
          const input = { payment_id: payment.id, amount, reason: form["reason"] ?? "" };
          ctx.idempotency = formOnceRequest(request, ctx, input);
          const { confirmed } = await refundPayment({ ctx, input });
          if (!confirmed) return reply.redirect(`${owner.base}?notice=refund_unconfirmed`, 303);
        } catch (error) {
          const again = formOnceOutcome(error);
          // Sent before and done: the same page the first sending was answered with.
          if (again?.done) return reply.redirect(`${owner.base}?notice=refunded_before`, 303);
          const failure = again ?? formFailureOf(await inPeoplesMoney(error, ctx), ["amount", "reason"]);
          if (!failure) throw error;
          return refundPage(request, reply, owner, paymentId, failure.status, {
            errors: failure.errors,
            values: form,
          });
        }
        return reply.redirect(`${owner.base}?notice=refunded`, 303);
      },
    );
  }
}
