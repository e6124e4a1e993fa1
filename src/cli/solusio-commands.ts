import type { Command } from "commander";

// `tokenbill solusio …`: the commands, their options and their words. What they do is in solusio-actions.ts,
// imported when one of them runs: imported here, `solusio --help` loaded setup, the doctor, reconciliation and
// their modules (light-commands-load.test.ts holds the count).

/** The commands' actions, imported when one runs. */
const actions = () => import("./solusio-actions.ts");

/** The `solusio` group's commands, added to `solusio` (main.ts makes the group and loads this file when it runs). */
export function addSolusioCommands(solusio: Command): void {
  solusio
    .command("setup")
    .description("show what SolusIO must change to match tokenbill (dry run); --apply makes the changes")
    .option("--apply", "make the changes")
    .option("--json", "print JSON")
    .action(async (opts: { apply?: boolean; json?: boolean }) => (await actions()).setupAction(opts));

  solusio
    .command("doctor")
    .description(
      "check connectivity, token rights and every setup item; exit 1 when a check fails, 7 when none fails but one was not made",
    )
    .option(
      "--stored",
      "billing user ids from what the last reconciliation stored, calling nothing, instead of reading every SolusIO user",
    )
    .option("--json", "print JSON")
    .action(async (opts: { stored?: boolean; json?: boolean }) => (await actions()).doctorAction(opts));

  solusio
    .command("bind")
    .description("show which SolusIO this database belongs to; binds it when it belongs to none yet")
    .option("--force", "move the database to the configured SolusIO (after a deliberate change of SolusIO)")
    .option("--json", "print JSON")
    .action(async (opts: { force?: boolean; json?: boolean }) => (await actions()).bindAction(opts));

  solusio
    .command("reconcile")
    .description("compare customers with SolusIO users and report drift; --fix repairs what billing owns")
    .option("--fix", "queue and deliver a sync for every customer that drifted")
    .option("--json", "print JSON")
    .action(async (opts: { fix?: boolean; json?: boolean }) => (await actions()).reconcileAction(opts));
}
