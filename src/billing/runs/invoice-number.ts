import type { Tx } from "../../kernel/context.ts";
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

/**
 * The counter of a number sequence, created at 0 when new and locked until the transaction ends: callers
 * hand out `last + 1 …` and store the new last value with setNumberCounter, so numbers are gapless (§5).
 */
export async function lockNumberCounter(trx: Tx, sequence: string): Promise<bigint> {
  await trx
    .insertInto("invoice_number_counter")
    .values({ sequence, last_value: 0n })
    .onConflict((oc) => oc.column("sequence").doNothing())
    .execute();
  const counter = await trx
    .selectFrom("invoice_number_counter")
    .select("last_value")
    .where("sequence", "=", sequence)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return counter.last_value;
}

export async function setNumberCounter(trx: Tx, sequence: string, lastValue: bigint): Promise<void> {
  await trx
    .updateTable("invoice_number_counter")
    .set({ last_value: lastValue })
    .where("sequence", "=", sequence)
    .execute();
}
