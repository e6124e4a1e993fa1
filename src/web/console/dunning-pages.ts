import type { FastifyInstance } from "fastify";
import { extendDueDate } from "../../billing/dunning/due-date-extension.ts";
import { setDunningExemption } from "../../billing/dunning/dunning-exemption.ts";
import { getCustomer } from "../../services/customers/customers.ts";
import { formFailureOf } from "../form-failure.ts";
import { formOnceOutcome, formOnceRequest } from "../form-once.ts";
import { refuseFormText } from "../page-text-input.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { customerOverview } from "./customer-overview.ts";
import { invoicePage } from "./invoice-view.ts";
import { param, STAFF_FORM } from "./page-helpers.ts";

// Dunning in the console (billing-rules §8, docs/dunning.md): exempting a customer or ending its exemption
// (customer page) and extending one invoice's due date for dunning (invoice page). Both call the admin API's
// verbs, whose role check (billing, admin, owner) refuses the others; both forms carry a one-time key, so a
// second sending writes no second audit entry and queues no second evaluation.

/** Said on the customer page when the exemption form's hidden choice is neither "true" nor "false". */
const EXEMPT_UNKNOWN =
  "The exemption was not changed: the form did not say whether to exempt the customer or end the exemption. Send the form on this page again.";

export function registerDunningPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  app.post("/console/customers/:id/dunning-exemption", { ...STAFF_FORM, ...csrf }, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const customer = await getCustomer({ ctx, input: { id: param(request, "id") } });
    const form = formFields(request);
    const sent = (form["exempt"] ?? "").trim();
    if (sent !== "true" && sent !== "false")
      return customerOverview(deps, request, reply, customer, { errors: { form: EXEMPT_UNKNOWN } }, 400);
    const exempt = sent === "true";
    const notice = exempt ? "dunning_exempted" : "dunning_exemption_ended";
    try {
      refuseFormText(request);
      const input = { id: customer.id, exempt, reason: form["reason"] ?? "" };
      ctx.idempotency = formOnceRequest(request, ctx, input);
      await setDunningExemption({ ctx, input });
    } catch (error) {
      const again = formOnceOutcome(error);
      if (again?.done)
        return reply.redirect(`/console/customers/${customer.id}?notice=${notice}_before`, 303);
      const failure = again ?? formFailureOf(error, ["reason"]);
      if (!failure) throw error;
      return customerOverview(
        deps,
        request,
        reply,
        customer,
        { errors: failure.errors, values: { reason: form["reason"] ?? "" } },
        failure.status,
      );
    }
    return reply.redirect(`/console/customers/${customer.id}?notice=${notice}`, 303);
  });

  app.post<{ Params: { id: string } }>(
    "/console/invoices/:id/due-date-extension",
    { ...STAFF_FORM, ...csrf },
    async (request, reply) => {
      const ctx = deps.contextOf(request);
      const { id } = request.params;
      const form = formFields(request);
      const values = { due_date: form["due_date"] ?? "", reason: form["reason"] ?? "" };
      try {
        refuseFormText(request);
        const input = { id, due_date: values.due_date.trim(), reason: values.reason };
        ctx.idempotency = formOnceRequest(request, ctx, input);
        await extendDueDate({ ctx, input });
      } catch (error) {
        const again = formOnceOutcome(error);
        if (again?.done)
          return reply.redirect(`/console/invoices/${id}?notice=due_date_extended_before`, 303);
        const failure = again ?? formFailureOf(error, ["due_date", "reason"]);
        if (!failure) throw error;
        return invoicePage(deps, request, reply, id, failure.status, { errors: failure.errors, values });
      }
      return reply.redirect(`/console/invoices/${id}?notice=due_date_extended`, 303);
    },
  );
}
