import { z } from "zod";
import { conversionScheme, parseCalculatorTokensPerHour, planTable } from "../../domain/calculator.ts";
import { Decimal } from "../../domain/decimal.ts";
import { type CurrencyDisplay, formatDecimal, formatMinor, toMinorUnits } from "../../domain/money.ts";
import { ServiceError } from "../../kernel/errors.ts";
import type { ServiceContext } from "../../kernel/context.ts";
import { canonicalDecimal, currencyDisplayOf } from "../currencies/currencies.ts";
import { tokenCount } from "../../kernel/schemas.ts";
import { defineVerb } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

// Seed steps 1–2: the conversion scheme and the plan table with suggested round monthly prices.

interface PricedCurrency {
  display: CurrencyDisplay;
  unitCost: Decimal;
}

async function loadCurrencies(ctx: ServiceContext, only?: string[]): Promise<PricedCurrency[]> {
  // The default currency first (it is what the calculator shows unless asked otherwise), then by code.
  let q = ctx.db
    .selectFrom("currency")
    .selectAll()
    .orderBy((eb) => eb.case().when("code", "=", ctx.config.DEFAULT_CURRENCY).then(0).else(1).end())
    .orderBy("code");
  if (only && only.length > 0) q = q.where("code", "in", only);
  const rows = await q.execute();
  const missing = (only ?? []).filter((c) => !rows.some((r) => r.code === c));
  if (missing.length > 0) throw ServiceError.validation("currency", `unknown currency ${missing.join(", ")}`);
  if (rows.length === 0)
    throw ServiceError.validation("currency", "no currencies are configured; create one first");
  return rows.map((r) => ({
    unitCost: Decimal.parse(r.token_unit_cost),
    display: currencyDisplayOf(r),
  }));
}

export const ConversionQuery = z.object({
  currency: z
    .string()
    .max(400)
    .optional()
    .meta({ description: "comma-separated ISO codes; all when absent" }),
});

/** The conversion scheme shows 5 decimals, like the seed's table ("$0.00100", "€0.00091"). */
const SCHEME_DIGITS = 5;

export const ConversionTable = z.object({
  currencies: z.array(z.object({ code: z.string(), token_unit_cost: z.string() })),
  rows: z.array(
    z.object({
      tokens: tokenCount("tokens priced"),
      amounts: z.array(z.object({ code: z.string(), amount: z.string(), display: z.string() })),
    }),
  ),
});
export type ConversionTable = z.output<typeof ConversionTable>;

export const priceConversion = defineVerb(
  ConversionQuery,
  async ({ ctx, input }): Promise<ConversionTable> => {
    await requireStaffRole(ctx, ...READ_ROLES);
    const currencies = await loadCurrencies(ctx, splitCodes(input.currency));
    const rows = conversionScheme(currencies.map((c) => ({ code: c.display.code, unitCost: c.unitCost })));
    return {
      currencies: currencies.map((c) => ({
        code: c.display.code,
        token_unit_cost: c.unitCost.normalize().toString(),
      })),
      rows: rows.map((row) => ({
        tokens: row.tokens,
        amounts: row.amounts.map((a, i) => ({
          code: a.code,
          amount: a.amount.normalize().toString(),
          display: formatDecimal(
            a.amount,
            currencies[i]!.display,
            Math.max(SCHEME_DIGITS, currencies[i]!.display.exponent),
            ctx.config.ROUNDING_MODE,
          ),
        })),
      })),
    };
  },
);

/** The longest `tph` list the calculator takes, in characters. */
export const TPH_LIST_MAX_LENGTH = 400;

export const PlanTableQuery = z.object({
  tph: z.string().max(TPH_LIST_MAX_LENGTH).meta({
    description:
      "tokens per hour, comma-separated whole numbers, each at most 12397005425880075 (its month, × 744, must fit in a plan price: 2^63 − 1 tokens)",
    example: "7,14,21,28",
  }),
  currency: z.string().max(3).optional().meta({ description: "ISO code; DEFAULT_CURRENCY when absent" }),
});

export const PlanTable = z.object({
  currency: z.string(),
  token_unit_cost: z.string(),
  hours_in_month: z.number().int(),
  rows: z.array(
    z.object({
      tokens_per_hour: tokenCount("tokens per hour, as asked"),
      aggregated_tokens: tokenCount("tokens_per_hour × 744, a 31-day month"),
      aggregated_price: z.string(),
      aggregated_price_display: z.string(),
      suggested_tokens_per_month: tokenCount("aggregated_tokens rounded down to a round monthly price"),
      suggested_price: z.string(),
      suggested_price_display: z.string(),
    }),
  ),
});
export type PlanTable = z.output<typeof PlanTable>;

export const pricePlans = defineVerb(PlanTableQuery, async ({ ctx, input }): Promise<PlanTable> => {
  await requireStaffRole(ctx, ...READ_ROLES);
  const tphs = parseCalculatorTokensPerHour(input.tph, "tph");
  const [currency] = await loadCurrencies(ctx, splitCodes(input.currency));
  const c = currency!;
  const money = (amount: Decimal) => {
    const minor = toMinorUnits(amount, c.display.exponent, ctx.config.ROUNDING_MODE);
    return { exact: amount.normalize().toString(), display: formatMinor(minor, c.display) };
  };
  return {
    currency: c.display.code,
    token_unit_cost: canonicalDecimal(c.unitCost.toString()),
    hours_in_month: 744,
    rows: planTable(tphs, c.unitCost).map((r) => {
      const aggregated = money(r.aggregatedMoney);
      const suggested = money(r.suggestedMoney);
      return {
        tokens_per_hour: r.tokensPerHour,
        aggregated_tokens: r.aggregatedTokens,
        aggregated_price: aggregated.exact,
        aggregated_price_display: aggregated.display,
        suggested_tokens_per_month: r.suggestedMonthlyTokens,
        suggested_price: suggested.exact,
        suggested_price_display: suggested.display,
      };
    }),
  };
});

/** "usd, eur" → ["USD", "EUR"]; absent or blank: all currencies. An empty item is refused, as --tph's are. */
function splitCodes(list: string | undefined): string[] | undefined {
  if (list === undefined || list.trim() === "") return undefined;
  return list.split(",").map((s, i) => {
    const code = s.trim().toUpperCase();
    if (code === "")
      throw ServiceError.validation("currency", `item ${i + 1} is empty (got ${JSON.stringify(list)})`);
    return code;
  });
}
