import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { renderCustomerStatement } from "../../billing/statements/render-statement.ts";
import { asServiceError, type ErrorCode, ServiceError } from "../../kernel/errors.ts";
import type { Customer } from "../../services/customers/customer-schemas.ts";
import { deleteCustomer, getCustomer, updateCustomer } from "../../services/customers/customers.ts";
import { createSsoUrl } from "../../services/sso/single-sign-on.ts";
import { reconcileCustomer } from "../../services/sync/reconcile-customer.ts";
import { requireSolusio } from "../../services/sync/require-solusio.ts";
import { retryCustomerSync } from "../../services/sync/retry-customer-sync.ts";
import { type Confirmation, confirmStaffAction } from "../page-kit.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { fieldErrorsOf, param, queryText, STAFF, STAFF_FORM, staffFormOf } from "./page-helpers.ts";
import { ADMIN_ROLES } from "../../services/staff/staff-roles.ts";
import { refuseFormText } from "../page-text-input.ts";
import type { FieldErrors } from "../render.ts";
import { customerOverview, SSO_SUSPENDED } from "./customer-overview.ts";
import { sentence } from "../page-sentence.ts";
import { isolated } from "../isolated.ts";

// What staff do to one customer: lock, suspend or activate it with a reason (a confirmation first), delete
// it (a confirmation first; a refusal is shown there), queue its sync again, reconcile it with SolusIO, log
// in to SolusIO as it, and download its statement.

type Status = Customer["status"];

const CHANGES: Record<Status, { verb: string; why: string; reasonRequired: boolean }> = {
  locked: {
    verb: "Lock",
    why: "A locked customer keeps its servers but cannot create new ones in SolusIO.",
    reasonRequired: true,
  },
  suspended: {
    verb: "Suspend",
    why: "A suspended customer's servers are stopped and it cannot log in to SolusIO.",
    reasonRequired: true,
  },
  active: { verb: "Activate", why: "The customer can use SolusIO fully again.", reasonRequired: false },
};

/** Said above the status form drawn again when its hidden status held a control character. */
const STATUS_DAMAGED =
  "The form held a control character where it names the status (taken out): check the form and send it again.";
/** Said on the customer page when a status form named no status (control characters taken out). */
const STATUS_UNKNOWN =
  "The status change was not made: the form named no status this page knows (active, locked or suspended). Choose Lock, Suspend or Activate again.";

/** The deletion's refusals that the confirmation page shows, with the status the API answers them with. */
const REFUSAL_STATUS: Partial<Record<ErrorCode, number>> = { CONFLICT: 409, UPSTREAM_UNAVAILABLE: 503 };

function isStatus(value: string | undefined): value is Status {
  return value === "active" || value === "locked" || value === "suspended";
}

export function registerCustomerActionPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };
  const customerOf = (request: FastifyRequest) =>
    getCustomer({ ctx: deps.contextOf(request), input: { id: param(request, "id") } });

  const confirmation = (customer: Customer, to: Status): Confirmation => {
    const change = CHANGES[to];
    return {
      title: `${change.verb} ${isolated(customer.name || customer.email)}`,
      message: `${change.why} The reason is kept with the status and shown in the audit log.`,
      action: `/console/customers/${customer.id}/status`,
      submit: change.verb,
      cancel: `/console/customers/${customer.id}`,
      hidden: { status: to },
      reason: { name: "reason", label: "Reason", required: change.reasonRequired },
    };
  };

  app.get("/console/customers/:id/status", staffFormOf(deps, ADMIN_ROLES), async (request, reply) => {
    const to = queryText(request, "to");
    if (!isStatus(to)) throw ServiceError.validation("to", "must be active, locked or suspended");
    const customer = await customerOf(request);
    return confirmStaffAction(deps, request, reply, confirmation(customer, to));
  });

  app.post("/console/customers/:id/status", { ...STAFF_FORM, ...csrf }, async (request, reply) => {
    const customer = await customerOf(request);
    const { status: sent = "", reason = "" } = formFields(request);
    // The status is the confirmation's hidden field. The text check has taken its control characters out (a
    // tab became a space: hence the trim); what is left names the status the form was for, and the form is
    // shown again saying so, as a reason's are. Where it names none, no confirmation can be drawn: the
    // customer page, saying why (until 2026-12-05 both were the bare 400 error page).
    const damaged = request.formTextRefusal?.issues.some((issue) => issue.field === "status") ?? false;
    const status = damaged ? sent.trim() : sent;
    if (!isStatus(status))
      return customerOverview(deps, request, reply, customer, { errors: { form: STATUS_UNKNOWN } }, 400);
    const why = reason.trim();
    const again = (errors: FieldErrors) =>
      confirmStaffAction(
        deps,
        request,
        reply,
        confirmation(customer, status),
        { errors, values: { reason } },
        400,
      );
    try {
      refuseFormText(request);
    } catch (error) {
      const errors = fieldErrorsOf(error, ["reason"]);
      if (!errors) throw error;
      return again(damaged ? { ...errors, form: STATUS_DAMAGED } : errors);
    }
    if (CHANGES[status].reasonRequired && why === "")
      return again({ reason: "Give the reason: it is kept with the status." });
    await updateCustomer({
      ctx: deps.contextOf(request),
      input: { id: customer.id, patch: { status, status_reason: why === "" ? null : why } },
    });
    return reply.redirect(`/console/customers/${customer.id}?notice=status_changed`, 303);
  });

  const deletion = (customer: Customer): Confirmation => ({
    title: `Delete ${isolated(customer.name || customer.email)}?`,
    message:
      "The customer is deleted for good, and its SolusIO user with it. A customer with invoices, or whose " +
      "SolusIO user still has servers, is not deleted: suspend or lock it instead.",
    action: `/console/customers/${customer.id}/delete`,
    submit: "Delete customer",
    cancel: `/console/customers/${customer.id}`,
  });

  app.get("/console/customers/:id/delete", staffFormOf(deps, ADMIN_ROLES), async (request, reply) =>
    confirmStaffAction(deps, request, reply, deletion(await customerOf(request))),
  );

  // A refusal (invoices kept, servers in SolusIO, SolusIO not answering) is shown on the confirmation page.
  app.post("/console/customers/:id/delete", { ...STAFF, ...csrf }, async (request, reply) => {
    const customer = await customerOf(request);
    try {
      await deleteCustomer({ ctx: deps.contextOf(request), input: { id: customer.id } });
    } catch (error) {
      const refusal = asServiceError(error);
      const status = refusal ? REFUSAL_STATUS[refusal.code] : undefined;
      if (!refusal || status === undefined) throw error;
      return confirmStaffAction(
        deps,
        request,
        reply,
        deletion(customer),
        { errors: { form: sentence(refusal.message) } },
        status,
      );
    }
    return reply.redirect("/console/customers?notice=deleted", 303);
  });

  app.post("/console/customers/:id/sync", { ...STAFF, ...csrf }, async (request, reply) => {
    const customer = await customerOf(request);
    await retryCustomerSync({ ctx: deps.contextOf(request), input: { id: customer.id } });
    return reply.redirect(`/console/customers/${customer.id}?notice=sync_queued`, 303);
  });

  // This customer's drift from a look-up of its own SolusIO user (not the whole book, which is admins' work);
  // drift a sync can repair is acted on by queueing its sync.
  app.post("/console/customers/:id/reconcile", { ...STAFF, ...csrf }, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const customer = await customerOf(request);
    const solusio = requireSolusio(ctx);
    const drift = await reconcileCustomer(
      ctx,
      { api: solusio.connection.api, limitGroupId: solusio.limitGroupId },
      BigInt(customer.id),
    );
    let notice = "reconciled_clean";
    if (drift.some((d) => d.kind === "conflict")) notice = "reconciled_conflict";
    else if (drift.some((d) => d.kind === "unreadable_in_solusio")) notice = "reconciled_unreadable";
    // A sync cannot make a group SolusIO lacks: setup creates it, or the customer's group changes.
    else if (drift.some((d) => d.kind === "limit_group_unknown")) notice = "reconciled_limit_group";
    else if (drift.length > 0) {
      await retryCustomerSync({ ctx, input: { id: customer.id } });
      notice = "reconciled_fixed";
    }
    return reply.redirect(`/console/customers/${customer.id}?notice=${notice}`, 303);
  });

  // A 303 to the one-time SSO URL; the customer's page allows that origin in its form-action (form-redirects.ts).
  // A suspended customer (by dunning or by staff) is told in staff words; the verb's refusal is the customer's.
  app.post("/console/customers/:id/sso", { ...STAFF, ...csrf }, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const customer = await customerOf(request);
    if (customer.status === "suspended")
      return customerOverview(deps, request, reply, customer, { errors: { form: SSO_SUSPENDED } }, 409);
    const url = await createSsoUrl(ctx, requireSolusio(ctx).connection, BigInt(customer.id));
    return reply.header("cache-control", "no-store").redirect(url, 303);
  });

  const statement = (format: "csv" | "pdf") => async (request: FastifyRequest, reply: FastifyReply) => {
    const customer = await customerOf(request);
    const body = await renderCustomerStatement({
      ctx: deps.contextOf(request),
      input: { id: customer.id, format },
    });
    return reply
      .header("cache-control", "no-store")
      .header("content-disposition", `attachment; filename="statement-${customer.id}.${format}"`)
      .type(format === "csv" ? "text/csv; charset=utf-8" : "application/pdf")
      .send(body);
  };
  app.get("/console/customers/:id/statement.pdf", STAFF, statement("pdf"));
  app.get("/console/customers/:id/statement.csv", STAFF, statement("csv"));
}
