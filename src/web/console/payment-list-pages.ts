import type { FastifyInstance } from "fastify";
import { listPayments } from "../../billing/payments/get-payment.ts";
import { type PaymentLabels, paymentLabels } from "../../billing/payments/payment-labels.ts";
import type { Payment } from "../../billing/payments/payment-schemas.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { currencyDisplays } from "../../services/currencies/currencies.ts";
import { money, paidOn, staffPage } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { walkPagerOf, walkQuery } from "./list-walk.ts";
import { STAFF, queryText } from "./page-helpers.ts";
import { formFailureOf } from "./pricing-form-kit.ts";

// Every payment, newest first, filtered by what the payments API filters by (customer, invoice), walked by
// cursor as the invoice list is. Read-only: refunds stay on the payment's customer or invoice page. Every
// staff role may read it; the verb checks (requireReadAccess).

const FILTERS = ["customer_id", "invoice_id"] as const;

export function registerPaymentListPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/console/payments", STAFF, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const values: Record<string, string> = {};
    for (const name of FILTERS) {
      const v = queryText(request, name);
      if (v !== undefined) values[name] = v;
    }
    const data = { title: "Payments", values };
    try {
      const [page, displays] = await Promise.all([
        listPayments({ ctx, input: { ...walkQuery(request), ...values } }),
        currencyDisplays({ ctx, input: {} }),
      ]);
      const labels = await paymentLabels({
        ctx,
        input: {
          customer_ids: page.data.map((p) => p.customer_id),
          invoice_ids: page.data.flatMap((p) => (p.invoice_id ? [p.invoice_id] : [])),
        },
      });
      return staffPage(deps, request, reply, "console-payment-list", {
        ...data,
        payments: page.data.map((p) => rowOf(p, displays, labels, ctx.config.BILLING_TIME_ZONE)),
        pager: walkPagerOf(request, page.meta),
      });
    } catch (error) {
      const failure = formFailureOf(error, [...FILTERS]);
      if (!failure) throw error;
      return staffPage(
        deps,
        request,
        reply,
        "console-payment-list",
        { ...data, payments: [], errors: failure.errors },
        failure.status,
      );
    }
  });
}

function rowOf(
  p: Payment,
  displays: ReadonlyMap<string, CurrencyDisplay>,
  labels: PaymentLabels,
  timeZone: string,
) {
  const display = displays.get(p.currency);
  // A currency since deleted has no display: its code after the amount in minor units' plain figures.
  const show = (minor: bigint) => (display ? money(minor, display) : `${minor} (${p.currency} minor units)`);
  return {
    id: p.id,
    date: paidOn(p.paid_at, timeZone),
    customer_id: p.customer_id,
    // A customer deleted since keeps its id; an invoice not numbered (a draft) shows as "Invoice".
    customer: labels.customers.get(String(p.customer_id)) ?? `Customer ${p.customer_id}`,
    invoice_id: p.invoice_id,
    invoice: p.invoice_id ? (labels.invoices.get(p.invoice_id) ?? "Invoice") : undefined,
    method: p.method.replaceAll("_", " "),
    reference: p.reference,
    amount: show(p.amount),
    refunded: p.refunded > 0n ? show(p.refunded) : "",
  };
}
