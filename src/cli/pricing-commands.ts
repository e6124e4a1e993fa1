import type { Command } from "commander";
import { feedsVerbs } from "./cli-text-input.ts";

// `tokenbill pricing …`: the commands, their options and their words. What they do is in pricing-actions.ts,
// imported when one of them runs, not for --help (light-commands-load.test.ts holds the count).

/** The commands' actions, imported when one runs. */
const actions = () => import("./pricing-actions.ts");

/** The `pricing` group's commands, added to `pricing` (main.ts makes the group and loads this file when it runs). */
export function addPricingCommands(pricing: Command): void {
  pricing
    .command("conversion")
    .description("print what 1, 10, 100, 1,000 and 10,000 tokens cost in each configured currency")
    .option("--currency <codes>", "comma-separated currency codes (default: all)")
    .option("--json", "print JSON")
    .action(async (opts: { currency?: string; json?: boolean }) => (await actions()).conversionAction(opts));

  pricing
    .command("plans")
    .description("print the plan table: aggregated month (tph × 744) and a suggested round monthly price")
    .requiredOption("--tph <list>", "tokens per hour, comma-separated whole numbers, e.g. 7,14,21,28")
    .option("--currency <code>", "currency (default: the first configured)")
    .option("--json", "print JSON")
    .action(async (opts: { tph: string; currency?: string; json?: boolean }) =>
      (await actions()).plansAction(opts),
    );
  feedsVerbs(pricing, async () => (await actions()).pricingVerbInputs);
}
