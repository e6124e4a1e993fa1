import { z } from "zod";
import { getInvoice } from "../../billing/invoices/get-invoice.ts";
import {
  Invoice,
  InvoiceIdParams,
  InvoiceListQuery,
  MarkPaidInput,
  VoidInput,
} from "../../billing/invoices/invoice-schemas.ts";
import { listInvoices } from "../../billing/invoices/list-invoices.ts";
import { markInvoicePaid } from "../../billing/invoices/mark-invoice-paid.ts";
import { reissueInvoice } from "../../billing/invoices/reissue-invoice.ts";
import { voidInvoice } from "../../billing/invoices/void-invoice.ts";
import { launchBillingRun } from "../../billing/runs/launch-billing-run.ts";
import {
  AnomalyListQuery,
  BillingAnomaly,
  BillingRun,
  BillingRunCreate,
  BillingRunListQuery,
  RunIdParams,
} from "../../billing/runs/billing-run-schemas.ts";
import { getBillingRun } from "../../billing/runs/get-billing-run.ts";
import { listBillingAnomalies } from "../../billing/runs/list-billing-anomalies.ts";
import { listBillingRuns } from "../../billing/runs/list-billing-runs.ts";
import { pollServers } from "../../billing/usage/poll-servers.ts";
import { renderInvoice } from "../../billing/invoices/render-invoice.ts";
import { defineRoute } from "../route.ts";

// Billing runs and invoices. A run is started here and goes on in the server process; its
// progress and summary are read back with GET /billing-runs/{id}.
export const billingRoutes = [
  defineRoute({
    method: "POST",
    url: "/api/v1/billing-runs",
    tag: "billing",
    summary:
      "Start a billing run for a period that has ended (runs in the background; poll the run for progress)",
    body: BillingRunCreate,
    response: BillingRun,
    status: 201,
    handler: async ({ ctx, body }) => (await launchBillingRun({ ctx, input: body })).run,
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/billing-runs",
    tag: "billing",
    summary: "List billing runs, newest first",
    query: BillingRunListQuery,
    response: z.array(BillingRun),
    paged: true,
    handler: ({ ctx, query }) => listBillingRuns({ ctx, input: query }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/billing-runs/{id}",
    tag: "billing",
    summary: "A billing run: state, phase, progress, and its summary once completed",
    params: RunIdParams,
    response: BillingRun,
    handler: ({ ctx, params }) => getBillingRun({ ctx, input: params }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/billing-runs/{id}/anomalies",
    tag: "billing",
    summary: "What a run reported: unknown billing users, token mismatches, changed invoices, …",
    params: RunIdParams,
    query: AnomalyListQuery,
    response: z.array(BillingAnomaly),
    paged: true,
    handler: ({ ctx, params, query }) => listBillingAnomalies({ ctx, input: { ...query, id: params.id } }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/server-polls",
    tag: "billing",
    summary: "Record one poll of SolusIO's servers (usage source b)",
    response: z.object({
      poll_id: z.number().int(),
      at: z.string(),
      servers: z.number().int(),
      gone: z.number().int(),
    }),
    status: 201,
    handler: async ({ ctx }) => {
      const r = await pollServers({ ctx, input: {} });
      return { poll_id: Number(r.pollId), at: r.at.toISOString(), servers: r.servers, gone: r.gone };
    },
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/invoices",
    tag: "invoices",
    summary: "List invoices (without lines), filtered by period, customer, status or number",
    query: InvoiceListQuery,
    response: z.array(Invoice),
    paged: "cursor",
    handler: ({ ctx, query }) => listInvoices({ ctx, input: query }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/invoices/{id}",
    tag: "invoices",
    summary: "An invoice with its lines",
    params: InvoiceIdParams,
    response: Invoice,
    handler: ({ ctx, params }) => getInvoice({ ctx, input: params }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/invoices/{id}/html",
    tag: "invoices",
    summary: "The invoice as an HTML page (a draft is marked DRAFT and not numbered)",
    params: InvoiceIdParams,
    raw: { contentType: "text/html; charset=utf-8" },
    handler: ({ ctx, params }) => renderInvoice({ ctx, input: { id: params.id, format: "html" } }),
  }),
  defineRoute({
    method: "GET",
    url: "/api/v1/invoices/{id}/pdf",
    tag: "invoices",
    summary: "The invoice as a PDF document (a draft is marked DRAFT and not numbered)",
    params: InvoiceIdParams,
    raw: { contentType: "application/pdf" },
    handler: ({ ctx, params }) => renderInvoice({ ctx, input: { id: params.id, format: "pdf" } }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/invoices/{id}/mark-paid",
    tag: "invoices",
    summary: "Record the payment of a finalized invoice (amount = total, date, reference)",
    params: InvoiceIdParams,
    body: MarkPaidInput,
    response: Invoice,
    idempotent: true,
    handler: ({ ctx, params, body }) => markInvoicePaid({ ctx, input: { ...body, id: params.id } }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/invoices/{id}/void",
    tag: "invoices",
    summary:
      "Void a draft or finalized invoice (its number stays used); with reissue, the period is billed again",
    params: InvoiceIdParams,
    body: VoidInput,
    response: Invoice,
    handler: ({ ctx, params, body }) => voidInvoice({ ctx, input: { ...body, id: params.id } }),
  }),
  defineRoute({
    method: "POST",
    url: "/api/v1/invoices/{id}/reissue",
    tag: "invoices",
    summary:
      "Release a void invoice's (customer, period) slot, so that the next run of the period drafts a new invoice",
    params: InvoiceIdParams,
    response: Invoice,
    handler: ({ ctx, params }) => reissueInvoice({ ctx, input: params }),
  }),
];
