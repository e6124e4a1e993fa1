import type { Selectable } from "kysely";
import { z } from "zod";
import type { PaymentTable, RefundTable } from "../../db/schema.ts";
import { MAX_AMOUNT_MINOR } from "../../domain/money.ts";
import { identifierText } from "../../kernel/identifier-text.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { cursorParam, totalParam } from "../../kernel/list-cursor.ts";
import {
  calendarDateString,
  currencyCode,
  digitsOrInteger,
  id,
  idFilter,
  instantOrDate,
  LAST_STORABLE_DATE,
} from "../../kernel/schemas.ts";
import { invoiceIdFilter } from "../invoices/invoice-schemas.ts";

// The admin API's view of payments and refunds. Amounts are integers in minor units of the payment's
// currency (billing-rules §7); never floats.

const NOT_WHOLE =
  "must be a positive whole number of minor units, in digits without a fraction or leading zeros (in the currency's smallest unit: 1000 is 10.00 USD, ¥1,000, 1.000 KWD)";
const TOO_LARGE = `must be at most ${MAX_AMOUNT_MINOR} minor units (10^15): no single payment, refund or credit note is larger`;

/**
 * The whole number a JSON integer, a digit string ("-" allowed, to be refused as such) or a bigint is. One
 * spelling, as ids have: "0001" is refused, and so are `10.00` and `1e3`, which the JSON body parser hands
 * over as written (src/http/json-body-issues.ts): an amount meant as ten dollars was taken as ten cents.
 */
function minorOf(v: number | string | bigint): bigint | undefined {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : undefined;
  const digits = /^(-?)(0|[1-9]\d*)$/.exec(v);
  if (!digits) return undefined;
  const sign = digits[1] ?? "";
  const significant = digits[2] ?? "";
  // Beyond 17 digits only "above the limit" matters: no BigInt of an arbitrarily long text.
  return BigInt(sign + (significant.length > 17 ? `1${"0".repeat(17)}` : significant));
}

/**
 * A positive amount in minor units, at most MAX_AMOUNT_MINOR (src/domain/money.ts): a JSON integer, a digit
 * string, or (verbs re-parsing) a bigint. Every money input of the API, the CLI and the console comes
 * through here. A JSON number beyond 2^53 has lost digits, but it is above the limit anyway: refused with
 * the limit's message, as is a digit string of any length, so the answer names the limit whatever the form.
 */
export const positiveMinor = z
  .union([z.number(), z.string(), z.bigint()])
  .transform((v, zctx) => {
    const parsed = minorOf(v);
    if (parsed === undefined || parsed <= 0n) {
      zctx.addIssue({ code: "custom", message: NOT_WHOLE });
      return z.NEVER;
    }
    if (parsed > MAX_AMOUNT_MINOR) {
      zctx.addIssue({ code: "custom", message: TOO_LARGE });
      return z.NEVER;
    }
    return parsed;
  })
  // Documented as both forms it takes, each with its bounds: a bare integer refused "7" and took 0 (until 2026-12-06).
  .meta({
    ...digitsOrInteger({ min: 1n, max: MAX_AMOUNT_MINOR }),
    description: `minor units (cents for USD), > 0 and at most ${MAX_AMOUNT_MINOR} (10^15); a JSON integer or a string of digits, without a fraction, an exponent or leading zeros`,
  });

/** An amount in an answer: a JSON integer while exact (below 2^53, src/kernel/json.ts), else its digits as a string. */
const minor = z.bigint().meta({
  type: "integer",
  description:
    "minor units (cents for USD); a string of digits beyond 2^53, which only rows written before the 10^15 limit reach",
});

export const PaymentIdParams = z.object({
  id: z.string().regex(/^pay_[0-9a-f]{1,64}$/, "must be a payment id (pay_…)"),
});

/** How a payment came: manual, bank_transfer, or a provider's name (stripe); the column's own CHECK (migration 013). */
const paymentMethod = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,39}$/,
    "must be a method name such as manual, bank_transfer, stripe: a lowercase letter, then at most 39 lowercase letters, digits or _",
  );

/** What a payment is, whichever way it arrives (API, CLI, a provider's webhook). */
export const PaymentFields = z.object({
  amount: positiveMinor,
  currency: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"))
    .optional()
    .meta({ description: "must equal the invoice's (or customer's) currency; defaults to it" }),
  method: paymentMethod.default("manual"),
  reference: identifierText(200).meta({
    description:
      "unique per method: the same reference again is the same payment. Spaces around it are dropped; invisible characters (Unicode format characters such as U+200B, U+00AD, U+FEFF, and the other default-ignorables) are refused",
  }),
  paid_at: instantOrDate.optional().meta({
    description:
      "when the money arrived: an ISO instant, or a date YYYY-MM-DD, read as that day's first instant in BILLING_TIME_ZONE (until 2026-12-06, its midnight in UTC); defaults to now. At most a day ahead of tokenbill's clock (time zones, clocks that disagree) and at most 10 years back; a date PostgreSQL cannot store (year 0000) is refused too",
  }),
});

export const RecordPaymentInput = PaymentFields.extend({
  invoice_id: z
    .string()
    .regex(/^inv_[0-9a-f]{1,64}$/, "must be an invoice id (inv_…)")
    .optional(),
  customer_id: id.optional(),
})
  .strict()
  .superRefine((v, zctx) => {
    if ((v.invoice_id === undefined) === (v.customer_id === undefined)) {
      zctx.addIssue({
        code: "custom",
        path: ["invoice_id"],
        message: "name exactly one of invoice_id and customer_id",
      });
    }
  });
export type RecordPaymentInput = z.output<typeof RecordPaymentInput>;
/** A payment to record once its date-only paid_at became an instant in BILLING_TIME_ZONE (paidAtInstant). */
export type PaymentToRecord = Omit<RecordPaymentInput, "paid_at"> & { paid_at?: Date | undefined };

/** The body of POST /invoices/{id}/payments and /customers/{id}/payments: the target is in the path. */
export const PaymentBody = PaymentFields.strict();

export const RefundBody = z
  .object({
    amount: positiveMinor,
    reason: z.string().trim().max(1000).default(""),
  })
  .strict();

export const RefundInput = RefundBody.extend({ payment_id: PaymentIdParams.shape.id }).strict();

export const Refund = z.object({
  id: z.string(),
  payment_id: z.string(),
  amount: minor,
  reason: z.string(),
  status: z.enum(["pending", "succeeded", "failed"]),
  provider_refund_id: z.string().nullable(),
  credit_note_id: z
    .string()
    .nullable()
    .meta({ description: "the credit note that made this refund, if one did" }),
  created_at: z.string(),
});
export type Refund = z.output<typeof Refund>;

export const Allocation = z.object({ invoice_id: z.string(), amount: minor });

export const Payment = z.object({
  id: z.string(),
  customer_id: z.number().int(),
  invoice_id: z.string().nullable().meta({ description: "the invoice it was paid against, if one" }),
  currency: z.string(),
  amount: minor,
  method: z.string(),
  reference: z.string(),
  paid_at: z.string(),
  created_at: z.string(),
  allocations: z.array(Allocation).meta({
    description:
      "what it pays now, per invoice, net of refunds that reopened an invoice; a credit note's refund leaves it " +
      "as it is (the note lowered what the invoice owes), so amount may be less than allocations + credit + refunded",
  }),
  credit: minor.meta({ description: "the part that became credit and was not taken back by a refund" }),
  refunded: minor.meta({ description: "Σ refunds that are pending or succeeded" }),
  refunds: z.array(Refund),
});
export type Payment = z.output<typeof Payment>;

export function presentRefund(row: Selectable<RefundTable>): Refund {
  return {
    id: row.id,
    payment_id: row.payment_id,
    amount: row.amount,
    reason: row.reason,
    status: row.status,
    provider_refund_id: row.provider_refund_id,
    credit_note_id: row.credit_note_id,
    created_at: row.created_at.toISOString(),
  };
}

export function presentPayment(
  row: Selectable<PaymentTable>,
  extra: { allocations: { invoice_id: string; amount: bigint }[]; credit: bigint; refunds: Refund[] },
): Payment {
  return {
    id: row.id,
    customer_id: Number(row.customer_id),
    invoice_id: row.invoice_id,
    currency: row.currency_code,
    amount: row.amount,
    method: row.method,
    reference: row.reference,
    paid_at: row.paid_at.toISOString(),
    created_at: row.created_at.toISOString(),
    allocations: extra.allocations,
    credit: extra.credit,
    refunded: extra.refunds.filter((r) => r.status !== "failed").reduce((s, r) => s + r.amount, 0n),
    refunds: extra.refunds,
  };
}

/**
 * A day of the payments list's received_from / received_to: from 1970, as billing periods are (isPeriod), since
 * the day's first instant is found from the calendar (startOfDay) and no payment is older.
 */
export const FIRST_RECEIVED_DATE = "1970-01-01";
const receivedDate = calendarDateString.refine(
  (s) => s >= FIRST_RECEIVED_DATE,
  `must be a day from ${FIRST_RECEIVED_DATE} to ${LAST_STORABLE_DATE}`,
);

export const PaymentListQuery = PageQuery.extend({
  cursor: cursorParam,
  total: totalParam,
  customer_id: idFilter("a customer").optional(),
  invoice_id: invoiceIdFilter.optional(),
  method: paymentMethod
    .optional()
    .meta({ description: "payments of this method: manual, bank_transfer, stripe, …" }),
  currency: currencyCode.optional().meta({ description: "payments in this currency (ISO 4217, e.g. USD)" }),
  received_from: receivedDate.optional().meta({
    description:
      "payments received on or after this day (YYYY-MM-DD), a day in BILLING_TIME_ZONE as a payment's date-only paid_at is",
  }),
  received_to: receivedDate.optional().meta({
    description:
      "payments received on or before this day (YYYY-MM-DD, inclusive), in BILLING_TIME_ZONE; not before received_from",
  }),
});
