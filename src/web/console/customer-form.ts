import type { FastifyRequest } from "fastify";
import type { ServiceContext } from "../../kernel/context.ts";
import { listCurrencies } from "../../services/currencies/currencies.ts";
import type { Customer } from "../../services/customers/customer-schemas.ts";
import { formFields } from "../web-deps.ts";

// The customer form of /console/customers/new and /console/customers/:id/edit: what it shows, and the
// form's strings turned into the customer verbs' input (the verbs validate it and name the bad field).

export const CUSTOMER_FIELDS = ["email", "name", "country", "region", "currency", "tax_exempt"] as const;

export type CustomerFormValues = Record<(typeof CUSTOMER_FIELDS)[number], string>;

export function valuesOf(customer: Customer): CustomerFormValues {
  return {
    email: customer.email,
    name: customer.name,
    country: customer.country,
    region: customer.region ?? "",
    currency: customer.currency,
    tax_exempt: customer.tax_exempt ? "on" : "",
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
  };
}

/** The verbs' input: an empty region is none; the check box is sent only when ticked. */
export function customerInput(values: CustomerFormValues) {
  return {
    email: values.email,
    name: values.name,
    country: values.country,
    region: values.region === "" ? null : values.region,
    currency: values.currency,
    tax_exempt: values.tax_exempt === "on",
  };
}

/** The currencies a customer may be billed in, for the form's select. */
export async function currencyCodes(ctx: ServiceContext): Promise<string[]> {
  const page = await listCurrencies({ ctx, input: { page: 1, per_page: 500 } });
  return page.data.map((c) => c.code);
}
