import type { Command } from "commander";
import { INVOICE_ARGUMENT_HELP } from "./invoice-argument.ts";
import { MAX_LIMIT } from "./list-limit.ts";
import type { PaymentListOptions } from "./payment-list-command.ts";

// `tokenbill payments list`: the command and its options. What it does (the admin API's list walked by cursor)
// is in payment-list-command.ts, imported when the command runs, not for its --help.

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
    .action(async (opts: PaymentListOptions) => (await import("./payment-list-command.ts")).listAction(opts));
}
