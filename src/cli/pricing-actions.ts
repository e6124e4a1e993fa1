// What `tokenbill pricing …` does when one of its commands runs (pricing-commands.ts has the commands).
import { jsonText } from "../kernel/json.ts";
import { priceConversion, pricePlans } from "../services/pricing/price-calculator.ts";
import { renderTable } from "./output.ts";
import { withSystemContext } from "./with-context.ts";

// Token counts are bigints: printed with every digit, and in --json as the API writes them (json.ts).
const thousands = (n: bigint) => n.toLocaleString("en-US");

/** The calculators write nothing and read only what the migrations seed: on memory:// too they answer. */
const CALCULATOR = { onThrowAwayDatabase: "run" } as const;

export async function conversionAction(opts: { currency?: string; json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
    const table = await priceConversion({ ctx, input: { currency: opts.currency } });
    if (opts.json) return void process.stdout.write(`${jsonText(table, 2)}\n`);
    const headers = ["Tokens", ...table.currencies.map((c) => `Token price in ${c.code}`)];
    const rows = table.rows.map((r) => [thousands(r.tokens), ...r.amounts.map((a) => a.display)]);
    printNumbers(headers, rows);
  }, CALCULATOR);
}

export async function plansAction(opts: { tph: string; currency?: string; json?: boolean }): Promise<void> {
  await withSystemContext(async (ctx) => {
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
  }, CALCULATOR);
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

/** The verb inputs the commands feed (cli-text-input.ts, feedsVerbs). */
export const pricingVerbInputs = { conversion: priceConversion.input, plans: pricePlans.input };
