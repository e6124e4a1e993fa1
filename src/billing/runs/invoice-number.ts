import { ServiceError } from "../../kernel/errors.ts";

// Invoice numbers (billing-rules §5): format a setting, default INV-{YYYY}-{000000}. {YYYY}, {YY} and {MM}
// come from the issue date; {000000} is the counter, zero-padded to the number of zeros. Each distinct
// rendering of the date parts is its own gapless sequence, so INV-2027- starts again at 1.

const COUNTER = /\{(0+)\}/;

export interface NumberSequence {
  /** The counter row's key: the format with the date parts filled in, e.g. "INV-2026-{000000}". */
  key: string;
  format(value: bigint): string;
}

/** The sequence an invoice issued on `issueDate` (YYYY-MM-DD) takes its number from. */
export function numberSequence(format: string, issueDate: string): NumberSequence {
  const m = COUNTER.exec(format);
  if (m === null) {
    throw ServiceError.validation(
      "INVOICE_NUMBER_FORMAT",
      "must contain a counter placeholder such as {000000}",
    );
  }
  const width = m[1]!.length;
  const key = format
    .replaceAll("{YYYY}", issueDate.slice(0, 4))
    .replaceAll("{YY}", issueDate.slice(2, 4))
    .replaceAll("{MM}", issueDate.slice(5, 7));
  return { key, format: (value) => key.replace(COUNTER, value.toString().padStart(width, "0")) };
}
