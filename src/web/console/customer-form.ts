import type { FastifyRequest } from "fastify";
import type { ServiceContext } from "../../kernel/context.ts";
import { asServiceError } from "../../kernel/errors.ts";
import { getClientGroup, listClientGroups } from "../../services/client-groups/client-groups.ts";
import { listCurrencies } from "../../services/currencies/currencies.ts";
import type { Customer } from "../../services/customers/customer-schemas.ts";
import { formFields } from "../web-deps.ts";

// The customer form of /console/customers/new and /console/customers/:id/edit: what it shows, and the
// form's strings turned into the customer verbs' input (the verbs validate it and name the bad field).

export const CUSTOMER_FIELDS = [
  "email",
  "name",
  "country",
  "region",
  "currency",
  "tax_exempt",
  "client_group_id",
] as const;

export type CustomerFormValues = Record<(typeof CUSTOMER_FIELDS)[number], string>;

export function valuesOf(customer: Customer): CustomerFormValues {
  return {
    email: customer.email,
    name: customer.name,
    country: customer.country,
    region: customer.region ?? "",
    currency: customer.currency,
    tax_exempt: customer.tax_exempt ? "on" : "",
    client_group_id: customer.client_group_id === null ? "" : String(customer.client_group_id),
  };
}

export function postedValues(request: FastifyRequest): CustomerFormValues {
  const form = formFields(request);
  const text = (name: string) => (form[name] ?? "").trim();
  return {
    email: text("email"),
    name: text("name"),
    country: text("country"),
    region: text("region"),
    currency: text("currency"),
    tax_exempt: form["tax_exempt"] === "on" ? "on" : "",
    client_group_id: text("client_group_id"),
  };
}

/**
 * The verbs' input: an empty region is none, and so is an empty client group (the form always sends the
 * select, so an edit that leaves it empty takes the customer out of their group); the check box is sent only
 * when ticked. The group's id goes as typed: the verb refuses one that is no group's, beside the field.
 */
export function customerInput(values: CustomerFormValues) {
  return {
    email: values.email,
    name: values.name,
    country: values.country,
    region: values.region === "" ? null : values.region,
    currency: values.currency,
    tax_exempt: values.tax_exempt === "on",
    client_group_id: values.client_group_id === "" ? null : values.client_group_id,
  };
}

/** The currencies a customer may be billed in, for the form's select. */
export async function currencyCodes(ctx: ServiceContext): Promise<string[]> {
  const page = await listCurrencies({ ctx, input: { page: 1, per_page: 500 } });
  return page.data.map((c) => c.code);
}

/**
 * The client groups a customer may be put in, for the form's select (a group's discounts apply to them): the
 * first 500, and the one chosen if it is not among them, so that saving the form never drops it unseen.
 */
export async function clientGroupChoices(
  ctx: ServiceContext,
  chosen: string,
): Promise<{ id: string; name: string }[]> {
  const page = await listClientGroups({ ctx, input: { page: 1, per_page: 500 } });
  const choices = page.data.map((g) => ({ id: String(g.id), name: g.name }));
  if (/^\d{1,19}$/.test(chosen) && !choices.some((g) => g.id === chosen)) {
    // A posted id that is no group's (or none at all) is the verb's refusal beside the field, not a choice.
    const group = await getClientGroup({ ctx, input: { id: chosen } }).catch((error: unknown) => {
      const code = asServiceError(error)?.code;
      if (code === "NOT_FOUND" || code === "VALIDATION") return undefined;
      throw error;
    });
    if (group) choices.push({ id: String(group.id), name: group.name });
  }
  return choices;
}
