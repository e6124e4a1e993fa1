import type { Command } from "commander";
import type { z } from "zod";
import { getInvoice } from "../billing/invoices/get-invoice.ts";
import { listPayments } from "../billing/payments/get-payment.ts";
import { type Payment, PaymentListQuery } from "../billing/payments/payment-schemas.ts";
import { calendarDate } from "../billing/runs/calendar-date.ts";
import { formatMinor } from "../domain/money.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { jsonText } from "../kernel/json.ts";
import { wholeNumber } from "../kernel/schemas.ts";
import { zodToServiceError } from "../kernel/verb.ts";
import { currencyDisplays } from "../services/currencies/currencies.ts";
import { getCustomer } from "../services/customers/customers.ts";
import { INVOICE_ARGUMENT_HELP, invoiceIdOf } from "./invoice-argument.ts";
import { renderTable } from "./output.ts";
import { withSystemContext } from "./with-context.ts";

// `tokenbill payments list`: the admin API's GET /api/v1/payments on the command line, with its filters under
// the options' names (option-names.ts maps received_from/received_to to --from/--to), checked by the API's own
// query schema and verb: one reading of each filter. It walks the list by cursor to its end, or to --limit.

/** The most --limit takes: a bound, so that no typo asks for a number no book holds. */
export const MAX_LIMIT = 10_000_000;
/** The API's largest page: the walk reads this many payments a call. */
const PAGE_SIZE = 500;

const LimitOption = wholeNumber({
  min: 1n,
  max: BigInt(MAX_LIMIT),
  message: `must be a whole number from 1 to ${MAX_LIMIT}`,
}).transform(Number);

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

/**
 * Every payment the filters match, newest first, up to `limit`: read by cursor, PAGE_SIZE a call, without
 * counting (a count reads every match again). `more` says the limit cut the list short.
 */
export async function walkPayments(
  ctx: ServiceContext,
  query: PaymentListRequest["filters"] & { invoice_id?: string },
  limit = Number.POSITIVE_INFINITY,
): Promise<{ payments: Payment[]; more: boolean }> {
  const payments: Payment[] = [];
  let cursor: string | undefined;
  for (;;) {
    // One more than still wanted, so that a list ending exactly at the limit is not said to have more.
    const perPage = Math.min(PAGE_SIZE, limit - payments.length + 1);
    const page = await listPayments({
      ctx,
      input: { ...query, per_page: perPage, total: "false", ...(cursor === undefined ? {} : { cursor }) },
    });
    payments.push(...page.data);
    if (payments.length > limit) return { payments: payments.slice(0, limit), more: true };
    if (page.meta.next_cursor === null) return { payments, more: false };
    cursor = page.meta.next_cursor;
  }
}

async function printTable(ctx: ServiceContext, payments: Payment[]): Promise<void> {
  // Read once: formatting each amount through the verb read the currency table twice a payment.
  const displays = await currencyDisplays({ ctx, input: {} });
  const money = (code: string, minor: bigint) => {
    const display = displays.get(code);
    return display ? formatMinor(minor, display) : `${minor} (${code} minor units)`;
  };
  const rows = payments.map((p) => [
    p.id,
    String(p.customer_id),
    p.invoice_id ?? "",
    money(p.currency, p.amount),
    `${p.method} ${p.reference}`,
    // The day as statements write it: in BILLING_TIME_ZONE, not UTC's.
    calendarDate(new Date(p.paid_at), ctx.config.BILLING_TIME_ZONE),
    money(p.currency, p.refunded),
  ]);
  process.stdout.write(
    `${renderTable(["Payment", "Customer", "Invoice", "Amount", "Reference", "Paid", "Refunded"], rows)}\n`,
  );
}

/** `payments list`, added to the `payments` group. */
export function addPaymentListCommand(payments: Command): void {
  payments
    .command("list")
    .description("payments, newest first, every one the filters match (or the first --limit)")
    .option("--customer <id>", "only this customer's")
    .option(
      "--invoice <id>",
      `only those recorded against or allocated to this invoice: ${INVOICE_ARGUMENT_HELP}`,
    )
    .option("--method <method>", "only this method's: manual, bank_transfer, stripe, …")
    .option("--currency <code>", "only those in this currency (ISO 4217, e.g. USD)")
    .option("--from <date>", "only those received on or after this day (YYYY-MM-DD in BILLING_TIME_ZONE)")
    .option("--to <date>", "only those received on or before this day (YYYY-MM-DD in BILLING_TIME_ZONE)")
    .option("--limit <n>", `at most this many, the newest (1 to ${MAX_LIMIT}; default: all)`)
    .option(
      "--json",
      'print JSON: {"data": [payments as the admin API shows them], "meta": {"count", "more"}}',
    )
    .action(async (opts: PaymentListOptions) => {
      const request = paymentListRequest(opts);
      await withSystemContext(async (ctx) => {
        // A customer or invoice that does not exist is not found, as `payments statement` says: an empty
        // list said "no payments" of a customer nobody has.
        if (opts.customer !== undefined) await getCustomer({ ctx, input: { id: opts.customer } });
        const invoiceId = request.invoice === undefined ? undefined : await invoiceIdOf(ctx, request.invoice);
        if (invoiceId !== undefined) await getInvoice({ ctx, input: { id: invoiceId } });
        const query = { ...request.filters, ...(invoiceId === undefined ? {} : { invoice_id: invoiceId }) };
        const { payments, more } = await walkPayments(ctx, query, request.limit);
        if (opts.json) {
          process.stdout.write(
            `${jsonText({ data: payments, meta: { count: payments.length, more } }, 2)}\n`,
          );
          return;
        }
        await printTable(ctx, payments);
        if (more) process.stderr.write(`the newest ${payments.length} shown; more match (raise --limit)\n`);
      });
    });
}
