import type { FastifyInstance } from "fastify";
import { listPayments } from "../../billing/payments/get-payment.ts";
import { type PaymentLabels, paymentLabels } from "../../billing/payments/payment-labels.ts";
import type { Payment } from "../../billing/payments/payment-schemas.ts";
import type { CurrencyDisplay } from "../../domain/money.ts";
import { currencyDisplays, listCurrencies } from "../../services/currencies/currencies.ts";
import { money, paidOn } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";
import { walkPagerOf, walkQuery } from "../list-walk.ts";
import { filteredListPage, filteredListRoute } from "./list-walk.ts";
import { filterValues, shownValues } from "../list-filters.ts";

// Every payment, newest first, filtered by what the payments API filters by (customer, invoice, method,
// currency, the days received), walked by cursor as the invoice list is. Read-only: refunds stay on the
// payment's customer or invoice page. Every staff role may read it; the verb checks (requireReadAccess).

const FILTERS = ["customer_id", "invoice_id", "method", "currency", "received_from", "received_to"] as const;
/** Offered as the method field's suggestions; any other method name (a provider's) may be typed. */
const COMMON_METHODS = ["manual", "bank_transfer", "stripe"];

export function registerPaymentListPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/console/payments", filteredListRoute(FILTERS), async (request, reply) => {
    const ctx = deps.contextOf(request);
    const values = filterValues(request, FILTERS);
    const currencies = await listCurrencies({ ctx, input: { page: 1, per_page: 500 } });
    const data = {
      title: "Payments",
      values: shownValues(values),
      currencies: currencyChoices(
        currencies.data.map((c) => c.code),
        values["currency"],
      ),
      methods: COMMON_METHODS,
      timeZone: ctx.config.BILLING_TIME_ZONE,
    };
    const page = { template: "console-payment-list", data, filters: FILTERS, empty: { payments: [] } };
    return filteredListPage(deps, request, reply, page, async () => {
      const [found, displays] = await Promise.all([
        listPayments({ ctx, input: { ...walkQuery(request), ...values } }),
        currencyDisplays({ ctx, input: {} }),
      ]);
      const labels = await paymentLabels({
        ctx,
        input: {
          customer_ids: found.data.map((p) => p.customer_id),
          invoice_ids: found.data.flatMap((p) => (p.invoice_id ? [p.invoice_id] : [])),
        },
      });
      return {
        payments: found.data.map((p) => rowOf(p, displays, labels, ctx.config.BILLING_TIME_ZONE)),
        pager: walkPagerOf(request, found.meta),
      };
    });
  });
}

/** The book's currencies, and the one filtered by when it is none of them (deleted since its payments). */
function currencyChoices(codes: string[], chosen: string | undefined): string[] {
  const code = chosen?.toUpperCase();
  return code !== undefined && /^[A-Z]{3}$/.test(code) && !codes.includes(code) ? [...codes, code] : codes;
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
