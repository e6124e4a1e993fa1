import type { z } from "zod";
import { getInvoice } from "../billing/invoices/get-invoice.ts";
import { listPayments } from "../billing/payments/get-payment.ts";
import { type Payment, PaymentListQuery } from "../billing/payments/payment-schemas.ts";
import { calendarDate } from "../billing/runs/calendar-date.ts";
import { formatMinor } from "../domain/money.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { zodToServiceError } from "../kernel/verb.ts";
import { currencyDisplays } from "../services/currencies/currencies.ts";
import { getCustomer } from "../services/customers/customers.ts";
import { invoiceIdOf } from "./invoice-argument.ts";
import { LimitOption, type PageSource, printList, walkList } from "./list-walk.ts";
import { type OutputSink, streamSink } from "./streamed-output.ts";
import { withSystemContext } from "./with-context.ts";

// `tokenbill payments list`: the admin API's GET /api/v1/payments on the command line, with its filters under
// the options' names (option-names.ts maps received_from/received_to to --from/--to), checked by the API's own
// query schema and verb: one reading of each filter. It walks the list by cursor to its end, or to --limit,
// printing each page as it is read (streamed-output.ts): a page is held, never the list. The command and its
// options are in payment-list-options.ts, which imports this file when the command runs.

export interface PaymentListOptions {
  customer?: string;
  invoice?: string;
  method?: string;
  currency?: string;
  from?: string;
  to?: string;
  limit?: string;
  json?: boolean;
}

/** The API's filters and the walk's limit as the options give them (the invoice still as typed). */
export interface PaymentListRequest {
  filters: Omit<z.input<typeof PaymentListQuery>, "invoice_id" | "page" | "per_page" | "cursor" | "total">;
  invoice?: string;
  limit?: number;
}

/**
 * The options as the API's query, checked by its schema before the database is opened: `--currency usd`
 * is refused or taken as `currency=usd` is. An --invoice given by its number (not `inv_…`) is looked up
 * later (invoice-argument.ts), so only an id is checked here.
 */
export function paymentListRequest(opts: PaymentListOptions): PaymentListRequest {
  const filters = {
    ...(opts.customer === undefined ? {} : { customer_id: opts.customer }),
    ...(opts.method === undefined ? {} : { method: opts.method }),
    ...(opts.currency === undefined ? {} : { currency: opts.currency }),
    ...(opts.from === undefined ? {} : { received_from: opts.from }),
    ...(opts.to === undefined ? {} : { received_to: opts.to }),
  };
  const checked = {
    ...filters,
    ...(opts.invoice?.startsWith("inv_") ? { invoice_id: opts.invoice } : {}),
    ...(opts.limit === undefined ? {} : { limit: opts.limit }),
  };
  const parsed = PaymentListQuery.extend({ limit: LimitOption.optional() }).safeParse(checked);
  if (!parsed.success) throw zodToServiceError(parsed.error);
  return {
    filters,
    ...(opts.invoice === undefined ? {} : { invoice: opts.invoice }),
    ...(parsed.data.limit === undefined ? {} : { limit: parsed.data.limit }),
  };
}

/** One call of the list: up to `perPage` payments after `cursor` (none: the newest), and the next cursor. */
export type PaymentPageSource = PageSource<Payment>;

/** The admin API's list under `query`, read without counting (a count reads every match again). */
export function paymentPages(
  ctx: ServiceContext,
  query: PaymentListRequest["filters"] & { invoice_id?: string },
): PaymentPageSource {
  return async (perPage, cursor) => {
    const page = await listPayments({
      ctx,
      input: { ...query, per_page: perPage, total: "false", ...(cursor === undefined ? {} : { cursor }) },
    });
    return { data: page.data, next_cursor: page.meta.next_cursor };
  };
}

/** Every payment `source` gives, newest first, up to `limit`, a page at a time (list-walk.ts). */
export const walkPayments: (
  source: PaymentPageSource,
  onPage: (payments: Payment[]) => Promise<void>,
  limit?: number,
  stop?: () => boolean,
) => Promise<{ count: number; more: boolean }> = walkList;

const TABLE_HEADERS = ["Payment", "Customer", "Invoice", "Amount", "Reference", "Paid", "Refunded"];

/** A payment as a row of the table. */
async function tableRows(ctx: ServiceContext): Promise<(p: Payment) => string[]> {
  // Read once: formatting each amount through the verb read the currency table twice a payment.
  const displays = await currencyDisplays({ ctx, input: {} });
  const money = (code: string, minor: bigint) => {
    const display = displays.get(code);
    return display ? formatMinor(minor, display) : `${minor} (${code} minor units)`;
  };
  return (p) => [
    p.id,
    String(p.customer_id),
    p.invoice_id ?? "",
    money(p.currency, p.amount),
    `${p.method} ${p.reference}`,
    // The day as statements write it: in BILLING_TIME_ZONE, not UTC's.
    calendarDate(new Date(p.paid_at), ctx.config.BILLING_TIME_ZONE),
    money(p.currency, p.refunded),
  ];
}

/** The list written to `sink` as it is walked, as JSON or the table (list-walk.ts, printList). */
export function printPaymentList(
  source: PaymentPageSource,
  sink: OutputSink,
  options: { json: boolean; limit?: number | undefined; row: (p: Payment) => string[] },
): Promise<{ count: number; more: boolean }> {
  return printList(source, sink, { ...options, headers: TABLE_HEADERS });
}

/** `payments list`: the walk, printed as it goes. */
export async function listAction(opts: PaymentListOptions): Promise<void> {
  const request = paymentListRequest(opts);
  await withSystemContext(async (ctx) => {
    // A customer or invoice that does not exist is not found, as `payments statement` says: an empty
    // list said "no payments" of a customer nobody has.
    if (opts.customer !== undefined) await getCustomer({ ctx, input: { id: opts.customer } });
    const invoiceId = request.invoice === undefined ? undefined : await invoiceIdOf(ctx, request.invoice);
    if (invoiceId !== undefined) await getInvoice({ ctx, input: { id: invoiceId } });
    const query = { ...request.filters, ...(invoiceId === undefined ? {} : { invoice_id: invoiceId }) };
    const { count, more } = await printPaymentList(paymentPages(ctx, query), streamSink(), {
      json: opts.json === true,
      limit: request.limit,
      row: await tableRows(ctx),
    });
    if (more && !opts.json) process.stderr.write(`the newest ${count} shown; more match (raise --limit)\n`);
  });
}
