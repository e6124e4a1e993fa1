import type { Selectable } from "kysely";
import { z } from "zod";
import type { CreditNoteTable } from "../../db/schema.ts";
import { cursorParam, totalParam } from "../../kernel/list-cursor.ts";
import { PageQuery } from "../../kernel/pagination.ts";
import { idFilter } from "../../kernel/schemas.ts";
import { invoiceIdFilter } from "../invoices/invoice-schemas.ts";
import { positiveMinor } from "../payments/payment-schemas.ts";
import { SETTLED_AS } from "../documents/settled-ways.ts";

const minor = z.bigint().meta({ type: "integer", description: "minor units (cents for USD)" });

// A credit note corrects an issued invoice (billing-rules §7). Its amount is a NET amount: taxes are
// computed on it by §4 with the invoice's rates. Given as lines, each names an invoice line by position
// and the net amount credited against it (at most what earlier notes left of that line); the net is their sum.

export const CreditNoteLineInput = z
  .object({
    position: z.number().int().min(0).meta({ description: "the invoice line's position" }),
    amount: positiveMinor,
  })
  .strict();

const CreditNoteFields = z.object({
  amount: positiveMinor.optional().meta({ description: "the net amount credited (taxes are added)" }),
  lines: z.array(CreditNoteLineInput).min(1).max(1000).optional(),
  reason: z.string().trim().min(1).max(1000),
  settlement: z
    .enum(["credit", "refund"])
    .default("credit")
    .meta({ description: "what the part already paid becomes: credit, or a refund of the payments" }),
});

function checkAmountOrLines(
  v: { amount?: bigint | undefined; lines?: { position: number }[] | undefined },
  zctx: z.RefinementCtx,
): void {
  if ((v.amount === undefined) === (v.lines === undefined))
    zctx.addIssue({ code: "custom", path: ["amount"], message: "give either amount or lines" });
  const seen = new Set<number>();
  for (const [i, l] of (v.lines ?? []).entries()) {
    if (seen.has(l.position))
      zctx.addIssue({ code: "custom", path: ["lines", i, "position"], message: "named twice" });
    seen.add(l.position);
  }
}

export const CreditNoteBody = CreditNoteFields.strict().superRefine(checkAmountOrLines);

export const IssueCreditNoteInput = CreditNoteFields.extend({
  invoice_id: z.string().regex(/^inv_[0-9a-f]{1,64}$/, "must be an invoice id (inv_…)"),
})
  .strict()
  .superRefine(checkAmountOrLines);
export type IssueCreditNoteInput = z.output<typeof IssueCreditNoteInput>;

export const CreditNoteIdParams = z.object({
  id: z.string().regex(/^cn_[0-9a-f]{1,64}$/, "must be a credit note id (cn_…)"),
});

export const CreditNoteListQuery = PageQuery.extend({
  cursor: cursorParam,
  total: totalParam,
  customer_id: idFilter("a customer").optional(),
  invoice_id: invoiceIdFilter.optional(),
  // The portal's filter, in the same words (settled-ways.ts): what became of the money, not `settlement`.
  settled: z.enum(SETTLED_AS, { message: "must be invoice, refund or credit" }).optional().meta({
    description:
      "where some of the note's money went, as its documents say: invoice (lowered its invoice's amount due), refund (refunded or paid back, or a card refund pending), credit (kept as credit, or a card refund that failed); not the settlement asked for",
  }),
});

export const CreditNote = z.object({
  id: z.string(),
  number: z.string(),
  invoice_id: z.string(),
  customer_id: z.number().int(),
  currency: z.string(),
  issue_date: z.string(),
  net: minor,
  taxes: z.array(z.object({ label: z.string(), rate: z.string(), amount: minor })),
  tax_total: minor,
  total: minor,
  lines: z.array(z.object({ position: z.number().int(), amount: minor })),
  reason: z.string(),
  settlement: z.enum(["credit", "refund"]).meta({
    description:
      "what staff asked the part already paid to become; where the money went is `settled`, as a credit note is read (a refund asked on an unpaid invoice only lowers it)",
  }),
  created_at: z.string(),
});
export type CreditNote = z.output<typeof CreditNote>;

/**
 * A credit note as it is read (GET one, the list): with how much of its total went each way, in the words of
 * the list's `settled` filter (settled-ways.ts). The answer to issuing one has no `settled`: it is the
 * Idempotency-Key's stored answer, and a card refund's share is still to be asked for then.
 */
export const SettledCreditNote = CreditNote.extend({
  settled: z.object({ invoice: minor, refund: minor, credit: minor }).meta({
    description:
      "how much of the total went each way, as its documents say, summing to the total: invoice (lowered its invoice's amount due), refund (refunded or paid back, or a card refund pending), credit (kept as credit, or a card refund that failed); read when asked, so it follows a card refund as the provider settles it",
  }),
});
export type SettledCreditNote = z.output<typeof SettledCreditNote>;

export function presentCreditNote(row: Selectable<CreditNoteTable>): CreditNote {
  const amounts = <T extends { amount: string }>(list: unknown) =>
    (list as T[]).map((x) => ({ ...x, amount: BigInt(x.amount) }));
  return {
    id: row.id,
    number: row.number,
    invoice_id: row.invoice_id,
    customer_id: Number(row.customer_id),
    currency: row.currency_code,
    issue_date: row.issue_date,
    net: row.net,
    taxes: amounts<{ label: string; rate: string; amount: string }>(row.taxes),
    tax_total: row.tax_total,
    total: row.total,
    lines: amounts<{ position: number; amount: string }>(row.lines),
    reason: row.reason,
    settlement: row.settlement,
    created_at: row.created_at.toISOString(),
  };
}
