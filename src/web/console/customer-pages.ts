import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { formOnceOutcome, formOnceRequest, newFormKey } from "../form-once.ts";
import { ServiceError } from "../../kernel/errors.ts";
import { CustomerStatus, SyncState } from "../../services/customers/customer-schemas.ts";
import {
  createCustomer,
  getCustomer,
  listCustomers,
  updateCustomer,
} from "../../services/customers/customers.ts";
import { staffPage } from "../page-kit.ts";
import { walkPagerOf, walkQuery } from "../list-walk.ts";
import { filteredListPage, filteredListRoute } from "./list-walk.ts";
import { filterValues, shownValues } from "../list-filters.ts";
import type { FieldErrors } from "../render.ts";
import type { WebDeps } from "../web-deps.ts";
import { registerCustomerActionPages } from "./customer-action-pages.ts";
import { CUSTOMER_NOTICES, customerOverview, STATUS_BADGE, SYNC_BADGE } from "./customer-overview.ts";
import {
  CUSTOMER_FIELDS,
  type CustomerFormValues,
  clientGroupChoices,
  currencyCodes,
  customerInput,
  postedValues,
  valuesOf,
} from "./customer-form.ts";
import { sentence } from "../page-sentence.ts";
import { fieldErrorsOf, noticeFrom, param, STAFF, STAFF_FORM, staffFormOf } from "./page-helpers.ts";
import { ADMIN_ROLES } from "../../services/staff/staff-roles.ts";
import { refuseFormText } from "../page-text-input.ts";

// Customers: search and filters, create, the customer page, edit. The actions on a customer (status, sync,
// single sign-on, statement) are in customer-action-pages.ts. Every page calls the admin API's verbs.

/** The list's filter fields; the search box `q` is the verb's `search`. */
const CUSTOMER_FIELDS_SHOWN = ["q", "status", "sync_state"] as const;

export function registerCustomerPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  app.get("/console/customers", filteredListRoute(CUSTOMER_FIELDS_SHOWN), async (request, reply) => {
    // A filter value the list does not know is refused with the form's error and a 400, as on the invoice
    // list: shown every customer instead, the page would look filtered when it is not.
    const typed = filterValues(request, CUSTOMER_FIELDS_SHOWN);
    const { q, ...rest } = typed;
    const values = { ...rest, ...(q === undefined ? {} : { search: q }) };
    const shown = shownValues(typed);
    const data = {
      title: "Customers",
      filters: { q: shown["q"] ?? "", status: shown["status"] ?? "", sync_state: shown["sync_state"] ?? "" },
      statuses: CustomerStatus.options,
      syncStates: SyncState.options,
      statusBadge: STATUS_BADGE,
      syncBadge: SYNC_BADGE,
      notice: noticeFrom(request, CUSTOMER_NOTICES),
    };
    const page = {
      template: "console-customers",
      data,
      filters: CUSTOMER_FIELDS_SHOWN,
      empty: { customers: [] },
      fieldOf: (path: string) => (path === "search" ? "q" : path),
    };
    return filteredListPage(deps, request, reply, page, async () => {
      const found = await listCustomers({
        ctx: deps.contextOf(request),
        input: { ...walkQuery(request), ...values },
      });
      return { customers: found.data, pager: walkPagerOf(request, found.meta) };
    });
  });

  const formPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    form: { action: string; title: string; submit: string; cancel: string; once?: boolean },
    values: CustomerFormValues,
    errors: FieldErrors = {},
    status = 200,
  ) =>
    staffPage(
      deps,
      request,
      reply,
      "console-customer-form",
      {
        ...form,
        values,
        errors,
        currencies: await currencyCodes(deps.contextOf(request)),
        clientGroups: await clientGroupChoices(deps.contextOf(request), values.client_group_id),
        // A new customer's form is sent once (src/web/form-once.ts): a second sending lands on the customer.
        formKey: form.once ? newFormKey() : undefined,
      },
      status,
    );

  const newForm = {
    action: "/console/customers/new",
    title: "New customer",
    submit: "Create customer",
    cancel: "/console/customers",
    once: true,
  };
  const blank: CustomerFormValues = {
    email: "",
    name: "",
    country: "",
    region: "",
    currency: "",
    tax_exempt: "",
    client_group_id: "",
  };

  app.get("/console/customers/new", staffFormOf(deps, ADMIN_ROLES), async (request, reply) =>
    formPage(request, reply, newForm, blank),
  );

  app.post("/console/customers/new", { ...STAFF_FORM, ...csrf }, async (request, reply) => {
    const values = postedValues(request);
    try {
      refuseFormText(request);
      const ctx = deps.contextOf(request);
      const input = customerInput(values);
      ctx.idempotency = formOnceRequest(request, ctx, input);
      const customer = await createCustomer({ ctx, input });
      return reply.redirect(`/console/customers/${customer.id}?notice=created`, 303);
    } catch (error) {
      const again = formOnceOutcome(error);
      // Sent before and done: the customer the first sending made.
      if (again?.done)
        return reply.redirect(
          `/console/customers/${(again.data as { id: number }).id}?notice=created_before`,
          303,
        );
      const answer = again ?? formError(error);
      if (!answer) throw error;
      return formPage(request, reply, newForm, values, answer.errors, answer.status);
    }
  });

  app.get("/console/customers/:id", STAFF, async (request, reply) => {
    const customer = await getCustomer({ ctx: deps.contextOf(request), input: { id: param(request, "id") } });
    return customerOverview(deps, request, reply, customer);
  });

  const editForm = (id: number | string) => ({
    action: `/console/customers/${id}/edit`,
    title: "Edit customer",
    submit: "Save",
    cancel: `/console/customers/${id}`,
  });

  app.get("/console/customers/:id/edit", staffFormOf(deps, ADMIN_ROLES), async (request, reply) => {
    const customer = await getCustomer({ ctx: deps.contextOf(request), input: { id: param(request, "id") } });
    return formPage(request, reply, editForm(customer.id), valuesOf(customer));
  });

  app.post("/console/customers/:id/edit", { ...STAFF_FORM, ...csrf }, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const customer = await getCustomer({ ctx, input: { id: param(request, "id") } });
    const values = postedValues(request);
    try {
      refuseFormText(request);
      await updateCustomer({ ctx, input: { id: customer.id, patch: customerInput(values) } });
      return reply.redirect(`/console/customers/${customer.id}?notice=updated`, 303);
    } catch (error) {
      const answer = formError(error);
      if (!answer) throw error;
      return formPage(request, reply, editForm(customer.id), values, answer.errors, answer.status);
    }
  });

  registerCustomerActionPages(app, deps);
}

/**
 * A refusal the form can show next to a field: bad input (400), or a conflict (409): one naming its field (the
 * currency of a customer already invoiced or paid) next to that field, else an e-mail already taken.
 */
function formError(error: unknown): { errors: FieldErrors; status: number } | undefined {
  const errors = fieldErrorsOf(error, CUSTOMER_FIELDS);
  if (errors) return { errors, status: 400 };
  if (!(error instanceof ServiceError && error.code === "CONFLICT")) return undefined;
  const named = error.issues.find((i) => (CUSTOMER_FIELDS as readonly string[]).includes(i.field));
  if (named) {
    return { errors: { [named.field]: sentence(named.message) }, status: 409 };
  }
  return { errors: { email: "Another customer already has this e-mail address." }, status: 409 };
}
