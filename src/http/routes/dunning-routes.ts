import { extendDueDate } from "../../billing/dunning/due-date-extension.ts";
import { setDunningExemption } from "../../billing/dunning/dunning-exemption.ts";
import { getCustomerDunning } from "../../billing/dunning/dunning-state.ts";
import {
  CustomerDunningOut,
  DunningRunOut,
  Exemption,
  ExemptionInput,
  Extension,
  ExtensionInput,
} from "../../billing/dunning/dunning-schemas.ts";
import { DunningRunInput, runDunning } from "../../billing/dunning/run-dunning.ts";
import { InvoiceIdParams } from "../../billing/invoices/invoice-schemas.ts";
import { IdParams } from "../../kernel/schemas.ts";
import { defineRoute } from "../route.ts";

// Dunning (billing-rules §8; docs/dunning.md): a run of the ladder now (or, in sandbox mode, at a future
// instant), exemptions per customer, due-date extensions per invoice.
export const dunningRoutes = [
  defineRoute({
    method: "POST",
    url: "/api/v1/dunning/runs",
    tag: "dunning",
    summary:
      "Evaluate the dunning ladder for every customer as of an instant (default now); returns the steps taken",
    body: DunningRunInput.optional(),
    response: DunningRunOut,
    handler: async ({ ctx, body }) => {
      const run = await runDunning({ ctx, input: body ?? {} });
      return {
        as_of: run.as_of.toISOString(),
        customers_evaluated: run.customers_evaluated,
        steps_total: run.steps_total,
        steps: run.steps.map((s) => ({
          ...s,
          customer_id: Number(s.customer_id),
          episode_id: Number(s.episode_id),
          done_at: s.done_at.toISOString(),
        })),
      };
    },
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/customers/{id}/dunning",
    tag: "dunning",
    summary:
      "The customer's dunning state: whether it is exempt, and the steps its open overdue episode has taken",
    params: IdParams,
    response: CustomerDunningOut,
    handler: async ({ ctx, params }) => {
      const state = await getCustomerDunning({ ctx, input: { id: params.id } });
      return {
        customer_id: Number(params.id),
        exempt: state.exempt,
        episode: state.episode && {
          started_at: state.episode.started_at.toISOString(),
          steps: state.episode.steps.map((s) => ({ ...s, done_at: s.done_at.toISOString() })),
        },
      };
    },
  }),
  defineRoute({
    method: "PUT",
    url: "/api/v1/customers/{id}/dunning-exemption",
    tag: "dunning",
    summary: "Exempt a customer from dunning (no new steps), or end the exemption",
    params: IdParams,
    body: ExemptionInput,
    response: Exemption,
    handler: ({ ctx, params, body }) => setDunningExemption({ ctx, input: { ...body, id: params.id } }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/invoices/{id}/due-date-extension",
    tag: "dunning",
    summary: "Extend one invoice's due date for dunning (the invoice document keeps its own date)",
    params: InvoiceIdParams,
    body: ExtensionInput,
    response: Extension,
    handler: ({ ctx, params, body }) => extendDueDate({ ctx, input: { ...body, id: params.id } }),
  }),
];
