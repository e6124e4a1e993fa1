import { z } from "zod";
import type { Tx } from "../../kernel/context.ts";
import { ServiceError } from "../../kernel/errors.ts";

// What a currency may be changed to. Amounts are stored as minor units of the currency's exponent and
// written with its separators, so a change that makes stored amounts mean something else is refused.

/** Any decimal digit, in any script: a separator made of one would read as part of the number. */
const DIGIT = /\p{Nd}/u;
const NO_DIGIT = "must not contain a digit, which would read as part of the amount";

export const thousandsSeparator = z
  .string()
  .max(2)
  .refine((s) => !DIGIT.test(s), NO_DIGIT)
  .meta({ description: 'Between groups of three digits, e.g. "," (may be empty; no digit)' });

export const decimalsSeparator = z
  .string()
  .min(1)
  .max(2)
  .refine((s) => !DIGIT.test(s), NO_DIGIT)
  .meta({
    description: 'Before the minor units, e.g. "." (not empty, no digit, not the thousands separator)',
  });

const SAME_SEPARATORS =
  "must differ from the thousands separator, or 1,234 and 1.234 could not be told apart";

/** The cross-field rule for a whole currency (create): one issue on decimals_separator. */
export function separatorsDiffer(
  c: { thousands_separator: string; decimals_separator: string },
  zctx: z.RefinementCtx,
): void {
  if (c.thousands_separator === c.decimals_separator)
    zctx.addIssue({ code: "custom", path: ["decimals_separator"], message: SAME_SEPARATORS });
}

/** The same rule for a patch, against the separator the patch leaves as stored. */
export function assertSeparatorsDiffer(
  before: { thousands_separator: string; decimals_separator: string },
  patch: { thousands_separator?: string | undefined; decimals_separator?: string | undefined },
): void {
  const thousands = patch.thousands_separator ?? before.thousands_separator;
  const decimals = patch.decimals_separator ?? before.decimals_separator;
  if (thousands !== decimals) return;
  // Name the field the patch changed, so a form shows the message where the person typed.
  const field = patch.decimals_separator !== undefined ? "decimals_separator" : "thousands_separator";
  throw ServiceError.validation(field, SAME_SEPARATORS);
}

/**
 * Refuses a new exponent while anything holds amounts in the currency: invoices (drafts included), payments,
 * credit notes and ledger entries store minor units, so 514 cents would become 514 dollars on a statement
 * while the invoice's own snapshot still says 5.14. Called with the currency row locked FOR UPDATE.
 */
export async function assertExponentChangeable(
  trx: Tx,
  currency: { code: string; exponent: number },
  exponent: number | undefined,
): Promise<void> {
  if (exponent === undefined || exponent === currency.exponent) return;
  const used = (table: "invoice" | "payment" | "credit_note" | "ledger_entry") =>
    trx
      .selectFrom(table)
      .select("currency_code")
      .where("currency_code", "=", currency.code)
      .limit(1)
      .executeTakeFirst()
      .then((row) => row !== undefined);
  const names = {
    invoice: "invoices",
    payment: "payments",
    credit_note: "credit notes",
    ledger_entry: "ledger entries",
  };
  const held: string[] = [];
  for (const table of ["invoice", "payment", "credit_note", "ledger_entry"] as const)
    if (await used(table)) held.push(names[table]);
  if (held.length === 0) return;
  const message =
    `cannot change from ${currency.exponent} to ${exponent} minor-unit digits: ${currency.code} already has ` +
    `${held.join(", ")}, whose amounts are stored in minor units and would be rescaled; the exponent can change ` +
    "only while no invoice (draft included), payment, credit note or ledger entry is in the currency";
  throw new ServiceError("CONFLICT", `exponent: ${message}`, [{ field: "exponent", message }]);
}
