import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { getInvoice } from "../../billing/invoices/get-invoice.ts";
import { reissueInvoice } from "../../billing/invoices/reissue-invoice.ts";
import { voidInvoice } from "../../billing/invoices/void-invoice.ts";
import { confirmStaffAction, money } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { displayOf } from "./invoice-view.ts";
import { STAFF, STAFF_FORM, staffFormOf } from "./page-helpers.ts";
import { BILLING_ROLES } from "../../services/staff/staff-roles.ts";
import { refuseFormText } from "../page-text-input.ts";
import { formFailureOf } from "../form-failure.ts";
import { isolated } from "../isolated.ts";

// Voiding an invoice, with or without reissue, and reissuing one voided before (docs/billing-cycle.md,
// "Voiding and reissuing"). Each is a confirmation page whose button POSTs; the verbs decide what is allowed.

type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type Extra = { errors?: FieldErrors; values?: Record<string, string> };

const REISSUE_HELP =
  "the next run of the month then bills it again on a new invoice, with a new number and the customer's details and prices as they are then";

export function registerInvoiceVoidPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  const voidPage = async (request: IdRequest, reply: FastifyReply, status = 200, extra: Extra = {}) => {
    const invoice = await getInvoice({ ctx: deps.contextOf(request), input: { id: request.params.id } });
    const name = invoice.number ?? "this draft";
    return confirmStaffAction(
      deps,
      request,
      reply,
      {
        title: `Void invoice ${name}?`,
        message: `Invoice ${name} of ${isolated(invoice.customer.name || invoice.customer.email)} (${money(invoice.total, displayOf(invoice))}) will no longer be owed, and its number stays used. Without reissue, ${invoice.period} is not billed again for this customer; with it, ${REISSUE_HELP}. An invoice that was paid or credited cannot be voided: issue a credit note instead.`,
        action: `/console/invoices/${invoice.id}/void`,
        submit: "Void invoice",
        cancel: `/console/invoices/${invoice.id}`,
        reason: { name: "reason", label: "Reason", required: true },
        option: { name: "reissue", label: `Reissue: bill ${invoice.period} again at the next run` },
      },
      extra,
      status,
    );
  };

  app.get<{ Params: { id: string } }>(
    "/console/invoices/:id/void",
    staffFormOf(deps, BILLING_ROLES),
    (request, reply) => voidPage(request, reply),
  );

  app.post<{ Params: { id: string } }>(
    "/console/invoices/:id/void",
    { ...STAFF_FORM, ...csrf },
    async (request, reply) => {
      const form = formFields(request);
      const reissue = form["reissue"] === "on";
      try {
        refuseFormText(request);
        await voidInvoice({
          ctx: deps.contextOf(request),
          input: { id: request.params.id, reason: form["reason"] ?? "", reissue },
        });
      } catch (error) {
        const failure = formFailureOf(error, ["reason"]);
        if (!failure) throw error;
        return voidPage(request, reply, failure.status, { errors: failure.errors, values: form });
      }
      const notice = reissue ? "voided_reissue" : "voided";
      return reply.redirect(`/console/invoices/${request.params.id}?notice=${notice}`, 303);
    },
  );

  const reissuePage = async (request: IdRequest, reply: FastifyReply, status = 200, extra: Extra = {}) => {
    const invoice = await getInvoice({ ctx: deps.contextOf(request), input: { id: request.params.id } });
    const name = invoice.number ?? "this void draft";
    return confirmStaffAction(
      deps,
      request,
      reply,
      {
        title: `Reissue ${name}?`,
        message: `Invoice ${name} stays void and keeps its number; ${REISSUE_HELP}. This cannot be taken back.`,
        action: `/console/invoices/${invoice.id}/reissue`,
        submit: "Reissue",
        cancel: `/console/invoices/${invoice.id}`,
      },
      extra,
      status,
    );
  };

  app.get<{ Params: { id: string } }>(
    "/console/invoices/:id/reissue",
    staffFormOf(deps, BILLING_ROLES),
    (request, reply) => reissuePage(request, reply),
  );

  app.post<{ Params: { id: string } }>(
    "/console/invoices/:id/reissue",
    { ...STAFF, ...csrf },
    async (request, reply) => {
      try {
        await reissueInvoice({ ctx: deps.contextOf(request), input: { id: request.params.id } });
      } catch (error) {
        const failure = formFailureOf(error, []);
        if (!failure) throw error;
        return reissuePage(request, reply, failure.status, { errors: failure.errors });
      }
      return reply.redirect(`/console/invoices/${request.params.id}?notice=reissued`, 303);
    },
  );
}
