import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { FORM_KEY_FIELD, formOnceOutcome, formOnceRequest, newFormKey } from "../form-once.ts";
import { issueCreditNote } from "../../billing/credit-notes/issue-credit-note.ts";
import { getInvoice } from "../../billing/invoices/get-invoice.ts";
import { money, staffPage } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { minorUnitsOf } from "./invoice-amount.ts";
import { inPeoplesMoney } from "./money-words.ts";
import { displayOf } from "./invoice-view.ts";
import { registerInvoiceVoidPages } from "./invoice-void-pages.ts";
import { registerPaymentRefundPages } from "./payment-refund-pages.ts";
import { registerRefundReleasePages } from "./refund-release-pages.ts";
import type { FormField } from "./pricing-form-kit.ts";
import { formFailureOf } from "../form-failure.ts";
import { STAFF_FORM, staffFormOf } from "./page-helpers.ts";
import { BILLING_ROLES } from "../../services/staff/staff-roles.ts";
import { refuseFormText } from "../page-text-input.ts";

// What changes an issued invoice's money: issuing a credit note (voiding and reissuing are in
// invoice-void-pages.ts, refunding one of its payments in payment-refund-pages.ts, releasing a refund's reservation in refund-release-pages.ts). Each has a page of its own that says what will happen (the confirmation), and
// its button POSTs.

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const CREDIT_FIELDS: FormField[] = [
  {
    name: "amount",
    label: "Net amount to credit",
    hint: "Before tax: the invoice's tax rates are added to it",
    inputmode: "decimal",
    required: true,
  },
  { name: "reason", label: "Reason", hint: "Printed on the credit note", required: true },
  {
    name: "settlement",
    label: "What the part already paid becomes",
    type: "select",
    options: [
      { value: "credit", text: "Credit for the customer's next invoices" },
      { value: "refund", text: "A refund of the invoice's payments" },
    ],
  },
];

export function registerInvoiceActionPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };
  registerPaymentRefundPages(app, deps);
  registerRefundReleasePages(app, deps);

  const creditPage = async (
    request: IdRequest,
    reply: FastifyReply,
    status = 200,
    extra: { errors?: FieldErrors; values?: Record<string, string> } = {},
  ) => {
    const invoice = await getInvoice({ ctx: deps.contextOf(request), input: { id: request.params.id } });
    const display = displayOf(invoice);
    return staffPage(
      deps,
      request,
      reply,
      "console-pricing-form",
      {
        title: "Issue a credit note",
        heading: `Credit note for ${invoice.number ?? "a draft"}`,
        intro: `The invoice's total is ${money(invoice.total, display)} (net ${money(invoice.net, display)}); ${money(invoice.amount_due, display)} is still due. A credit note is numbered and cannot be taken back.`,
        action: `/console/invoices/${invoice.id}/credit-notes`,
        hidden: { [FORM_KEY_FIELD]: newFormKey() },
        fields: CREDIT_FIELDS,
        submit: "Issue credit note",
        danger: true,
        cancel: `/console/invoices/${invoice.id}`,
        errors: extra.errors ?? {},
        values: { settlement: "credit", ...extra.values },
      },
      status,
    );
  };

  app.get<{ Params: { id: string } }>(
    "/console/invoices/:id/credit-note",
    staffFormOf(deps, BILLING_ROLES),
    (request, reply) => creditPage(request, reply),
  );

  app.post<{ Params: { id: string } }>(
    "/console/invoices/:id/credit-notes",
    { ...STAFF_FORM, ...csrf },
    async (request, reply) => {
      const ctx = deps.contextOf(request);
      const form = formFields(request);
      // The select sends one of its two values; without the field, the one it shows first. Anything else is
      // refused: until 2026-12-04 every value but "refund" (settlement=NaN) issued a credit note as "credit".
      const settlement = form["settlement"] ?? "credit";
      if (settlement !== "credit" && settlement !== "refund")
        return creditPage(request, reply, 400, {
          errors: { settlement: "Choose credit for the next invoices or a refund of the payments." },
          values: form,
        });
      let creditNoteId: string;
      let notice = "issued";
      try {
        refuseFormText(request);
        const invoice = await getInvoice({ ctx, input: { id: request.params.id } });
        const amount = minorUnitsOf(form["amount"] ?? "", displayOf(invoice));
        const input = { invoice_id: invoice.id, amount, reason: form["reason"] ?? "", settlement } as const;
        ctx.idempotency = formOnceRequest(request, ctx, input);
        const note = await issueCreditNote({ ctx, input });
        creditNoteId = note.id;
      } catch (error) {
        const again = formOnceOutcome(error);
        // Sent before and done: the first sending's note, whose answer was kept with the form's key.
        if (again?.done) {
          creditNoteId = (again.data as { id: string }).id;
          notice = "issued_before";
        } else {
          const failure =
            again ?? formFailureOf(await inPeoplesMoney(error, ctx), ["amount", "reason", "settlement"]);
          if (!failure) throw error;
          return creditPage(request, reply, failure.status, { errors: failure.errors, values: form });
        }
      }
      return reply.redirect(`/console/credit-notes/${creditNoteId}?notice=${notice}`, 303);
    },
  );
  registerInvoiceVoidPages(app, deps);
}
