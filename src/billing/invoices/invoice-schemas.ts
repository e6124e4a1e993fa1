import type { Selectable } from "kysely";
import { z } from "zod";
import type { InvoiceLineTable, InvoiceTable } from "../../db/schema.ts";
import { identifierText } from "../../kernel/identifier-text.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { cursorParam, totalParam } from "../../kernel/list-cursor.ts";
import { type CurrencyDisplay, MAX_AMOUNT_MINOR } from "../../domain/money.ts";
import {
  calendarDateString,
  currencyCode,
  digitsOrInteger,
  idFilter,
  periodString,
  tokenCount,
} from "../../kernel/schemas.ts";

// The admin API's view of invoices. Amounts are integers in minor units of the invoice's
// currency; unit costs, multipliers and rates are exact decimal strings.

const minor = z.bigint().meta({ type: "integer", description: "minor units (cents for USD)" });
const InvoiceStatus = z.enum(["draft", "finalized", "partially_paid", "paid", "void"]);

export const InvoiceLine = z.object({
  position: z.number().int(),
  kind: z.enum(["server", "additional_ips", "backups"]),
  server: z.object({ id: z.number().int(), uuid: z.string(), name: z.string() }),
  plan: z.string(),
  plan_id: z
    .number()
    .int()
    .nullable()
    .meta({ description: "SolusIO's plan id, when the usage source gives it" }),
  backup_percent: z
    .string()
    .nullable()
    .meta({ description: "backup lines: the plan's backup_price in percent of the plan group's tokens" }),
  server_created_at: z.string(),
  server_deleted_at: z.string().nullable(),
  quantity: z
    .bigint()
    .meta({ type: "integer", description: "1 for a server or backups, the IP count for additional IPs" }),
  hours: z.bigint().meta({
    type: "integer",
    description: "server hours on this plan; IP-hours for additional IPs; hours with backups on for backups",
  }),
  charge_kind: z.enum(["hourly", "monthly_cap", "monthly_fixed", "free", "backup_share"]),
  tokens: tokenCount("billed tokens (SolusIO's figure when it reports one)"),
  recomputed_tokens: tokenCount("tokenbill's billing-rules §2 figure"),
  unit_cost: z.string().meta({ description: "B, the token unit cost" }),
  amount: minor,
});
export type InvoiceLine = z.output<typeof InvoiceLine>;

export const Invoice = z.object({
  id: z.string(),
  number: z.string().nullable(),
  status: InvoiceStatus,
  customer_id: z.number().int(),
  period: z.string(),
  period_start: z.string(),
  period_end: z.string(),
  customer: z.object({
    name: z.string(),
    email: z.string(),
    country: z.string(),
    region: z.string().nullable(),
  }),
  currency: z.object({
    code: z.string(),
    exponent: z.number().int(),
    display_prefix: z.string(),
    display_suffix: z.string(),
    thousands_separator: z.string(),
    decimals_separator: z.string(),
  }),
  base_token_unit_cost: z.string(),
  tokens: tokenCount("the lines' tokens together"),
  subtotal: minor,
  discounts: z.array(z.object({ name: z.string(), multiplier: z.string(), amount: minor })),
  discount_total: minor,
  net: minor,
  taxes: z.array(z.object({ label: z.string(), rate: z.string(), amount: minor })),
  tax_compound: z.boolean(),
  tax_exempt: z.boolean(),
  tax_total: minor,
  total: minor,
  amount_due: minor.meta({
    type: "integer",
    description:
      "what the customer still owes on it (billing-rules §7: total − payments − credit notes, from the ledger); 0 for a draft or void invoice",
  }),
  issue_date: z.string().nullable(),
  due_date: z.string().nullable(),
  finalized_at: z.string().nullable(),
  payment: z
    .object({ amount: minor, date: z.string(), reference: z.string(), recorded_at: z.string() })
    .nullable(),
  void: z
    .object({
      at: z.string(),
      reason: z.string(),
      released_at: z.string().nullable().meta({
        description:
          "when staff released the invoice's (customer, period) slot so that the next run of the period bills it again (reissue); null while the void invoice keeps the slot",
      }),
    })
    .nullable(),
  billing_run_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  lines: z.array(InvoiceLine).optional().meta({ description: "only when one invoice is read" }),
});
export type Invoice = z.output<typeof Invoice>;

export function presentInvoice(
  row: Selectable<InvoiceTable>,
  lines?: Selectable<InvoiceLineTable>[],
  amountDue = 0n,
): Invoice {
  const currency = row.currency as CurrencyDisplay;
  const amounts = <T extends { amount: string }>(list: unknown) =>
    (list as T[]).map((x) => ({ ...x, amount: BigInt(x.amount) }));
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    customer_id: Number(row.customer_id),
    period: row.period,
    period_start: row.period_start.toISOString(),
    period_end: row.period_end.toISOString(),
    customer: {
      name: row.customer_name,
      email: row.customer_email,
      country: row.customer_country,
      region: row.customer_region,
    },
    currency: {
      code: currency.code,
      exponent: currency.exponent,
      display_prefix: currency.displayPrefix,
      display_suffix: currency.displaySuffix,
      thousands_separator: currency.thousandsSeparator,
      decimals_separator: currency.decimalsSeparator,
    },
    base_token_unit_cost: trimZeros(row.base_token_unit_cost),
    tokens: row.tokens,
    subtotal: row.subtotal,
    discounts: amounts<{ name: string; multiplier: string; amount: string }>(row.discounts),
    discount_total: row.discount_total,
    net: row.net,
    taxes: amounts<{ label: string; rate: string; amount: string }>(row.taxes),
    tax_compound: row.tax_compound,
    tax_exempt: row.tax_exempt,
    tax_total: row.tax_total,
    total: row.total,
    amount_due: amountDue,
    issue_date: row.issue_date,
    due_date: row.due_date,
    finalized_at: row.finalized_at?.toISOString() ?? null,
    payment:
      row.paid_amount !== null && row.paid_date !== null && row.paid_at !== null
        ? {
            amount: row.paid_amount,
            date: row.paid_date,
            reference: row.paid_reference ?? "",
            recorded_at: row.paid_at.toISOString(),
          }
        : null,
    void: row.voided_at
      ? {
          at: row.voided_at.toISOString(),
          reason: row.void_reason ?? "",
          released_at: row.released_at?.toISOString() ?? null,
        }
      : null,
    billing_run_id: row.billing_run_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    ...(lines ? { lines: lines.map(presentLine) } : {}),
  };
}

/** "0.001000000000" → "0.001", "10.000000" → "10": numeric columns come back at their full scale. */
function trimZeros(decimal: string): string {
  return decimal.includes(".") ? decimal.replace(/0+$/, "").replace(/\.$/, "") : decimal;
}

function presentLine(l: Selectable<InvoiceLineTable>): InvoiceLine {
  return {
    position: l.position,
    kind: l.kind,
    server: { id: Number(l.server_id), uuid: l.server_uuid, name: l.server_name },
    plan: l.plan_name,
    plan_id: l.plan_id === null ? null : Number(l.plan_id),
    backup_percent: l.backup_percent === null ? null : trimZeros(l.backup_percent),
    server_created_at: l.server_created_at.toISOString(),
    server_deleted_at: l.server_deleted_at?.toISOString() ?? null,
    quantity: l.quantity,
    hours: l.hours,
    charge_kind: l.charge_kind,
    tokens: l.tokens,
    recomputed_tokens: l.recomputed_tokens,
    unit_cost: trimZeros(l.unit_cost),
    amount: l.amount,
  };
}

/**
 * A list's filter by invoice (`?invoice_id=` of the payments and credit notes lists), told with its bound, as the
 * console's list pages say it beside the field.
 */
export const invoiceIdFilter = z
  .string()
  .regex(/^inv_[0-9a-f]{1,64}$/, "must be an invoice id (inv_ and 1 to 64 of 0-9, a-f)");

export const InvoiceListQuery = PageQuery.extend({
  cursor: cursorParam,
  total: totalParam,
  period: periodString.optional(),
  customer_id: idFilter("a customer").optional(),
  status: InvoiceStatus.optional(),
  number: z.string().max(100).optional(),
  currency: currencyCode.optional(),
});
export type InvoiceListQuery = z.output<typeof InvoiceListQuery>;

export const InvoiceIdParams = z.object({
  id: z.string().regex(/^inv_[0-9a-f]{1,64}$/, "must be an invoice id (inv_…)"),
});

export const MarkPaidInput = z
  .object({
    amount: z
      .union([
        z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
        // One spelling, as every amount has: "0001" is refused (src/billing/payments/payment-schemas.ts).
        z.string().regex(/^(?:0|[1-9]\d{0,18})$/),
        z.bigint().nonnegative(), // its own output: verbs re-parse input an adapter parsed already
      ])
      .transform((v) => BigInt(v))
      // The limit of every money input (src/domain/money.ts): mark-paid records a payment of this amount.
      .pipe(
        z
          .bigint()
          .max(
            MAX_AMOUNT_MINOR,
            `must be at most ${MAX_AMOUNT_MINOR} minor units (10^15): pay a larger amount due in several payments`,
          ),
      )
      .meta({
        ...digitsOrInteger({ min: 0n, max: MAX_AMOUNT_MINOR, maxLength: 19 }),
        description: `amount received, in minor units; must equal the invoice's amount due, at most ${MAX_AMOUNT_MINOR} (10^15); a JSON integer or a string of digits`,
      }),
    date: calendarDateString.meta({
      description:
        "the day the payment arrived: at most a day ahead of tokenbill's clock and at most 10 years back",
    }),
    reference: identifierText(200).meta({
      description: "bank or gateway reference; invisible characters are refused, as in a payment's reference",
    }),
  })
  .strict();
export type MarkPaidInput = z.output<typeof MarkPaidInput>;

export const VoidInput = z
  .object({
    reason: z.string().trim().min(1).max(500),
    reissue: z.boolean().default(false).meta({
      description:
        'also release the invoice\'s (customer, period) slot, so that the next run of the period drafts a new invoice with a new number (docs/billing-cycle.md, "Voiding and reissuing")',
    }),
  })
  .strict();
export type VoidInput = z.output<typeof VoidInput>;
