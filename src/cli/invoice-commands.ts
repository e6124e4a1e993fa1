import type { Command } from "commander";
import { feedsVerbs } from "./cli-text-input.ts";
import { INVOICE_ARGUMENT_HELP } from "./invoice-argument.ts";

// `tokenbill invoices void` and `reissue`: the commands, their options and their words. What they do is in
// invoice-actions.ts, imported when one of them runs: imported here, `invoices --help` loaded the invoice
// verbs and the database's modules (light-commands-load.test.ts holds the count).

/** The commands' actions, imported when one runs. */
const actions = () => import("./invoice-actions.ts");

/** The `invoices` group's commands, added to `invoices` (main.ts makes the group and loads this file when it runs). */
export function addInvoiceCommands(invoices: Command): void {
  invoices
    .command("void")
    .description(
      "void a draft or finalized invoice nothing was paid or credited on; its number stays used (billing-rules §5, §7)",
    )
    .requiredOption("--invoice <id>", `the invoice: ${INVOICE_ARGUMENT_HELP}`)
    .requiredOption("--reason <text>", "why it is void (kept on the invoice and in the audit log)")
    .option("--reissue", "also release the customer's month, so that its next run bills it on a new invoice")
    .option("--json", "print the invoice as JSON, as the admin API answers")
    .action(async (opts: { invoice: string; reason: string; reissue?: boolean; json?: boolean }) =>
      (await actions()).voidAction(opts),
    );

  invoices
    .command("reissue")
    .description("release a void invoice's month for good, so that its next run bills the customer again")
    .requiredOption("--invoice <id>", `the void invoice: ${INVOICE_ARGUMENT_HELP}`)
    .option("--json", "print the invoice as JSON, as the admin API answers")
    .action(async (opts: { invoice: string; json?: boolean }) => (await actions()).reissueAction(opts));
  feedsVerbs(invoices, async () => (await actions()).invoiceVerbInputs);
}
