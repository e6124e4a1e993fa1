import type { FastifyInstance } from "fastify";
import { getInvoice } from "../../billing/invoices/get-invoice.ts";
import type { Invoice } from "../../billing/invoices/invoice-schemas.ts";
import { listInvoices } from "../../billing/invoices/list-invoices.ts";
import { renderInvoice } from "../../billing/invoices/render-invoice.ts";
import { resendInvoice } from "../../billing/invoices/resend-invoice.ts";
import { recordPayment } from "../../billing/payments/record-payment.ts";
import { listCurrencies } from "../../services/currencies/currencies.ts";
import { money } from "../page-kit.ts";
import { walkPagerOf, walkQuery } from "../list-walk.ts";
import { filteredListPage, filteredListRoute } from "./list-walk.ts";
import { filterValues, shownValues } from "../list-filters.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { registerInvoiceActionPages } from "./invoice-action-pages.ts";
import { minorUnitsOf } from "./invoice-amount.ts";
import { displayOf, invoicePage, STATUS_BADGE } from "./invoice-view.ts";
import { inPeoplesMoney } from "./money-words.ts";
import { formFailureOf } from "../form-failure.ts";
import { STAFF, STAFF_FORM } from "./page-helpers.ts";
import { refuseFormText } from "../page-text-input.ts";

// Invoices: the filtered list, one invoice's page, its PDF, recording a payment and resending it. Refunds,
// credit notes and voiding are in invoice-action-pages.ts. Every page calls the admin API's verbs with the
// session's staff user; the verbs check the role.

const FILTERS = ["status", "customer_id", "period", "currency"] as const;
const STATUSES = ["draft", "finalized", "partially_paid", "paid", "void"];

export function registerInvoicePages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  app.get("/console/invoices", filteredListRoute(FILTERS), async (request, reply) => {
    const ctx = deps.contextOf(request);
    const values = filterValues(request, FILTERS);
    const currencies = await listCurrencies({ ctx, input: { page: 1, per_page: 500 } });
    const data = {
      title: "Invoices",
      values: shownValues(values),
      statuses: STATUSES,
      currencies: currencies.data.map((c) => c.code),
    };
    const page = { template: "console-invoice-list", data, filters: FILTERS, empty: { invoices: [] } };
    return filteredListPage(deps, request, reply, page, async () => {
      const found = await listInvoices({ ctx, input: { ...walkQuery(request), ...values } });
      return { invoices: found.data.map(rowOf), pager: walkPagerOf(request, found.meta) };
    });
  });

  app.get<{ Params: { id: string } }>("/console/invoices/:id", STAFF, (request, reply) =>
    invoicePage(deps, request, reply, request.params.id),
  );

  app.get<{ Params: { id: string } }>("/console/invoices/:id/pdf", STAFF, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const invoice = await getInvoice({ ctx, input: { id: request.params.id } });
    const pdf = await renderInvoice({ ctx, input: { id: invoice.id, format: "pdf" } });
    // The number format is configurable: only filename-safe characters go into the header.
    const name = (invoice.number ?? `draft-${invoice.id}`).replace(/[^A-Za-z0-9._-]/g, "_");
    return reply
      .header("cache-control", "no-store")
      .header("content-disposition", `inline; filename="${name}.pdf"`)
      .type("application/pdf")
      .send(pdf);
  });

  app.post<{ Params: { id: string } }>(
    "/console/invoices/:id/payments",
    { ...STAFF_FORM, ...csrf },
    async (request, reply) => {
      const ctx = deps.contextOf(request);
      const form = formFields(request);
      const { id } = request.params;
      let created: boolean;
      try {
        refuseFormText(request);
        const invoice = await getInvoice({ ctx, input: { id } });
        const amount = minorUnitsOf(form["amount"] ?? "", displayOf(invoice));
        const result = await recordPayment({
          ctx,
          input: {
            invoice_id: invoice.id,
            amount,
            method: form["method"] ?? "",
            reference: form["reference"] ?? "",
            ...(form["paid_at"]?.trim() ? { paid_at: form["paid_at"].trim() } : {}),
          },
        });
        created = result.created;
      } catch (error) {
        const failure = formFailureOf(await inPeoplesMoney(error, deps.contextOf(request)), [
          "amount",
          "method",
          "reference",
          "paid_at",
        ]);
        if (!failure) throw error;
        return invoicePage(deps, request, reply, id, failure.status, {
          errors: failure.errors,
          values: form,
        });
      }
      return reply.redirect(
        `/console/invoices/${id}?notice=${created ? "payment_recorded" : "payment_repeated"}`,
        303,
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    "/console/invoices/:id/resend",
    { ...STAFF, ...csrf },
    async (request, reply) => {
      const { id } = request.params;
      try {
        await resendInvoice({ ctx: deps.contextOf(request), input: { id } });
      } catch (error) {
        const failure = formFailureOf(error, []);
        if (!failure) throw error;
        return invoicePage(deps, request, reply, id, failure.status, { errors: failure.errors });
      }
      return reply.redirect(`/console/invoices/${id}?notice=resent`, 303);
    },
  );

  registerInvoiceActionPages(app, deps);
}

function rowOf(invoice: Invoice) {
  const display = displayOf(invoice);
  return {
    id: invoice.id,
    number: invoice.number,
    customer: invoice.customer.name || invoice.customer.email,
    customer_id: invoice.customer_id,
    period: invoice.period,
    status: invoice.status,
    badge: STATUS_BADGE[invoice.status],
    total: money(invoice.total, display),
    due: money(invoice.amount_due, display),
    due_date: invoice.due_date ?? "",
  };
}
