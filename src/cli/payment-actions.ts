import { CreditNoteIdParams } from "../billing/credit-notes/credit-note-schemas.ts";
import { getCreditNote } from "../billing/credit-notes/get-credit-note.ts";
import { issueCreditNote } from "../billing/credit-notes/issue-credit-note.ts";
import { getInvoice } from "../billing/invoices/get-invoice.ts";
import { fieldError, MoneyRefusal } from "../billing/payments/field-error.ts";
import { getPayment } from "../billing/payments/get-payment.ts";
import { moneyRefusalWords } from "../billing/payments/money-refusal-words.ts";
import { recordPayment } from "../billing/payments/record-payment.ts";
import { refundPayment } from "../billing/payments/refund.ts";
import { customerStatement } from "../billing/payments/statement.ts";
import { statementReference } from "../billing/documents/statement-content.ts";
import { statementDocumentEntry } from "../billing/statements/statement-document-entry.ts";
import { releaseRefundReservation } from "../billing/providers/release-refund-reservation.ts";
import { formatMinor } from "../domain/money.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { ServiceError } from "../kernel/errors.ts";
import { jsonText } from "../kernel/json.ts";
import { zodToServiceError } from "../kernel/verb.ts";
import { PaymentFields, PaymentIdParams } from "../billing/payments/payment-schemas.ts";
import { getCustomer } from "../services/customers/customers.ts";
import { currencyDisplays } from "../services/currencies/currencies.ts";
import { invoiceIdOf } from "./invoice-argument.ts";
import { renderTable } from "./output.ts";
import { withSystemContext } from "./with-context.ts";
import { SHOWN_ID } from "./payment-commands.ts";

// What `tokenbill payments …` does when one of its commands runs; the commands, their options and words are in
// payment-commands.ts, which imports this file only then. Money in (billing-rules §7, docs/payments.md). People type amounts in the
// currency's major unit ("12.34"); they are converted exactly to minor units with the currency's exponent
// (never through a float), and a figure with more decimals than the currency has is refused.

/** "12.34" at exponent 2 → 1234n; refuses signs, exponents, and more decimals than the currency has. */
export function majorToMinor(text: string, exponent: number, field = "amount"): bigint {
  const m = /^(\d{1,18})(?:\.(\d+))?$/.exec(text.trim());
  if (!m)
    throw ServiceError.validation(
      field,
      `must be a positive amount such as 12.34 (got ${JSON.stringify(text)})`,
    );
  const decimals = m[2] ?? "";
  if (decimals.length > exponent) {
    throw ServiceError.validation(field, `has more than ${exponent} decimal${exponent === 1 ? "" : "s"}`);
  }
  const minor = BigInt(m[1]! + decimals.padEnd(exponent, "0"));
  if (minor <= 0n) throw ServiceError.validation(field, "must be more than zero");
  return minor;
}

/** `payments record`'s options but the amount. */
export interface RecordOptions {
  invoice?: string;
  customer?: string;
  method: string;
  reference: string;
  date?: string;
}

/**
 * The payment `payments record` describes, but its amount (read in the currency found through the invoice or
 * customer): checked with the verb's own schema before the database is opened. An empty `--date ""` is a
 * date given, and refused; it was once taken for no date, and the payment dated now.
 */
export function recordDetails(opts: RecordOptions) {
  if ((opts.invoice === undefined) === (opts.customer === undefined))
    throw ServiceError.validation("invoice", "name exactly one of --invoice and --customer");
  const details = {
    method: opts.method,
    reference: opts.reference,
    ...(opts.date === undefined ? {} : { paid_at: opts.date }),
  };
  const parsed = PaymentFields.pick({ method: true, reference: true, paid_at: true }).safeParse(details);
  if (!parsed.success) throw zodToServiceError(parsed.error);
  return opts.invoice === undefined
    ? { ...details, customer_id: opts.customer! }
    : { ...details, invoice_id: opts.invoice };
}

async function exponentOf(ctx: ServiceContext, code: string): Promise<number> {
  const display = (await currencyDisplays({ ctx, input: {} })).get(code);
  if (!display) throw ServiceError.validation("currency", `unknown currency ${code}`);
  return display.exponent;
}

async function money(ctx: ServiceContext, code: string, minor: bigint): Promise<string> {
  const display = (await currencyDisplays({ ctx, input: {} })).get(code);
  return display ? formatMinor(minor, display) : `${minor} (${code} minor units)`;
}

/**
 * A refusal about amounts in the currency's units, as --amount was typed: the API's message counts minor
 * units ("at most 200 (minor units) of payment pay_…"). It stays a refusal of its field, so that it names
 * the option (option-names.ts): "--amount: at most $2.00 of this payment is left to refund".
 */
async function inTypedMoney(error: unknown, ctx: ServiceContext): Promise<unknown> {
  if (!(error instanceof MoneyRefusal)) return error;
  return fieldError(error.code, error.field, await moneyRefusalWords(error, ctx));
}

const print = (value: unknown) => process.stdout.write(`${jsonText(value, 2)}\n`);

/** `payments record`. */
export async function recordAction(opts: RecordOptions & { amount: string }): Promise<void> {
  const details = recordDetails(opts);
  await withSystemContext(async (ctx) => {
    const paying =
      "invoice_id" in details
        ? { ...details, invoice_id: await invoiceIdOf(ctx, details.invoice_id) }
        : details;
    const currency =
      "invoice_id" in paying
        ? (await getInvoice({ ctx, input: { id: paying.invoice_id } })).currency.code
        : (await getCustomer({ ctx, input: { id: paying.customer_id } })).currency;
    const amount = majorToMinor(opts.amount, await exponentOf(ctx, currency));
    const r = await recordPayment({ ctx, input: { ...paying, amount } }).catch(async (error: unknown) => {
      throw await inTypedMoney(error, ctx);
    });
    if (!r.created) process.stderr.write(`this reference was recorded before: payment ${r.payment.id}\n`);
    print(r.payment);
  });
}

/** `payments refund`. */
export async function refundAction(opts: { payment: string; amount: string; reason: string }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const payment = await getPayment({ ctx, input: { id: opts.payment } });
    const amount = majorToMinor(opts.amount, await exponentOf(ctx, payment.currency));
    const input = { payment_id: opts.payment, amount, reason: opts.reason };
    const refunded = await refundPayment({ ctx, input }).catch(async (error: unknown) => {
      throw await inTypedMoney(error, ctx);
    });
    print(refunded.refund);
    if (!refunded.confirmed)
      process.stderr.write(
        `${payment.method} did not say whether it made the refund: ${refunded.refund.id} stays pending, holding its amount, until its webhook settles it (or \`tokenbill payments refund-release --refund ${refunded.refund.id}\` after 15 minutes); do not refund again\n`,
      );
  });
}

/** `payments refund-release`. */
export async function refundReleaseAction(opts: {
  refund: string;
  olderThanMinutes?: string;
}): Promise<void> {
  const minutes = opts.olderThanMinutes;
  if (minutes !== undefined && !/^\d{1,6}$/.test(minutes))
    throw ServiceError.validation("older_than_minutes", "must be a whole number of minutes");
  const input = {
    refund_id: opts.refund,
    ...(minutes === undefined ? {} : { older_than_minutes: Number(minutes) }),
  };
  await withSystemContext(async (ctx) => print(await releaseRefundReservation({ ctx, input })));
}

/** `payments show <id>`. */
export async function showAction(id: string): Promise<void> {
  // Either verb's own refusal names only its kind of id ("must be a payment id"), though both are taken
  // here: one refusal names both, before the database is opened.
  const payment = PaymentIdParams.shape.id.safeParse(id).success;
  if (!payment && !CreditNoteIdParams.shape.id.safeParse(id).success)
    throw ServiceError.validation("id", `must be ${SHOWN_ID}`);
  await withSystemContext(async (ctx) => {
    try {
      print(payment ? await getPayment({ ctx, input: { id } }) : await getCreditNote({ ctx, input: { id } }));
    } catch (error) {
      // The verbs name their key (payment_id, credit_note_id), a name this command line never shows; the
      // message names the id given, as `staff disable` says "staff user … not found".
      if (error instanceof ServiceError && error.code === "NOT_FOUND" && error.issues.length === 1)
        throw new ServiceError("NOT_FOUND", error.issues[0]!.message, [
          { field: "<id>", message: error.issues[0]!.message },
        ]);
      throw error;
    }
  });
}

/** `payments credit-note`. */
export async function creditNoteAction(opts: {
  invoice: string;
  amount: string;
  reason: string;
  refund?: boolean;
}): Promise<void> {
  await withSystemContext(async (ctx) => {
    const id = await invoiceIdOf(ctx, opts.invoice);
    const invoice = await getInvoice({ ctx, input: { id } });
    const amount = majorToMinor(opts.amount, invoice.currency.exponent);
    const input = {
      invoice_id: id,
      amount,
      reason: opts.reason,
      settlement: opts.refund ? ("refund" as const) : ("credit" as const),
    };
    print(
      await issueCreditNote({ ctx, input }).catch(async (error: unknown) => {
        throw await inTypedMoney(error, ctx);
      }),
    );
  });
}

/** `payments statement`. */
export async function statementAction(opts: { customer: string; json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const customer = await getCustomer({ ctx, input: { id: opts.customer } });
    const s = await customerStatement(ctx, BigInt(customer.id));
    if (opts.json) {
      print(s);
      return;
    }
    const rows = [];
    for (const e of s.entries) {
      // In the PDF's words and days (BILLING_TIME_ZONE): a refund's way back, a payment's received day.
      const shown = statementDocumentEntry(e, ctx.config.BILLING_TIME_ZONE);
      rows.push([
        shown.date,
        e.kind,
        statementReference(shown),
        await money(ctx, s.currency, e.amount),
        await money(ctx, s.currency, e.balance),
      ]);
    }
    process.stdout.write(
      `${renderTable(["Date", "Kind", "Reference", "Amount", "Balance"], rows, [false, false, false, true, true])}\n` +
        `balance ${await money(ctx, s.currency, s.balance)}; credit ${await money(ctx, s.currency, s.credit)}\n`,
    );
  });
}

/** The verb inputs the commands feed (cli-text-input.ts, feedsVerbs). */
export const paymentVerbInputs = {
  record: recordPayment.input,
  refund: refundPayment.input,
  "credit-note": issueCreditNote.input,
};
