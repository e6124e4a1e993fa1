import type { Command } from "commander";
import { jsonText } from "../kernel/json.ts";
import { priceConversion, pricePlans } from "../services/pricing/price-calculator.ts";
import { renderTable } from "./output.ts";
import { feedsVerbs } from "./cli-text-input.ts";
import { withSystemContext } from "./with-context.ts";

// Token counts are bigints: printed with every digit, and in --json as the API writes them (json.ts).
const thousands = (n: bigint) => n.toLocaleString("en-US");

/** The calculators write nothing and read only what the migrations seed: on memory:// too they answer. */
const CALCULATOR = { onThrowAwayDatabase: "run" } as const;

/** The `pricing` group's commands, added to `pricing` (main.ts makes the group and loads this file when it runs). */
export function addPricingCommands(pricing: Command): void {
  pricing
    .command("conversion")
    .description("print what 1, 10, 100, 1,000 and 10,000 tokens cost in each configured currency")
    .option("--currency <codes>", "comma-separated currency codes (default: all)")
    .option("--json", "print JSON")
    .action(async (opts: { currency?: string; json?: boolean }) =>
      withSystemContext(async (ctx) => {
        const table = await priceConversion({ ctx, input: { currency: opts.currency } });
        if (opts.json) return void process.stdout.write(`${jsonText(table, 2)}\n`);
        const headers = ["Tokens", ...table.currencies.map((c) => `Token price in ${c.code}`)];
        const rows = table.rows.map((r) => [thousands(r.tokens), ...r.amounts.map((a) => a.display)]);
        printNumbers(headers, rows);
      }, CALCULATOR),
    );

  pricing
    .command("plans")
    .description("print the plan table: aggregated month (tph × 744) and a suggested round monthly price")
    .requiredOption("--tph <list>", "tokens per hour, comma-separated whole numbers, e.g. 7,14,21,28")
    .option("--currency <code>", "currency (default: the first configured)")
    .option("--json", "print JSON")
    .action(async (opts: { tph: string; currency?: string; json?: boolean }) =>
      withSystemContext(async (ctx) => {
        const table = await pricePlans({ ctx, input: { tph: opts.tph, currency: opts.currency } });
        if (opts.json) return void process.stdout.write(`${jsonText(table, 2)}\n`);
        const headers = [
          "Tokens per hour",
          "Aggregated tokens per month (×744)",
          `Aggregated price per month in ${table.currency}`,
          "Tokens per month (suggested fixed price)",
          `Price per month in ${table.currency} at that price`,
        ];
        const rows = table.rows.map((r) => [
          thousands(r.tokens_per_hour),
          thousands(r.aggregated_tokens),
          r.aggregated_price_display,
          thousands(r.suggested_tokens_per_month),
          r.suggested_price_display,
        ]);
        printNumbers(headers, rows);
      }, CALCULATOR),
    );
  feedsVerbs(pricing, { conversion: priceConversion.input, plans: pricePlans.input });
}

/** A table of amounts, every column right-aligned. */
function printNumbers(headers: string[], rows: string[][]): void {
  process.stdout.write(
    `${renderTable(
      headers,
      rows,
      headers.map(() => true),
    )}\n`,
  );
}
