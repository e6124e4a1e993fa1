import type { Command } from "commander";

// `tokenbill billing …`: the commands, their options and their words. What they do is in billing-actions.ts,
// imported when one of them runs: imported here, `billing --help` loaded the billing run, its usage sources,
// the job queue and the database's modules (light-commands-load.test.ts holds the count).

/** The commands' actions, imported when one runs. */
const actions = () => import("./billing-actions.ts");

/** The `billing` group's commands, added to `billing` (main.ts makes the group and loads this file when it runs). */
export function addBillingCommands(billing: Command): void {
  billing
    .command("run")
    .description(
      "bill one period: import usage, draft and finalize invoices; exits 0 only when the run completed",
    )
    .requiredOption("--period <YYYY-MM>", "the month to bill, in BILLING_TIME_ZONE")
    .option("--json", "print the summary as JSON")
    .action(async (opts: { period: string; json?: boolean }) => (await actions()).runAction(opts));

  billing
    .command("runs")
    .description("list billing runs, newest first")
    .option("--period <YYYY-MM>", "only this period")
    .option("--json", "print the runs as JSON, as the admin API lists them ({data, meta})")
    .action(async (opts: { period?: string; json?: boolean }) => (await actions()).runsAction(opts));

  billing
    .command("poll")
    .description("record one poll of SolusIO's servers (usage source b: server snapshots)")
    .option("--json", "print the poll as JSON")
    .action(async (opts: { json?: boolean }) => (await actions()).pollAction(opts));
}
