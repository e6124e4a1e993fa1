import { missingLateLedgerRows } from "../../billing/payments/ledger-late-rows.ts";
import type { Db } from "../../kernel/context.ts";
import type { DoctorCheck } from "./doctor.ts";

/** At most this many balance rows above housekeeping's watermark are read: a few ms, whatever the ledger. */
export const LATE_ROWS_CHECK_LIMIT = 10_000;

/** How many customers a failing line names; it says how many more there are. */
export const LATE_ROWS_CUSTOMERS_NAMED = 10;

const NAME = "statement late rows";
const PASS =
  "housekeeping's next round adds them (every HOUSEKEEPING_INTERVAL_MS; 0 turns it off), or run " +
  "`tokenbill database late-rows` now";

/**
 * Whether every balance row written interleaved with a later event of its customer is in ledger_late_entry,
 * which the portal's statement page brings forward (ledger-late-rows.ts). Reads only the rows above the
 * watermark: below it housekeeping's pass (or migration 049) has found them all.
 */
export async function lateRowsCheck(db: Db): Promise<DoctorCheck> {
  const { read, missing, customerCount, customers } = await missingLateLedgerRows(
    db,
    LATE_ROWS_CHECK_LIMIT,
    LATE_ROWS_CUSTOMERS_NAMED,
  );
  const more = customerCount - customers.length;
  if (missing > 0)
    return {
      name: NAME,
      ok: false,
      detail:
        `${missing} balance row(s) written interleaved with another event of their customer are not in ` +
        `ledger_late_entry: the portal's statement pages of customer(s) ${customers.join(", ")}` +
        `${more > 0 ? ` and ${more} more` : ""} show running ` +
        "balances off by them",
      fix: `${PASS}; stop any instance of a version before 2026-12-07 still running, which writes such rows`,
    };
  // Behind by more than the check reads is the usual state for an hour after the upgrade, and on a busy day
  // (the watermark moves a transaction bound after the rows it covers): the pass, not the doctor, is what keeps
  // the table complete, so this is said and passes rather than marking the doctor not_checked (exit 7).
  if (read > LATE_ROWS_CHECK_LIMIT)
    return {
      name: NAME,
      ok: true,
      detail:
        `none missing in the first ${LATE_ROWS_CHECK_LIMIT} balance rows above housekeeping's watermark; ` +
        "the rest are read by its next passes (the first pass after the upgrade reads the whole ledger)",
    };
  return {
    name: NAME,
    ok: true,
    detail: `ledger_late_entry has every interleaved balance row (${read} written since housekeeping's pass read)`,
  };
}
