import { statementRefundWords } from "../documents/refund-method-words.ts";
import type { StatementEntry } from "../payments/statement.ts";

/**
 * A statement entry's way back, for every rendering of the statement (PDF, CSV, the CLI's table): the
 * method of the payment a refund returned money of and that in words; undefined for entries that are no
 * refund. A refund's `ref-failed:` event is the money the bank sent back after the refund had succeeded.
 */
export function statementEntryRefund(
  entry: Pick<StatementEntry, "refund_method" | "event_id">,
): { method: string; words: string } | undefined {
  if (entry.refund_method === null) return undefined;
  return {
    method: entry.refund_method,
    words: statementRefundWords(entry.refund_method, entry.event_id.startsWith("ref-failed:")),
  };
}
